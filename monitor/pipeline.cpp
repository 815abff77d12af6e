#include "monitor/pipeline.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <limits>

#include "detectors/disagreement.h"
#include "monitor/metrics.h"
#include "core/duration.h"
#include "core/log.h"

namespace terrain::monitor {

namespace {

// Customer signals an anomalous finding carries to its alert's card.
constexpr std::size_t kSignalsShown = 5;

// Prometheus label name for a series label: itself, unless it would clash with terrain's own
// labels or is not a valid Prometheus name.
std::string prometheus_label(const std::string& name) {
    const bool valid = !name.empty() && name.rfind("__", 0) != 0 &&
                       std::all_of(name.begin(), name.end(), [](char c) {
                           return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                       }) &&
                       !std::isdigit(static_cast<unsigned char>(name[0]));
    if (!valid || name == "metric" || name == "detector") {
        std::string out = "label_";
        for (char c : name) {
            out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
        }
        return out;
    }
    return name;
}

// A series' gauges on /metrics: its value and, per detector, expected value, band and score.
// Removed from the registry when the series is dropped (idle) so the export budget frees up.
class SeriesExport final {
public:
    SeriesExport(Pipeline::ExportBudget& budget, const core::MetricConfig& metric,
                 const core::Labels& labels, const std::vector<std::string>& detector_names)
        : budget_(budget) {
        auto& t = budget_.telemetry.of<PipelineMetrics>();
        prometheus::Labels base{{"metric", metric.name}};
        for (const auto& [k, v] : labels) {
            base[prometheus_label(k)] = v;
        }
        value_ = &t.series_value.Add(base);
        for (const auto& name : detector_names) {
            auto with = base;
            with["detector"] = name;
            detectors_.push_back({&t.series_expected.Add(with), &t.series_lower.Add(with),
                                  &t.series_upper.Add(with), &t.series_score.Add(with)});
        }
        ++budget_.used;
        t.series_exported.Set(static_cast<double>(budget_.used));
    }
    ~SeriesExport() {
        auto& t = budget_.telemetry.of<PipelineMetrics>();
        t.series_value.Remove(value_);
        for (const auto& d : detectors_) {
            t.series_expected.Remove(d.expected);
            t.series_lower.Remove(d.lower);
            t.series_upper.Remove(d.upper);
            t.series_score.Remove(d.score);
        }
        --budget_.used;
        t.series_exported.Set(static_cast<double>(budget_.used));
    }
    SeriesExport(const SeriesExport&) = delete;
    SeriesExport& operator=(const SeriesExport&) = delete;

