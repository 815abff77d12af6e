#include "core/telemetry.h"

#include <prometheus/text_serializer.h>

namespace terrain::core {

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
      events_refused(make(prometheus::BuildCounter(), *registry, "terrain_events_refused_total",
                          "Events refused one by one from requests whose other events were "
                          "accepted, by source and reason")),
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
      series_evicted(make(prometheus::BuildCounter(), *registry, "terrain_series_evicted_total",
                          "Series without history dropped at the series cap to make room for "
                          "new ones, by metric")),
      log_damaged_records(make(prometheus::BuildCounter(), *registry,
                               "terrain_event_log_damaged_records_total",
                               "Event log records found damaged at start and skipped (their "
                               "events are lost; the segment is kept in log/damaged)")
                              .Add({})),
      findings(make(prometheus::BuildCounter(), *registry, "terrain_findings_total",
                    "Anomalous points reported by detectors, by metric and detector")),
      pair_windows(make(prometheus::BuildCounter(), *registry, "terrain_pair_windows_total",
                        "Windows judged per pair, by quadrant of the CX efficiency matrix")),
      alerts(make(prometheus::BuildGauge(), *registry, "terrain_alerts",
                  "Alerts by state and severity")),
      notifications(make(prometheus::BuildCounter(), *registry, "terrain_notifications_total",
                         "Notification attempts by receiver and result (sent, retried, failed)")),
      notify_latency(make(prometheus::BuildHistogram(), *registry,
                          "terrain_notification_duration_seconds",
                          "Time from an alert change (a finding firing or resolving it, or a "
                          "person acting on it) to the receiver confirming delivery, by receiver")),
      dead_letters(make(prometheus::BuildGauge(), *registry, "terrain_dead_letters",
                        "Deliveries that failed after every retry and wait in the dead-letter "
                        "list (GET /api/v1/dead-letters), by receiver")),
      series_value(make(prometheus::BuildGauge(), *registry, "terrain_series_value",
                        "Value of the latest closed window of each exported series")),
      series_expected(make(prometheus::BuildGauge(), *registry, "terrain_series_expected_value",
                           "Value the detector expected for the latest window, by series and "
                           "detector")),
      series_lower(make(prometheus::BuildGauge(), *registry, "terrain_series_band_lower",
                        "Lower edge of the detector's normal band for the latest window")),
      series_upper(make(prometheus::BuildGauge(), *registry, "terrain_series_band_upper",
                        "Upper edge of the detector's normal band for the latest window")),
      series_score(make(prometheus::BuildGauge(), *registry, "terrain_series_anomaly_score",
                        "Detector's anomaly score for the latest window (above 1 is anomalous "
                        "for score-based detectors)")),
      series_exported(make(prometheus::BuildGauge(), *registry, "terrain_series_exported",
                           "Series whose value, band and score are exported")
                          .Add({})),
      series_export_limit(make(prometheus::BuildGauge(), *registry,
                               "terrain_series_export_limit",
                               "Most series exported at once (pipeline.export_series)")
                              .Add({})),
      series_export_refused(make(prometheus::BuildCounter(), *registry,
                                 "terrain_series_export_refused_total",
                                 "Series watched but not exported because the export limit "
                                 "was reached")
                                .Add({})),
      actions(make(prometheus::BuildCounter(), *registry, "terrain_actions_total",
                   "Actions people took on alerts, by action and result (done, refused)")),
      feedback(make(prometheus::BuildCounter(), *registry, "terrain_feedback_total",
                    "Verdicts people gave on alerts (confirmed, not_a_problem), by metric and "
                    "detector")),
      time_to_ack(make(prometheus::BuildHistogram(), *registry,
                       "terrain_alert_time_to_acknowledge_seconds",
                       "Time from an alert firing to a person acknowledging it, by severity")),
      time_to_action(make(prometheus::BuildHistogram(), *registry,
                          "terrain_alert_time_to_first_action_seconds",
                          "Time from an alert firing to the first action a person took on it, "
                          "by severity")),
      interactions(make(prometheus::BuildCounter(), *registry, "terrain_interactions_total",
                        "Button clicks received from chat and the inbox, by platform and "
                        "result (accepted, refused, bad_signature, stale, replayed, bad_request)")),
      overrides(make(prometheus::BuildCounter(), *registry, "terrain_overrides_total",
                     "Override actions run against the MAP or ESP, by action and result "
                     "(done, failed, reverted, revert_failed, already)")),
      override_latency(make(prometheus::BuildHistogram(), *registry,
                            "terrain_override_latency_seconds",
                            "Time from a click being accepted to the MAP's answer, by action")),
      escalations(make(prometheus::BuildCounter(), *registry, "terrain_escalations_total",
                       "Alerts escalated because nobody acknowledged them in time, by the "
                       "receiver escalated to")),
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
                       .Add({})),
      pipeline_events(make(prometheus::BuildCounter(), *registry,
                           "terrain_pipeline_events_total",
                           "Events taken into the windows since the data directory began: "
                           "those in the restored checkpoint, replayed and new")
                          .Add({})),
      checkpoints(make(prometheus::BuildCounter(), *registry, "terrain_checkpoints_total",
                       "Checkpoints of windows, event ids and detector state, by result")),
      checkpoint_seconds(make(prometheus::BuildGauge(), *registry,
                              "terrain_checkpoint_duration_seconds",
                              "Time the last checkpoint took, from holding ingest to the commit")
                             .Add({})),
      checkpoint_hold_seconds(make(prometheus::BuildGauge(), *registry,
                                   "terrain_checkpoint_hold_seconds",
                                   "Time new ingest requests waited during the last checkpoint")
                                  .Add({})),
      checkpoint_bytes(make(prometheus::BuildGauge(), *registry, "terrain_checkpoint_bytes",
                            "Size of the last checkpoint (windows and event ids)")
                           .Add({})) {
    make(prometheus::BuildGauge(), *registry, "terrain_build_info",
         "terrain version and revision; always 1")
        .Add({{"version", TERRAIN_VERSION}, {"revision", TERRAIN_REVISION}})
        .Set(1);
}

const prometheus::Histogram::BucketBoundaries& Telemetry::human_buckets() {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400};
    return kBuckets;
}

std::string Telemetry::serialize() const {
    return prometheus::TextSerializer().Serialize(registry->Collect());
}

}  // namespace terrain::core
