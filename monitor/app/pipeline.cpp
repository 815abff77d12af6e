#include "monitor/app/pipeline.h"

#include <limits>

#include "monitor/duration.h"
#include "monitor/log.h"

namespace terrain::app {

namespace {

struct SeriesDetectors final : monitor::SeriesAttachment {
    std::vector<std::unique_ptr<detectors::Detector>> detectors;
};

}  // namespace

Pipeline::Pipeline(const monitor::Config& config, const detectors::Registry& registry,
                   alerts::AlertManager& alerts, monitor::Intake& intake,
                   monitor::Telemetry& telemetry, const monitor::Clock& clock,
                   monitor::EventLog* log)
    : config_(config),
      alerts_(alerts),
      intake_(intake),
      telemetry_(telemetry),
      clock_(clock),
      log_(log),
      aggregator_(config.metrics, config.pipeline.allowed_lateness_ms),
      reported_(config.metrics.size()) {
    for (const auto& m : aggregator_.metrics()) {
        std::vector<Binding> list;
        for (const auto& d : m.detectors) {
            Binding b;
            b.config = d;
            b.factory = registry.make(d);
            b.findings = &telemetry_.findings.Add({{"metric", m.name}, {"detector", d.name}});
            list.push_back(std::move(b));
        }
        bindings_.push_back(std::move(list));
        windows_closed_.push_back(&telemetry_.windows_closed.Add({{"metric", m.name}}));
        late_.push_back(&telemetry_.late_events.Add({{"metric", m.name}}));
        added_.push_back(&telemetry_.aggregated_events.Add({{"metric", m.name}}));
        refused_.push_back(&telemetry_.series_refused.Add({{"metric", m.name}}));
        series_.push_back(&telemetry_.series.Add({{"metric", m.name}}));
    }
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
    std::vector<monitor::Intake::Batch> batches;
    for (;;) {
        batches.clear();
        if (!intake_.take(batches, std::chrono::milliseconds(1000))) {
            break;
        }
        std::size_t n = 0;
        for (const auto& b : batches) {
            process(b.events);
            n += b.events.size();
        }
        const std::int64_t now = clock_.now_ms();
        if (n > 0) {
            last_arrival_wall_ = now;
            idle_anchor_event_ = aggregator_.max_event_time_ms();
        } else {
            idle_tick();
        }
        intake_.mark_done(n);
        // The status document is for people and probes; a few times a second is plenty.
        if (n == 0 || now - last_status_ms_ >= 250) {
            publish_status();
            last_status_ms_ = now;
            if (log_ != nullptr && aggregator_.max_event_time_ms() !=
                                       std::numeric_limits<std::int64_t>::min()) {
                log_->retire_before(aggregator_.watermark_ms() - log_horizon_ms());
                telemetry_.log_segments.Set(static_cast<double>(log_->segments()));
            }
        }
    }
    publish_status();
}

void Pipeline::process(const std::vector<monitor::Event>& events) {
    for (const auto& e : events) {
        aggregator_.add(e);
        if (aggregator_.window_due()) {
            close_due_windows();
        }
    }
    for (std::size_t m = 0; m < reported_.size(); ++m) {
        const auto& s = aggregator_.stats(m);
        late_[m]->Increment(static_cast<double>(s.late - reported_[m].late));
        added_[m]->Increment(static_cast<double>(s.added - reported_[m].added));
        refused_[m]->Increment(static_cast<double>(s.refused - reported_[m].refused));
        reported_[m] = s;
        series_[m]->Set(static_cast<double>(aggregator_.series_count(m)));
    }
}

std::int64_t Pipeline::log_horizon_ms() const {
    std::int64_t h = 0;
    for (const auto& m : config_.metrics) {
        h = std::max(h, m.span_ms + m.idle_after_ms);
    }
    return h + config_.pipeline.allowed_lateness_ms;
}

void Pipeline::idle_tick() {
    const std::int64_t now = clock_.now_ms();
    const std::int64_t quiet = now - last_arrival_wall_;
    if (quiet < config_.pipeline.idle_flush_ms ||
        aggregator_.max_event_time_ms() == std::numeric_limits<std::int64_t>::min()) {
        return;
    }
    // Let event time advance by the wall time that passed since the last event.
    aggregator_.advance_idle(idle_anchor_event_ + quiet);
    if (aggregator_.window_due()) {
        close_due_windows();
    }
    for (std::size_t m = 0; m < series_.size(); ++m) {
        series_[m]->Set(static_cast<double>(aggregator_.series_count(m)));
    }
}

void Pipeline::close_due_windows() {
    aggregator_.close_windows(
        [this](const monitor::Point& p) { on_point(p); },
        [this](const monitor::MetricConfig& m, const std::string&, const monitor::Labels& labels) {
            alerts_.on_series_idle(m.name, labels);
        });
    telemetry_.watermark_seconds.Set(static_cast<double>(aggregator_.watermark_ms()) / 1000.0);
}

void Pipeline::on_point(const monitor::Point& p) {
    windows_closed_[p.metric_index]->Increment();
    auto& bindings = bindings_[p.metric_index];
    if (bindings.empty()) {
        return;
    }
    auto& attachment = *p.attachment;
    if (!attachment) {
        auto sd = std::make_unique<SeriesDetectors>();
        for (const auto& b : bindings) {
            sd->detectors.push_back(b.factory->create(*p.metric));
        }
        attachment = std::move(sd);
    }
    auto& detectors = static_cast<SeriesDetectors&>(*attachment).detectors;
    for (std::size_t i = 0; i < detectors.size(); ++i) {
        detectors::Verdict v = detectors[i]->observe(p);
        if (!v.evaluated) {
            continue;
        }
        const auto& b = bindings[i];
        if (v.anomalous) {
            b.findings->Increment();
        }
        monitor::Finding f;
        f.metric = p.metric->name;
        f.detector = b.config.name;
        f.detector_type = b.config.type;
        f.severity = b.config.severity;
        f.labels = *p.labels;
        f.window_start_ms = p.window_start_ms;
        f.window_end_ms = p.window_end_ms;
        f.evaluated = true;
        f.anomalous = v.anomalous;
        f.observed = p.value;
        f.expected = v.expected;
        f.lower = v.lower;
        f.upper = v.upper;
        f.score = v.score;
        f.numerator = p.numerator;
        f.denominator = p.denominator;
        f.reason = std::move(v.reason);
        alerts_.on_finding(f);
    }
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
                           {"window", monitor::format_duration_ms(cfg.window_ms)},
                           {"span", monitor::format_duration_ms(cfg.span_ms)}});
    }
    const auto wm = aggregator_.watermark_ms();
    const bool started = wm != std::numeric_limits<std::int64_t>::min();
    nlohmann::json s = {
        {"watermark", started ? nlohmann::json(monitor::format_rfc3339_ms(wm)) : nullptr},
        {"max_event_time",
         started ? nlohmann::json(monitor::format_rfc3339_ms(aggregator_.max_event_time_ms()))
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

}  // namespace terrain::app
