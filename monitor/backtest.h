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

// A known incident (a labels file): when, and the labels of what it was about. It is matched
// to series by their labels, not by a metric's name, so it scores any metric that watches it.
struct Incident {
    core::Labels labels;
    std::int64_t start = 0;
    std::int64_t end = 0;
};

// One firing span of one series: [start, end) in event time, and against the labels file
// whether it was about a known incident (true positive) and how long after its start it fired.
struct AlertSpan {
    std::int64_t start = 0;
    std::int64_t end = 0;
    std::optional<bool> true_positive;       // with labels
    // True positives: from the incident's start to the end of the window it fired on.
    std::optional<std::int64_t> delay_ms;
};

// One series under one detector: every judged window, and the spans it was firing.
struct SeriesTrace {
    std::string metric;
    std::string detector;
    std::string detector_type;
    bool ratio = false;  // values are fractions (shown as percentages)
    std::int64_t window_ms = 0;  // a window's length: an alert fires when its window closes
    core::Labels labels;
    std::vector<std::int64_t> times;  // window starts
    std::vector<double> values, expected, lower, upper;
    std::vector<AlertSpan> spans;
    std::vector<std::size_t> incidents;  // the labelled incidents about this series
};

struct DetectorSummary {
    std::size_t series = 0;           // series judged
    std::size_t alerting_series = 0;
    std::size_t alerts = 0;           // firing spans
    std::optional<double> precision;  // with labels: spans overlapping a labelled incident
    std::optional<double> recall;     // with labels: incidents (about series it judged) found
    std::optional<std::int64_t> median_delay_ms;  // from an incident's start to its first alert
};

struct BacktestResult {
    std::size_t events = 0;
    std::size_t late_events = 0;
    std::int64_t first_ms = 0;
    std::int64_t last_ms = 0;
    std::vector<Incident> incidents;
    std::size_t found = 0;  // incidents some alert of some detector overlapped
    std::vector<SeriesTrace> alerting;                // series with at least one span
    std::map<std::string, DetectorSummary> detectors;  // "metric/detector"
    // Metrics no detector judged a window of, with the events their filters counted: a filter
    // that matches nothing, or too little history for the detectors to judge.
    std::vector<std::pair<std::string, std::uint64_t>> unjudged;
};

// Whether an incident is about a series: they share a label and disagree on none.
bool about(const Incident& incident, const core::Labels& series);

// Reads the events file: terrain's events (NDJSON or a JSON array, as POST /ingest/events),
// SendGrid Event Webhook bodies (a JSON array per line, or one array), or recorded requests
// of any source (`terrain simulate --out`: {"at", "source", "body"} per line). Throws
// std::runtime_error naming the line and the problem.
std::vector<core::Event> read_backtest_events(const std::string& path,
                                                 const core::Config& config);

BacktestResult run_backtest(const core::Config& config, const BacktestOptions& options);
// The same on events already read (sorted here by event time), scored against `incidents`.
BacktestResult backtest_events(const core::Config& config, std::vector<core::Event> events,
                               std::vector<Incident> incidents, bool progress);

std::string render_backtest_html(const BacktestResult& result, const std::string& title);

}  // namespace terrain::monitor
