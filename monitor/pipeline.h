#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/manager.h"
#include "detectors/detector.h"
#include "detectors/evaluator.h"
#include "core/returns.h"
#include "monitor/metrics.h"
#include "core/aggregator.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/event_log.h"
#include "core/store.h"
#include "core/intake.h"
#include "core/telemetry.h"

namespace terrain::monitor {

// The pipeline thread: takes accepted batches from the Intake, adds each event to the
// aggregator, closes windows as soon as the watermark passes them (checked after every event,
// so the result does not depend on how events were batched), runs each series' detectors on
// every closed window and hands findings to the alert manager. When no event has arrived for
// `idle_flush`, event time follows the wall clock so a quiet stream still closes its windows.
//
// start()/stop() from the owning thread; status() from any thread.
class Pipeline final : private detectors::EvaluationSink {
public:
    Pipeline(const core::Config& config, const detectors::Registry& registry,
             core::FindingSink& alerts, core::Intake& intake, core::Telemetry& telemetry,
             const core::Clock& clock, core::EventLog* log = nullptr,
             core::Store* snapshots = nullptr);

    ~Pipeline();
    Pipeline(const Pipeline&) = delete;
    Pipeline& operator=(const Pipeline&) = delete;

    void start();
    // Stops taking new batches, processes what was accepted, then returns.
    void stop();
    bool running() const { return running_.load(); }
    nlohmann::json status() const;

    // Processes events synchronously on the caller's thread (replays and tests); not to be
    // mixed with start().
    void process(const std::vector<core::Event>& events);

    // Saves a checkpoint to the store: every series' windows and detector state and the memory
    // of event ids, consistent with the event log's records before its position, then deletes
    // the log segments it covers. Done every pipeline.checkpoint_interval while running and on
    // stop. Ingest waits at the door while the pipeline catches up with what the log holds
    // (milliseconds: one log write and the queued batches), not while the state is written.
    void checkpoint();
    // Start-up, before the log replay: takes back the windows of a checkpoint (detector state
    // comes from the store's snapshots when each series is next seen; a series restored from a
    // snapshot is not fed the windows its state has already seen).
    void restore_windows(std::string_view windows, std::uint64_t events);

    // One partition's pipeline in the scale-out mode (monitor/cluster.h) is driven by the
    // node's consumer through process() and tick(), and its state is saved with the partition's
    // offset by the node: state() is everything a checkpoint holds but the event ids,
    // restore_state() takes it back before the first event.
    struct State {
        std::string windows;
        std::vector<core::Store::Snapshot> snapshots;
        std::uint64_t events = 0;
    };
    State state() const;
    void restore_state(const State& state);
    // What the thread does when no batch came: lets event time follow the wall clock on a quiet
    // stream and publishes the status.
    void tick();

    // How many series are exported on /metrics; declared before the aggregator because the
    // series' export slots (owned by the aggregator) give their place back on destruction.
    struct ExportBudget {
        core::Telemetry& telemetry;
        std::size_t limit = 0;
        std::size_t used = 0;
    };

private:
    // The evaluator's sink: exports, counters and findings for the alert manager.
    void on_series(const core::Point& p, detectors::SeriesEvaluation& series) override;
    void on_window(const core::Point& p, detectors::SeriesEvaluation& series) override;
    void on_verdict(const core::Point& p, detectors::SeriesEvaluation& series,
                    std::size_t detector, detectors::Verdict& v) override;
    void on_series_idle(const core::MetricConfig& metric, const core::Labels& labels,
                        detectors::SeriesEvaluation* kept) override;
    void run();
    void take_back(std::string_view windows, std::uint64_t events);
    void after_windows();
    // Hands the findings of the windows just closed to the alert manager: by window, and in
    // each window pairs first, so that an incident a pair explains is headed by the pair and
    // the single metrics that saw it in the same window join it.
    void deliver_findings();
    // Processes batches taken from the intake, marks them done; returns their event count.
    std::size_t take_in(const std::vector<core::Intake::Batch>& batches);
    void idle_tick();
    void publish_status();
    void report_stats();

    const core::Config& config_;
    core::FindingSink& alerts_;
    core::Intake& intake_;
    core::Telemetry& telemetry_;
    PipelineMetrics& metrics_;
    const core::Clock& clock_;
    core::EventLog* log_;
    core::Store* store_;
    std::int64_t last_checkpoint_ms_ = 0;
    std::uint64_t events_ = 0;  // taken into the windows, all told (see pipeline_events)
    std::vector<core::Finding> judged_;  // findings not yet delivered (deliver_findings)
    ExportBudget export_budget_;
    detectors::Evaluator evaluator_;
    core::ReturnTracker returns_;
    core::Aggregator& aggregator_;                       // the evaluator's
    std::vector<std::vector<prometheus::Counter*>> findings_;  // per metric and detector
    std::vector<prometheus::Counter*> windows_closed_;
    std::vector<prometheus::Counter*> late_;
    std::vector<prometheus::Counter*> added_;
    std::vector<prometheus::Counter*> refused_;
    std::vector<prometheus::Counter*> evicted_;
    std::vector<prometheus::Counter*> unattributed_;
    std::vector<prometheus::Gauge*> series_;
    std::vector<core::AggregatorStats> reported_;
    std::uint64_t reported_joined_ = 0;
    std::uint64_t reported_send_evictions_ = 0;
    std::uint64_t reported_paged_out_ = 0;
    std::uint64_t reported_paged_in_ = 0;
    std::int64_t last_arrival_wall_ = 0;
    std::int64_t idle_anchor_event_ = 0;
    std::int64_t last_status_ms_ = 0;
    std::thread thread_;
    std::atomic<bool> running_{false};
    mutable std::mutex status_mutex_;
    nlohmann::json status_;
};

}  // namespace terrain::monitor
