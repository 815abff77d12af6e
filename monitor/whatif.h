#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/event.h"
#include "monitor/backtest.h"

namespace terrain::monitor {

// `terrain backtest --from DATA_DIR`: the history a running (or stopped) terrain holds, its
// event log (pipeline.history_bytes of it) and the alerts it raised with the verdicts people
// gave, replayed through a candidate configuration: which alerts would have differed.
struct WhatIfOptions {
    std::string data_dir;
    bool progress = false;
};

// One alert that would have differed, or stayed the same. Times are event time: the end of the
// window the alert fired on (when it could first be raised).
struct AlertChange {
    enum class Kind { kSame, kEarlier, kLater, kRemoved, kAdded };
    Kind kind = Kind::kSame;
    std::string metric;
    std::string detector;
    core::Labels labels;
    std::int64_t was_ms = 0;    // the alert terrain raised (0: added)
    std::int64_t would_ms = 0;  // the candidate's (0: removed)
    std::string alert_id;       // terrain's alert (empty: added)
    std::string feedback;       // its verdict: confirmed, not_a_problem or ""
    std::string feedback_reason;
};

struct WhatIfResult {
    BacktestResult backtest;  // the candidate on the history
    std::size_t alerts = 0;   // terrain's alerts in the history's span
    std::uint64_t skipped_records = 0;
    std::vector<AlertChange> changes;  // every alert of either side, same ones included
};

WhatIfResult run_whatif(const core::Config& candidate, const WhatIfOptions& options);

// What a person reads: one line per alert that differs, then the verdicts in plain words
// ("1 alert people marked not a problem would not have fired; 1 confirmed alert would have
// fired 20 min later"), or "no alert would differ".
std::string whatif_text(const WhatIfResult& result);

// A setting for a detector people gave verdicts on: its main parameter (a threshold's limit, z,
// p_value, h) swept over the history, and the value that keeps every confirmed alert and
// spares the most alerts people marked not a problem (the nearest to the current one among
// equals). `suggested` equals `current` when no setting does better.
struct Suggestion {
    std::string metric;  // the declared metric (its roll-ups share the detector)
    std::string detector;
    std::string parameter;
    double current = 0;
    double suggested = 0;
    std::size_t confirmed = 0;        // its alerts in the history, by verdict
    std::size_t rejected = 0;
    std::size_t confirmed_kept = 0;   // at the suggested setting
    std::size_t rejected_spared = 0;
    std::string text;                 // one line a person reads
};

// Every detector of `config` with verdicts on its alerts in the history of `data_dir`;
// `only` ("metric/detector") limits it to one.
std::vector<Suggestion> suggest(const core::Config& config, const std::string& data_dir,
                                const std::string& only = "");

}  // namespace terrain::monitor
