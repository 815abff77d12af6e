#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace terrain::core {

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
    prometheus::Family<prometheus::Counter>& events_refused;    // {source, reason}
    prometheus::Family<prometheus::Counter>& windows_closed;    // {metric}
    prometheus::Family<prometheus::Counter>& late_events;       // {metric}
    prometheus::Family<prometheus::Counter>& aggregated_events; // {metric}
    prometheus::Family<prometheus::Gauge>& series;              // {metric}
    prometheus::Family<prometheus::Counter>& series_refused;    // {metric}
    prometheus::Family<prometheus::Counter>& series_evicted;    // {metric}
    prometheus::Counter& log_damaged_records;  // event log records skipped as damaged
    prometheus::Family<prometheus::Counter>& findings;          // {metric, detector}
    prometheus::Family<prometheus::Counter>& pair_windows;      // {pair, quadrant}
    prometheus::Family<prometheus::Gauge>& alerts;              // {state, severity, team}
    prometheus::Family<prometheus::Counter>& notifications;     // {receiver, result}
    prometheus::Family<prometheus::Histogram>& notify_latency;  // {receiver}
    prometheus::Family<prometheus::Gauge>& dead_letters;        // {receiver}
    // Series under watch, bounded by pipeline.export_series. Labels: metric, the series'
    // group-by labels, and detector for the detector's view.
    prometheus::Family<prometheus::Gauge>& series_value;
    prometheus::Family<prometheus::Gauge>& series_expected;
    prometheus::Family<prometheus::Gauge>& series_lower;
    prometheus::Family<prometheus::Gauge>& series_upper;
    prometheus::Family<prometheus::Gauge>& series_score;
    prometheus::Gauge& series_exported;
    prometheus::Gauge& series_export_limit;
    prometheus::Counter& series_export_refused;
    // People acting on alerts.
    prometheus::Family<prometheus::Counter>& actions;             // {action, result}
    prometheus::Family<prometheus::Counter>& feedback;            // {metric, detector, verdict}
    prometheus::Family<prometheus::Histogram>& time_to_ack;       // {severity}
    prometheus::Family<prometheus::Histogram>& time_to_action;    // {severity}
    static const prometheus::Histogram::BucketBoundaries& human_buckets();
    prometheus::Family<prometheus::Counter>& interactions;   // {platform, result}
    prometheus::Family<prometheus::Counter>& overrides;      // {action, result}
    prometheus::Family<prometheus::Histogram>& override_latency;  // {action}
    prometheus::Family<prometheus::Counter>& escalations;    // {receiver}
    prometheus::Gauge& queue_events;
    prometheus::Gauge& queue_capacity;
    prometheus::Gauge& watermark_seconds;
    prometheus::Gauge& notify_queue;
    prometheus::Counter& log_replayed_events;
    prometheus::Gauge& log_segments;
    prometheus::Counter& pipeline_events;  // taken into the windows, restored ones included
    prometheus::Family<prometheus::Counter>& checkpoints;  // {result}: saved, failed
    prometheus::Gauge& checkpoint_seconds;      // how long the last checkpoint took
    prometheus::Gauge& checkpoint_hold_seconds;  // how long ingest waited at its door
    prometheus::Gauge& checkpoint_bytes;
};

}  // namespace terrain::core
