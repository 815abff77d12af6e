#pragma once

#include "core/config.h"
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace terrain::alerts {

// Alerts, their notifications, and what people did about them.
// Registered once per registry (core::Telemetry::of); the README's metrics table mirrors it.
struct AlertMetrics {
    explicit AlertMetrics(prometheus::Registry& registry);
    prometheus::Family<prometheus::Gauge>& alerts;              // {state, severity, team}
    prometheus::Family<prometheus::Counter>& notifications;     // {receiver, result}
    prometheus::Family<prometheus::Histogram>& notify_latency;  // {receiver}
    prometheus::Family<prometheus::Gauge>& dead_letters;        // {receiver}
    prometheus::Gauge& notify_queue;
    prometheus::Family<prometheus::Counter>& escalations;    // {receiver}
    prometheus::Family<prometheus::Counter>& actions;             // {action, result}
    prometheus::Family<prometheus::Counter>& feedback;            // {metric, detector, verdict}
    prometheus::Family<prometheus::Histogram>& time_to_ack;       // {severity}
    prometheus::Family<prometheus::Histogram>& time_to_action;    // {severity}
    prometheus::Family<prometheus::Counter>& interactions;   // {platform, result}
    prometheus::Family<prometheus::Counter>& overrides;      // {action, result}
    prometheus::Family<prometheus::Histogram>& override_latency;  // {action}
    prometheus::Family<prometheus::Counter>& not_a_problem;  // {metric, detector, reason}
    static const prometheus::Histogram::BucketBoundaries& human_buckets();
    // Every series a configuration can produce is exported from the start at zero, so
    // Prometheus' increase() counts the first acknowledgement and the first verdict.
    void start_at_zero(const core::Config& config);
};

}  // namespace terrain::alerts
