#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/event.h"

namespace terrain::core {

// What a judgement of one window rests on: the value seen (and its parts), the band of normal
// values, the score and the words; for pairs, what the MAP reported over the same exposure and
// where the window falls in the CX efficiency matrix. One struct shared by a detector's
// verdict, the finding the pipeline hands on, and the alert a person reads.
struct Evidence {
    double observed = 0;
    double expected = 0;
    double lower = 0;
    double upper = 0;
    double score = 0;
    double numerator = 0;
    double denominator = 0;
    std::string reason;  // one line a person reads: "0.52% is above 0.30%"
    double claim = std::numeric_limits<double>::quiet_NaN();           // pairs: the MAP's figure now
    double claim_expected = std::numeric_limits<double>::quiet_NaN();  // and usually
    std::string quadrant;                  // pairs: see detectors/disagreement.h
    // Ratios attributed to sends: the send judged (event time of its first window's start and
    // its last window's end) and how many it sent; `denominator` is then its exposure so far.
    std::int64_t send_start_ms = 0;
    std::int64_t send_end_ms = 0;
    double sent = 0;
};

// One customer signal behind a finding, as a card lists it: when, from which source, what
// kind, and the vendor's id (a ticket number); never who.
struct Signal {
    std::int64_t time_ms = 0;
    std::string source;
    std::string kind;
    std::string id;
};

// What a detector concluded about one point of one series. Produced on the pipeline thread,
// consumed by the alert manager. `anomalous` false with `evaluated` true means "normal again"
// and lets a firing alert resolve; `evaluated` false (too little volume, warming up) leaves
// any alert as it is.
struct Finding : Evidence {
    std::string metric;
    std::string family;    // metrics rolled up from one declaration share it (config.h)
    std::string detector;  // detector name within the metric
    std::string detector_type;
    std::string severity;
    std::string team;  // the metric's owner
    std::string action;  // the metric's suggested action, in plain words
    Labels labels;  // the series' group-by labels
    std::int64_t window_start_ms = 0;
    std::int64_t window_end_ms = 0;
    bool evaluated = false;
    bool anomalous = false;
    const PairConfig* pair = nullptr;  // pairs: the pair's configuration (its words)
    // Anomalous findings: the latest customer signals counted in its series, newest first.
    std::vector<Signal> signals;
};

// Where a pipeline's findings go: the alert manager (the embedded default), or the scale-out
// mode's queue to the node that leads the alerting (monitor/findings_queue.h).
class FindingSink {
public:
    virtual ~FindingSink() = default;
    virtual void on_finding(const Finding& finding) = 0;
    // The series produced no events for its metric's idle_after.
    virtual void on_series_idle(const std::string& metric, const Labels& labels) = 0;
};

}  // namespace terrain::core
