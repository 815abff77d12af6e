#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace terrain::webhooks {

// What comes in over /ingest: requests, events and refusals by source.
// Registered once per registry (core::Telemetry::of); the README's metrics table mirrors it.
struct IngestMetrics {
    explicit IngestMetrics(prometheus::Registry& registry);
    prometheus::Family<prometheus::Counter>& ingest_requests;   // {source, code}
    prometheus::Family<prometheus::Counter>& events_received;   // {source, result}
    prometheus::Family<prometheus::Counter>& ingest_errors;     // {source, reason}
    prometheus::Family<prometheus::Counter>& events_refused;    // {source, reason}
};

}  // namespace terrain::webhooks
