#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/event.h"

namespace terrain::monitor {

// `terrain backtest`: replays historical events through a configuration's metrics and
// detectors (event time, as live; nothing is sent anywhere) and writes a self-contained HTML
// report for tuning a detector before it is switched on.
struct BacktestOptions {
    std::string events_path;  // terrain NDJSON / JSON array, or SendGrid webhook dumps
    std::string labels_path;  // optional: known incidents (or simulate's truth file)
    std::string out_path = "terrain-backtest.html";
    bool progress = false;    // a progress bar on stderr
};

// One series under one detector: every judged window, and the spans it was firing.
struct SeriesTrace {
    std::string metric;
    std::string detector;
    core::Labels labels;
    std::vector<std::int64_t> times;  // window starts
    std::vector<double> values, expected, lower, upper;
    std::vector<std::pair<std::int64_t, std::int64_t>> spans;  // [start, end) firing
};

struct DetectorSummary {
    std::size_t series = 0;           // series judged
    std::size_t alerting_series = 0;
    std::size_t alerts = 0;           // firing spans
    std::optional<double> precision;  // with labels: spans overlapping a labelled incident
    std::optional<double> recall;     // with labels: incidents some span overlapped
};

struct BacktestResult {
    std::size_t events = 0;
    std::size_t late_events = 0;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    std::size_t incidents = 0;
    std::vector<SeriesTrace> alerting;                // series with at least one span
    std::map<std::string, DetectorSummary> detectors;  // "metric/detector"
};

// Reads the events file: terrain's events (NDJSON or a JSON array, as POST /ingest/events),
// SendGrid Event Webhook bodies (a JSON array per line, or one array), or recorded requests
// of any source (`terrain simulate --out`: {"at", "source", "body"} per line). Throws
// std::runtime_error naming the line and the problem.
std::vector<core::Event> read_backtest_events(const std::string& path,
                                                 const core::Config& config);

BacktestResult run_backtest(const core::Config& config, const BacktestOptions& options);

std::string render_backtest_html(const BacktestResult& result, const std::string& title);

}  // namespace terrain::monitor