    void value(double v) { value_->Set(v); }
    void verdict(std::size_t detector, const detectors::Verdict& v) {
        const auto& d = detectors_[detector];
        d.expected->Set(v.expected);
        d.lower->Set(v.lower);
        d.upper->Set(v.upper);
        d.score->Set(v.score);
    }

private:
    struct DetectorGauges {
        prometheus::Gauge* expected;
        prometheus::Gauge* lower;
        prometheus::Gauge* upper;
        prometheus::Gauge* score;
    };
    Pipeline::ExportBudget& budget_;
    prometheus::Gauge* value_ = nullptr;
    std::vector<DetectorGauges> detectors_;
};

// What the pipeline keeps beside a series' detectors.
struct SeriesExtra final : core::SeriesAttachment {
    std::unique_ptr<SeriesExport> exported;  // null while the export budget is spent
    bool export_refused = false;             // counted once per series
};

}  // namespace

Pipeline::Pipeline(const core::Config& config, const detectors::Registry& registry,
                   core::FindingSink& alerts, core::Intake& intake,
                   core::Telemetry& telemetry, const core::Clock& clock,
                   core::EventLog* log, core::Store* snapshots)
    : config_(config),
      alerts_(alerts),
      intake_(intake),
      telemetry_(telemetry),
      metrics_(telemetry.of<PipelineMetrics>()),
      clock_(clock),
      log_(log),
      store_(snapshots),
      export_budget_{telemetry, config.pipeline.export_series, 0},
      evaluator_(config.metrics, config.pipeline.allowed_lateness_ms, registry, *this),
      returns_(config.pipeline.return_within_ms, config.pipeline.return_capacity),
      aggregator_(evaluator_.aggregator()),
      reported_(config.metrics.size()) {
    aggregator_.set_send_capacity(config.pipeline.send_capacity);
    for (const auto& m : aggregator_.metrics()) {
        auto& counters = findings_.emplace_back();
        for (const auto& d : m.detectors) {
            counters.push_back(&metrics_.findings.Add({{"metric", m.name}, {"detector", d.name}}));
        }
        windows_closed_.push_back(&metrics_.windows_closed.Add({{"metric", m.name}}));
        late_.push_back(&metrics_.late_events.Add({{"metric", m.name}}));
        added_.push_back(&metrics_.aggregated_events.Add({{"metric", m.name}}));
        refused_.push_back(&metrics_.series_refused.Add({{"metric", m.name}}));
        evicted_.push_back(&metrics_.series_evicted.Add({{"metric", m.name}}));
        unattributed_.push_back(&metrics_.unattributed.Add({{"metric", m.name}}));
        series_.push_back(&metrics_.series.Add({{"metric", m.name}}));
        if (m.pair) {  // every quadrant from zero, so a dashboard shows zeros, not gaps
            for (const char* q : detectors::quadrants()) {
                metrics_.pair_windows.Add({{"pair", m.name}, {"quadrant", q}});
            }
        }
    }
    metrics_.series_export_limit.Set(static_cast<double>(export_budget_.limit));
    evaluator_.set_parking(store_, config.pipeline.parked_bytes);
    if (store_ != nullptr) {
        evaluator_.restore_snapshots(store_->load_snapshots());
        if (evaluator_.pending_snapshots() > 0) {
            core::log_info("pipeline: " + std::to_string(evaluator_.pending_snapshots()) +
                           " series' detector state restored from the last snapshot");
        }
    }
    last_checkpoint_ms_ = clock_.now_ms();
    publish_status();
}

Pipeline::~Pipeline() { stop(); }

void Pipeline::start() {
    running_ = true;
    last_arrival_wall_ = clock_.now_ms();
    thread_ = std::thread([this] { run(); });
}

void Pipeline::stop() {
    if (!thread_.joinable()) {
        return;
    }
    intake_.close();
    thread_.join();
    running_ = false;
}

void Pipeline::run() {
    std::vector<core::Intake::Batch> batches;
    for (;;) {
        batches.clear();
        if (!intake_.take(batches, std::chrono::milliseconds(1000))) {
            break;
        }
        const std::size_t n = take_in(batches);
        const std::int64_t now = clock_.now_ms();
        if (n == 0) {
            idle_tick();
        }
        // The status document is for people and probes; a few times a second is plenty.
        if (n == 0 || now - last_status_ms_ >= 250) {
            publish_status();
            last_status_ms_ = now;
        }
        if (now - last_checkpoint_ms_ >= config_.pipeline.checkpoint_interval_ms) {
            checkpoint();
        }
    }
    publish_status();
    checkpoint();
}

std::size_t Pipeline::take_in(const std::vector<core::Intake::Batch>& batches) {
    std::size_t n = 0;
    for (const auto& b : batches) {
        process(b.events);
        n += b.events.size();
    }
    if (n > 0) {
        last_arrival_wall_ = clock_.now_ms();
        idle_anchor_event_ = aggregator_.max_event_time_ms();
    }
    intake_.mark_done(n);
    return n;
}

void Pipeline::checkpoint() {
    const auto started = std::chrono::steady_clock::now();
    last_checkpoint_ms_ = clock_.now_ms();
    if (store_ == nullptr) {
        return;
    }
    core::Store::Checkpoint c;
    intake_.hold();
    // Everything accepted so far is queued now: take it in, so the state covers the whole log.
    std::vector<core::Intake::Batch> batches;
    intake_.take(batches, std::chrono::milliseconds(0));
    take_in(batches);
    c.log_seq = log_ != nullptr ? log_->next_seq() : 1;
    c.ids = intake_.save_ids();
    c.events = events_;
    intake_.release();
    const auto held = std::chrono::steady_clock::now() - started;
    c.windows = aggregator_.save();
    c.saved_ms = clock_.now_ms();
    try {
        store_->save_checkpoint(c, evaluator_.snapshots());
    } catch (const std::exception& e) {
        metrics_.checkpoints.Add({{"result", "failed"}}).Increment();
        core::log_warn(std::string("pipeline: checkpoint not saved: ") + e.what());
        return;
    }
    if (log_ != nullptr) {
        log_->retire_before(c.log_seq, config_.pipeline.history_bytes);
        metrics_.log_segments.Set(static_cast<double>(log_->segments()));
    }
    metrics_.checkpoints.Add({{"result", "saved"}}).Increment();
    metrics_.checkpoint_bytes.Set(static_cast<double>(c.windows.size() + c.ids.size()));
    metrics_.checkpoint_hold_seconds.Set(std::chrono::duration<double>(held).count());
    metrics_.checkpoint_seconds.Set(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

void Pipeline::restore_windows(std::string_view windows, std::uint64_t events) {
    // The counter counts every event taken in; after a reload it already holds these.
    if (const double counted = metrics_.pipeline_events.Value(); events > counted) {
        metrics_.pipeline_events.Increment(static_cast<double>(events) - counted);
    }
    take_back(windows, events);
}

void Pipeline::take_back(std::string_view windows, std::uint64_t events) {
    events_ = events;
    try {
        for (const auto& name : aggregator_.restore(windows)) {
            core::log_warn("pipeline: metric " + name +
                              " is new or changed since the checkpoint: its windows start empty");
        }
    } catch (const std::exception& e) {
        core::log_error(std::string("pipeline: ") + e.what() + "; every window starts empty");
    }
    report_stats();
}

Pipeline::State Pipeline::state() const {
    return {aggregator_.save(), evaluator_.snapshots(), events_};
}

void Pipeline::restore_state(const State& state) {
    evaluator_.restore_snapshots(state.snapshots);
    // A partition's count is its own; the node's counter counts what this node took in.
    take_back(state.windows, state.events);
}

void Pipeline::tick() {
    idle_tick();
    publish_status();
}

void Pipeline::process(const std::vector<core::Event>& events) {
    events_ += events.size();
    metrics_.pipeline_events.Increment(static_cast<double>(events.size()));
    evaluator_.set_ceiling(clock_.now_ms());
    const std::uint64_t evicted = returns_.evicted();
    for (const auto& e : events) {
        evaluator_.add(e);
        if (auto back = returns_.observe(e)) {
            metrics_.returns.Increment();
            evaluator_.add(*back);
        }
    }
    metrics_.return_evictions.Increment(static_cast<double>(returns_.evicted() - evicted));
    metrics_.return_customers.Set(static_cast<double>(returns_.size()));
    after_windows();
    report_stats();
}

void Pipeline::report_stats() {
    for (std::size_t m = 0; m < reported_.size(); ++m) {
        const auto& s = aggregator_.stats(m);
        late_[m]->Increment(static_cast<double>(s.late - reported_[m].late));
        added_[m]->Increment(static_cast<double>(s.added - reported_[m].added));
        refused_[m]->Increment(static_cast<double>(s.refused - reported_[m].refused));
        evicted_[m]->Increment(static_cast<double>(s.evicted - reported_[m].evicted));
        unattributed_[m]->Increment(static_cast<double>(s.unattributed - reported_[m].unattributed));
        reported_[m] = s;
        series_[m]->Set(static_cast<double>(aggregator_.series_count(m)));
    }
    const auto& sends = aggregator_.sends();
    metrics_.send_joined.Increment(static_cast<double>(sends.joined() - reported_joined_));
    metrics_.send_evictions.Increment(static_cast<double>(sends.evicted() - reported_send_evictions_));
    reported_joined_ = sends.joined();
    reported_send_evictions_ = sends.evicted();
    metrics_.send_messages.Set(static_cast<double>(sends.size()));
    metrics_.parked_series.Set(static_cast<double>(evaluator_.pending_snapshots()));
    metrics_.parked_bytes.Set(static_cast<double>(evaluator_.parked_bytes()));
    metrics_.paged.Add({{"direction", "out"}})
        .Increment(static_cast<double>(evaluator_.paged_out() - reported_paged_out_));
    metrics_.paged.Add({{"direction", "in"}})
        .Increment(static_cast<double>(evaluator_.paged_in() - reported_paged_in_));
    reported_paged_out_ = evaluator_.paged_out();
    reported_paged_in_ = evaluator_.paged_in();
}

void Pipeline::idle_tick() {
    const std::int64_t now = clock_.now_ms();
    const std::int64_t quiet = now - last_arrival_wall_;
    if (quiet < config_.pipeline.idle_flush_ms ||
        aggregator_.max_event_time_ms() == std::numeric_limits<std::int64_t>::min()) {
        return;
    }
    // Let event time advance by the wall time that passed since the last event.
    evaluator_.set_ceiling(now);
    evaluator_.advance_idle(idle_anchor_event_ + quiet);
    after_windows();
    for (std::size_t m = 0; m < series_.size(); ++m) {
        series_[m]->Set(static_cast<double>(aggregator_.series_count(m)));
    }
}

void Pipeline::after_windows() {
    deliver_findings();
    metrics_.watermark_seconds.Set(static_cast<double>(aggregator_.watermark_ms()) / 1000.0);
}

void Pipeline::on_series_idle(const core::MetricConfig& metric, const core::Labels& labels,
                              detectors::SeriesEvaluation* kept) {
    deliver_findings();  // what the series showed before it went quiet comes first
    alerts_.on_series_idle(metric.name, labels);
    // A quiet series gives its export slot back; it asks again when it has data.
    if (kept != nullptr && kept->extra != nullptr) {
        auto& extra = static_cast<SeriesExtra&>(*kept->extra);
        extra.exported.reset();
        extra.export_refused = false;
    }
}

void Pipeline::on_series(const core::Point&, detectors::SeriesEvaluation& series) {
    series.extra = std::make_unique<SeriesExtra>();
}

void Pipeline::on_window(const core::Point& p, detectors::SeriesEvaluation& series) {
    windows_closed_[p.metric_index]->Increment();
    auto& extra = static_cast<SeriesExtra&>(*series.extra);
    if (!extra.exported) {
        // A series gets an export slot when one is free, also later when another series is
        // dropped.
        if (export_budget_.used < export_budget_.limit) {
            std::vector<std::string> names;
            for (const auto& d : p.metric->detectors) {
                names.push_back(d.name);
            }
            extra.exported =
                std::make_unique<SeriesExport>(export_budget_, *p.metric, *p.labels, names);
        } else if (!extra.export_refused) {
            extra.export_refused = true;
            metrics_.series_export_refused.Increment();
        }
    }
    if (extra.exported) {
        extra.exported->value(p.value);
    }
}

void Pipeline::on_verdict(const core::Point& p, detectors::SeriesEvaluation& series,
                          std::size_t detector, detectors::Verdict& v) {
    auto& extra = static_cast<SeriesExtra&>(*series.extra);
    if (extra.exported) {
        extra.exported->verdict(detector, v);
    }
    if (v.anomalous) {
        findings_[p.metric_index][detector]->Increment();
    }
    const auto& d = evaluator_.detector(p.metric_index, detector);
    core::Finding f;
    static_cast<core::Evidence&>(f) = std::move(v);
    f.metric = p.metric->name;
    f.family = p.metric->family;
    f.detector = d.name;
    f.detector_type = d.type;
    f.severity = d.severity;
    f.team = p.metric->team;
    f.action = p.metric->action;
    f.labels = *p.labels;
    f.window_start_ms = p.window_start_ms;
    f.window_end_ms = p.window_end_ms;
    f.send_start_ms = p.send_start_ms;
    f.send_end_ms = p.send_end_ms;
    f.sent = p.sent;
    f.evaluated = true;
    f.anomalous = v.anomalous;
    if (f.anomalous) {
        f.signals = aggregator_.recent_signals(p.metric_index, *p.labels, kSignalsShown);
    }
    if (p.metric->pair) {
        if (!f.quadrant.empty()) {
            metrics_.pair_windows.Add({{"pair", p.metric->name}, {"quadrant", f.quadrant}})
                .Increment();
        }
        f.pair = &*p.metric->pair;
    }
    judged_.push_back(std::move(f));
}

void Pipeline::deliver_findings() {
    std::stable_sort(judged_.begin(), judged_.end(),
                     [](const core::Finding& a, const core::Finding& b) {
                         return a.window_end_ms != b.window_end_ms
                                    ? a.window_end_ms < b.window_end_ms
                                    : (a.pair != nullptr) > (b.pair != nullptr);
                     });
    for (const auto& f : judged_) {
        alerts_.on_finding(f);
    }
    judged_.clear();
}

void Pipeline::publish_status() {
    nlohmann::json metrics = nlohmann::json::array();
    for (std::size_t m = 0; m < aggregator_.metrics().size(); ++m) {
        const auto& cfg = aggregator_.metrics()[m];
        const auto& s = aggregator_.stats(m);
        metrics.push_back({{"name", cfg.name},
                           {"series", aggregator_.series_count(m)},
                           {"late_events", s.late},
                           {"refused_events", s.refused},
                           {"window", core::format_duration_ms(cfg.window_ms)},
                           {"span", core::format_duration_ms(cfg.span_ms)}});
    }
    const auto wm = aggregator_.watermark_ms();
    const bool started = wm != std::numeric_limits<std::int64_t>::min();
    nlohmann::json s = {
        {"watermark", started ? nlohmann::json(core::format_rfc3339_ms(wm)) : nullptr},
        {"max_event_time",
         started ? nlohmann::json(core::format_rfc3339_ms(aggregator_.max_event_time_ms()))
                 : nullptr},
        {"queue_events", intake_.queued_events()},
        {"queue_capacity", intake_.capacity()},
        {"metrics", metrics}};
    std::lock_guard lock(status_mutex_);
    status_ = std::move(s);
}

nlohmann::json Pipeline::status() const {
    std::lock_guard lock(status_mutex_);
    return status_;
}

}  // namespace terrain::monitor
