#pragma once

#include <cstdint>
#include <limits>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/aggregator.h"
#include "core/config.h"
#include "core/store.h"
#include "detectors/detector.h"

namespace terrain::detectors {

// One series' detectors, made when its first window closes, and whatever its owner keeps
// beside them (the live pipeline its exported gauges, a backtest its traces).
struct SeriesEvaluation final : core::SeriesAttachment {
    std::vector<std::unique_ptr<Detector>> detectors;
    std::int64_t fed_until_ms = std::numeric_limits<std::int64_t>::min();  // last window fed
    std::unique_ptr<core::SeriesAttachment> extra;
};

// What the evaluator tells the one who drives it. Called on the driving thread.
class EvaluationSink {
public:
    virtual ~EvaluationSink() = default;
    // A series' first closed window: its detectors are made (and restored, see snapshots).
    virtual void on_series(const core::Point& /*point*/, SeriesEvaluation& /*series*/) {}
    // Every closed window, before its detectors see it (also one a restored state has seen).
    virtual void on_window(const core::Point& /*point*/, SeriesEvaluation& /*series*/) {}
    // One detector's evaluated verdict on a window it had not seen before.
    virtual void on_verdict(const core::Point& point, SeriesEvaluation& series,
                            std::size_t detector, Verdict& verdict) = 0;
    // A series dropped for idleness (its alerts may resolve).
    // `kept`: the series stays (quiet, its state kept) or, null, is dropped.
    virtual void on_series_idle(const core::MetricConfig& /*metric*/,
                                const core::Labels& /*labels*/, SeriesEvaluation* /*kept*/) {}
};

// The one evaluation path: events into event-time windows (core::Aggregator), each closed
// window into every detector of its metric, verdicts out. The live pipeline, `terrain
// backtest` and `terrain eval` all drive this class, so a backtest is the live path by
// construction. Snapshots of detector state restore a series when it is next seen; a window
// the restored state has already seen is shown (on_window) but not fed again.
//
// Not thread-safe: owned and driven by one thread.
class Evaluator final {
public:
    // Throws core::ConfigError when a detector's configuration is refused.
    Evaluator(const std::vector<core::MetricConfig>& metrics, std::int64_t allowed_lateness_ms,
              const Registry& registry, EvaluationSink& sink);

    // Adds one event; closes every window the watermark has passed.
    void add(const core::Event& event);
    // Lets event time follow the wall clock on a quiet stream (see core::Aggregator).
    void advance_idle(std::int64_t event_time_ms);
    void set_ceiling(std::int64_t event_time_ms) { aggregator_.set_ceiling(event_time_ms); }
    // Judges a point that did not come from events (a NAB series): `slot` holds its series'
    // evaluation between calls.
    void judge(core::Point point, std::unique_ptr<core::SeriesAttachment>& slot);

    // Detector state of every series seen, as the store keeps it; series restored but not seen
    // since keep theirs.
    std::vector<core::Store::Snapshot> snapshots() const;
    void restore_snapshots(std::vector<core::Store::Snapshot> snapshots);
    std::size_t pending_snapshots() const { return restored_.size(); }
    // Series dropped from memory keep their detectors' state as a snapshot (saved with every
    // checkpoint) until they come back, in memory up to `budget_bytes`; past it the longest
    // unseen are paged out to `store` (read back when they return) or, without a store (a
    // backtest), forgotten.
    void set_parking(core::Store* store, std::size_t budget_bytes);
    std::size_t parked_bytes() const { return parked_bytes_; }
    std::uint64_t paged_out() const { return paged_out_; }
    std::uint64_t paged_in() const { return paged_in_; }

    const core::DetectorConfig& detector(std::size_t metric_index, std::size_t i) const {
        return bindings_[metric_index][i].config;
    }
    core::Aggregator& aggregator() { return aggregator_; }
    const core::Aggregator& aggregator() const { return aggregator_; }

private:
    struct Binding {
        core::DetectorConfig config;
        std::unique_ptr<DetectorFactory> factory;
    };
    void close_due();
    void on_point(const core::Point& point);
    void restore(SeriesEvaluation& series, const core::MetricConfig& metric,
                 const std::string& series_key);

    core::Aggregator aggregator_;
    EvaluationSink& sink_;
    std::vector<std::vector<Binding>> bindings_;  // per metric
    std::unordered_map<std::string, core::Store::Snapshot> restored_;  // metric \x1f series
    core::Store* pager_ = nullptr;
    std::size_t parked_budget_ = core::PipelineConfig().parked_bytes;  // the configured default
    std::size_t parked_bytes_ = 0;  // restored_'s footprint, roughly
    bool paged_any_ = false;        // whether the store may hold paged snapshots
    std::uint64_t paged_out_ = 0;
    std::uint64_t paged_in_ = 0;
    std::set<std::string> changed_;  // "metric/detector" whose parameters changed (logged once)
    // The dropped series' state into restored_; past the budget, the longest unseen out.
    void park_dropped();
    void park(std::string key, core::Store::Snapshot snapshot);
    void unpark(std::unordered_map<std::string, core::Store::Snapshot>::iterator it);
    void trim_parked();
    core::Store::Snapshot snapshot_of(const core::MetricConfig& metric, const std::string& key,
                                      const SeriesEvaluation& series) const;
};

}  // namespace terrain::detectors
