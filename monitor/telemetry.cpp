#include "monitor/telemetry.h"

#include <prometheus/text_serializer.h>

namespace terrain::monitor {

namespace {

template <typename Builder>
auto& make(Builder builder, prometheus::Registry& r, const char* name, const char* help) {
    return builder.Name(name).Help(help).Register(r);
}

}  // namespace

Telemetry::Telemetry()
    : registry(std::make_shared<prometheus::Registry>()),
      ingest_requests(make(prometheus::BuildCounter(), *registry, "terrain_ingest_requests_total",
                           "Ingest HTTP requests by source and status code")),
      events_received(make(prometheus::BuildCounter(), *registry, "terrain_events_received_total",
                           "Events received by source and result (accepted, duplicate, late, "
                           "ignored, rejected)")),
      ingest_errors(make(prometheus::BuildCounter(), *registry, "terrain_ingest_errors_total",
                         "Refused ingest requests by source and reason")),
      windows_closed(make(prometheus::BuildCounter(), *registry, "terrain_windows_closed_total",
                          "Event-time windows closed, summed over series, by metric")),
      late_events(make(prometheus::BuildCounter(), *registry, "terrain_late_events_total",
                       "Events that arrived after their window closed, by metric")),
      aggregated_events(make(prometheus::BuildCounter(), *registry,
                             "terrain_aggregated_events_total",
                             "Events counted into a window, by metric (including replay)")),
      series(make(prometheus::BuildGauge(), *registry, "terrain_series",
                  "Series currently under watch, by metric")),
      series_refused(make(prometheus::BuildCounter(), *registry, "terrain_series_refused_total",
                          "Events refused because their metric reached max_series, by metric")),
      findings(make(prometheus::BuildCounter(), *registry, "terrain_findings_total",
                    "Anomalous points reported by detectors, by metric and detector")),
      alerts(make(prometheus::BuildGauge(), *registry, "terrain_alerts",
                  "Alerts by state and severity")),
      notifications(make(prometheus::BuildCounter(), *registry, "terrain_notifications_total",
                         "Notification attempts by receiver and result (sent, retried, failed)")),
      notify_latency(make(prometheus::BuildHistogram(), *registry,
                          "terrain_notification_duration_seconds",
                          "Time from alert change to delivered notification, by receiver")),
      queue_events(make(prometheus::BuildGauge(), *registry, "terrain_pipeline_queue_events",
                        "Events waiting in the pipeline queue")
                       .Add({})),
      queue_capacity(make(prometheus::BuildGauge(), *registry,
                          "terrain_pipeline_queue_capacity_events",
                          "Capacity of the pipeline queue in events")
                         .Add({})),
      watermark_seconds(make(prometheus::BuildGauge(), *registry,
                             "terrain_event_time_watermark_seconds",
                             "Event-time watermark (highest event time minus allowed lateness)")
                            .Add({})),
      notify_queue(make(prometheus::BuildGauge(), *registry, "terrain_notification_queue",
                        "Notifications waiting to be sent")
                       .Add({})),
      log_replayed_events(make(prometheus::BuildCounter(), *registry,
                               "terrain_event_log_replayed_events_total",
                               "Events read back from the event log at start")
                              .Add({})),
      log_segments(make(prometheus::BuildGauge(), *registry, "terrain_event_log_segments",
                        "Segment files in the event log")
                       .Add({})) {
    make(prometheus::BuildGauge(), *registry, "terrain_build_info",
         "terrain version and revision; always 1")
        .Add({{"version", TERRAIN_VERSION}, {"revision", TERRAIN_REVISION}})
        .Set(1);
}

std::string Telemetry::serialize() const {
    return prometheus::TextSerializer().Serialize(registry->Collect());
}

}  // namespace terrain::monitor
