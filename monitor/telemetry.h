#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace terrain::monitor {

// terrain's own Prometheus metrics, shared by every stage. Families are created once here so
// that names, help texts and label sets live in one place (the README's metrics table mirrors
// this file). Thread-safe: prometheus-cpp families and metrics are.
class Telemetry final {
public:
    Telemetry();

    std::string serialize() const;  // Prometheus text exposition format 0.0.4

    std::shared_ptr<prometheus::Registry> registry;
    prometheus::Family<prometheus::Counter>& ingest_requests;   // {source, code}
    prometheus::Family<prometheus::Counter>& events_received;   // {source, result}
    prometheus::Family<prometheus::Counter>& ingest_errors;     // {source, reason}
    prometheus::Family<prometheus::Counter>& windows_closed;    // {metric}
    prometheus::Family<prometheus::Counter>& late_events;       // {metric}
    prometheus::Family<prometheus::Counter>& aggregated_events; // {metric}
    prometheus::Family<prometheus::Gauge>& series;              // {metric}
    prometheus::Family<prometheus::Counter>& series_refused;    // {metric}
    prometheus::Family<prometheus::Counter>& findings;          // {metric, detector}
    prometheus::Family<prometheus::Gauge>& alerts;              // {state, severity}
    prometheus::Family<prometheus::Counter>& notifications;     // {receiver, result}
    prometheus::Family<prometheus::Histogram>& notify_latency;  // {receiver}
    prometheus::Gauge& queue_events;
    prometheus::Gauge& queue_capacity;
    prometheus::Gauge& watermark_seconds;
    prometheus::Gauge& notify_queue;
    prometheus::Counter& log_replayed_events;
    prometheus::Gauge& log_segments;
};

}  // namespace terrain::monitor
