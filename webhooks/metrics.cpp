#include "webhooks/metrics.h"

#include "core/telemetry.h"

namespace terrain::webhooks {

using core::make_family;

IngestMetrics::IngestMetrics(prometheus::Registry& registry)
    : ingest_requests(make_family(prometheus::BuildCounter(), registry, "terrain_ingest_requests_total",
                           "Ingest HTTP requests by source and status code")),
      events_received(make_family(prometheus::BuildCounter(), registry, "terrain_events_received_total",
                           "Events received by source and result (accepted, duplicate, late, "
                           "ignored, rejected)")),
      ingest_errors(make_family(prometheus::BuildCounter(), registry, "terrain_ingest_errors_total",
                         "Refused ingest requests by source and reason")),
      events_refused(make_family(prometheus::BuildCounter(), registry, "terrain_events_refused_total",
                          "Events refused one by one from requests whose other events were "
                          "accepted, by source and reason")) {}

}  // namespace terrain::webhooks
