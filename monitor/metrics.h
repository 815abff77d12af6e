#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace terrain::monitor {

// The pipeline: windows, series, detectors' findings and exports, the event log and checkpoints.
// Registered once per registry (core::Telemetry::of); the README's metrics table mirrors it.
struct PipelineMetrics {
    explicit PipelineMetrics(prometheus::Registry& registry);
    prometheus::Family<prometheus::Counter>& windows_closed;    // {metric}
    prometheus::Family<prometheus::Counter>& late_events;       // {metric}
    prometheus::Family<prometheus::Counter>& aggregated_events; // {metric}
    prometheus::Family<prometheus::Gauge>& series;              // {metric}
    prometheus::Family<prometheus::Counter>& series_refused;    // {metric}
    prometheus::Family<prometheus::Counter>& series_evicted;    // {metric}
    prometheus::Counter& log_damaged_records;  // event log records skipped as damaged
    prometheus::Family<prometheus::Counter>& findings;          // {metric, detector}
    prometheus::Family<prometheus::Counter>& pair_windows;      // {pair, quadrant}
    prometheus::Family<prometheus::Gauge>& series_value;
    prometheus::Family<prometheus::Gauge>& series_expected;
    prometheus::Family<prometheus::Gauge>& series_lower;
    prometheus::Family<prometheus::Gauge>& series_upper;
    prometheus::Family<prometheus::Gauge>& series_score;
    prometheus::Gauge& series_exported;
    prometheus::Gauge& series_export_limit;
    prometheus::Counter& series_export_refused;
    prometheus::Gauge& watermark_seconds;
    prometheus::Counter& log_replayed_events;
    prometheus::Gauge& log_segments;
    prometheus::Counter& pipeline_events;  // taken into the windows, restored ones included
    prometheus::Family<prometheus::Counter>& checkpoints;  // {result}: saved, failed
    prometheus::Gauge& checkpoint_seconds;      // how long the last checkpoint took
    prometheus::Gauge& checkpoint_hold_seconds;  // how long ingest waited at its door
    prometheus::Gauge& checkpoint_bytes;
    prometheus::Counter& returns;           // contact.return events derived
    prometheus::Gauge& return_customers;    // customers remembered for returns
    prometheus::Counter& return_evictions;  // forgotten early at the capacity
    prometheus::Gauge& send_messages;       // sends remembered for joining their signals
    prometheus::Counter& send_joined;       // events joined to their send by message id
    prometheus::Counter& send_evictions;    // sends forgotten early at the capacity
    prometheus::Family<prometheus::Counter>& unattributed;  // {metric}
    prometheus::Gauge& parked_series;   // quiet series' detector state held in memory
    prometheus::Gauge& parked_bytes;    // its size, against pipeline.parked_bytes
    prometheus::Family<prometheus::Counter>& paged;  // {direction}: out, in (the store)
};

// The configuration: whether the last reload (SIGHUP, POST /-/reload) was taken, as Prometheus
// and Alertmanager report theirs.
struct ConfigMetrics {
    explicit ConfigMetrics(prometheus::Registry& registry);
    prometheus::Gauge& last_reload_successful;       // 1 taken, 0 refused (the old one runs)
    prometheus::Gauge& last_reload_success_seconds;  // when the running one was loaded
};

// The scale-out mode (monitor/cluster.h): which partitions this node owns, how far behind the
// topic each is, and the checkpoints it saves to PostgreSQL.
struct ClusterMetrics {
    explicit ClusterMetrics(prometheus::Registry& registry);
    prometheus::Gauge& partitions_owned;
    prometheus::Family<prometheus::Gauge>& partition_owned;   // {partition}: 1 owned, 0 not
    prometheus::Family<prometheus::Gauge>& consumer_lag;      // {partition}: messages behind
    prometheus::Family<prometheus::Counter>& checkpoints;     // {result}: saved, failed, fenced
    prometheus::Counter& rebalances;
    prometheus::Gauge& kafka_up;     // 1 when a broker answered the last check
    prometheus::Gauge& postgres_up;  // 1 when PostgreSQL answered the last check
    prometheus::Gauge& alerting_leader;      // 1 while this node leads the alerting
    prometheus::Counter& findings_handed;    // findings the leader took from the queue
};

}  // namespace terrain::monitor
