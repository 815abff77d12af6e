#include "monitor/metrics.h"

#include "core/telemetry.h"

namespace terrain::monitor {

using core::make_family;

PipelineMetrics::PipelineMetrics(prometheus::Registry& registry)
    : windows_closed(make_family(prometheus::BuildCounter(), registry, "terrain_windows_closed_total",
                          "Event-time windows closed, summed over series, by metric")),
      late_events(make_family(prometheus::BuildCounter(), registry, "terrain_late_events_total",
                       "Events that arrived after their window closed, by metric")),
      aggregated_events(make_family(prometheus::BuildCounter(), registry,
                             "terrain_aggregated_events_total",
                             "Events counted into a window, by metric (including replay)")),
      series(make_family(prometheus::BuildGauge(), registry, "terrain_series",
                  "Series currently under watch, by metric")),
      series_refused(make_family(prometheus::BuildCounter(), registry, "terrain_series_refused_total",
                          "Events refused because their metric reached max_series, by metric")),
      series_evicted(make_family(prometheus::BuildCounter(), registry, "terrain_series_evicted_total",
                          "Series without history dropped at the series cap to make room for "
                          "new ones, by metric")),
      log_damaged_records(make_family(prometheus::BuildCounter(), registry,
                               "terrain_event_log_damaged_records_total",
                               "Event log records found damaged at start and skipped (their "
                               "events are lost; the segment is kept in log/damaged)")
                              .Add({})),
      findings(make_family(prometheus::BuildCounter(), registry, "terrain_findings_total",
                    "Anomalous points reported by detectors, by metric and detector")),
      pair_windows(make_family(prometheus::BuildCounter(), registry, "terrain_pair_windows_total",
                        "Windows judged per pair, by quadrant of the CX efficiency matrix")),
      series_value(make_family(prometheus::BuildGauge(), registry, "terrain_series_value",
                        "Value of the latest closed window of each exported series")),
      series_expected(make_family(prometheus::BuildGauge(), registry, "terrain_series_expected_value",
                           "Value the detector expected for the latest window, by series and "
                           "detector")),
      series_lower(make_family(prometheus::BuildGauge(), registry, "terrain_series_band_lower",
                        "Lower edge of the detector's normal band for the latest window")),
      series_upper(make_family(prometheus::BuildGauge(), registry, "terrain_series_band_upper",
                        "Upper edge of the detector's normal band for the latest window")),
      series_score(make_family(prometheus::BuildGauge(), registry, "terrain_series_anomaly_score",
                        "Detector's anomaly score for the latest window (above 1 is anomalous "
                        "for score-based detectors)")),
      series_exported(make_family(prometheus::BuildGauge(), registry, "terrain_series_exported",
                           "Series whose value, band and score are exported")
                          .Add({})),
      series_export_limit(make_family(prometheus::BuildGauge(), registry,
                               "terrain_series_export_limit",
                               "Most series exported at once (pipeline.export_series)")
                              .Add({})),
      series_export_refused(make_family(prometheus::BuildCounter(), registry,
                                 "terrain_series_export_refused_total",
                                 "Series watched but not exported because the export limit "
                                 "was reached")
                                .Add({})),
      watermark_seconds(make_family(prometheus::BuildGauge(), registry,
                             "terrain_event_time_watermark_seconds",
                             "Event-time watermark (highest event time minus allowed lateness)")
                            .Add({})),
      log_replayed_events(make_family(prometheus::BuildCounter(), registry,
                               "terrain_event_log_replayed_events_total",
                               "Events read back from the event log at start")
                              .Add({})),
      log_segments(make_family(prometheus::BuildGauge(), registry, "terrain_event_log_segments",
                        "Segment files in the event log")
                       .Add({})),
      pipeline_events(make_family(prometheus::BuildCounter(), registry,
                           "terrain_pipeline_events_total",
                           "Events taken into the windows since the data directory began: "
                           "those in the restored checkpoint, replayed and new")
                          .Add({})),
      checkpoints(make_family(prometheus::BuildCounter(), registry, "terrain_checkpoints_total",
                       "Checkpoints of windows, event ids and detector state, by result")),
      checkpoint_seconds(make_family(prometheus::BuildGauge(), registry,
                              "terrain_checkpoint_duration_seconds",
                              "Time the last checkpoint took, from holding ingest to the commit")
                             .Add({})),
      checkpoint_hold_seconds(make_family(prometheus::BuildGauge(), registry,
                                   "terrain_checkpoint_hold_seconds",
                                   "Time new ingest requests waited during the last checkpoint")
                                  .Add({})),
      checkpoint_bytes(make_family(prometheus::BuildGauge(), registry, "terrain_checkpoint_bytes",
                            "Size of the last checkpoint (windows and event ids)")
                           .Add({})),
      returns(make_family(prometheus::BuildCounter(), registry, "terrain_returns_total",
                          "Customers who contacted again within pipeline.return_within "
                          "(contact.return events derived)")
                  .Add({})),
      return_customers(make_family(prometheus::BuildGauge(), registry, "terrain_return_customers",
                                   "Customers remembered for returns (keyed hashes)")
                           .Add({})),
      return_evictions(make_family(prometheus::BuildCounter(), registry,
                                   "terrain_return_evictions_total",
                                   "Customers forgotten early because pipeline.return_capacity "
                                   "was reached")
                           .Add({})),
      send_messages(make_family(prometheus::BuildGauge(), registry, "terrain_send_messages",
                                "Sends remembered (keyed hashes of message ids) to join their "
                                "late signals to")
                        .Add({})),
      send_joined(make_family(prometheus::BuildCounter(), registry, "terrain_send_joined_total",
                              "Events joined to their send by message id")
                      .Add({})),
      send_evictions(make_family(prometheus::BuildCounter(), registry,
                                 "terrain_send_evictions_total",
                                 "Sends forgotten before their horizon because "
                                 "pipeline.send_capacity was reached")
                         .Add({})),
      unattributed(make_family(prometheus::BuildCounter(), registry,
                               "terrain_unattributed_events_total",
                               "Signals of ratios attributed to sends that belong to no send "
                               "within the horizon (a send terrain never saw), by metric")),
      parked_series(make_family(prometheus::BuildGauge(), registry, "terrain_parked_series",
                                "Quiet series whose detector state is held in memory until "
                                "they are next seen")
                        .Add({})),
      parked_bytes(make_family(prometheus::BuildGauge(), registry, "terrain_parked_bytes",
                               "Memory held by parked series' state (budget: "
                               "pipeline.parked_bytes)")
                       .Add({})),
      paged(make_family(prometheus::BuildCounter(), registry, "terrain_series_paged_total",
                        "Parked series' state written to the store past the memory budget "
                        "(direction out) and read back when the series returned (in)")) {
    paged.Add({{"direction", "out"}});
    paged.Add({{"direction", "in"}});
}

ConfigMetrics::ConfigMetrics(prometheus::Registry& registry)
    : last_reload_successful(make_family(prometheus::BuildGauge(), registry,
                                         "terrain_config_last_reload_successful",
                                         "Whether the last configuration reload was taken (1) or "
                                         "refused, the running configuration kept (0)")
                                 .Add({})),
      last_reload_success_seconds(make_family(prometheus::BuildGauge(), registry,
                                              "terrain_config_last_reload_success_timestamp_seconds",
                                              "When the running configuration was loaded")
                                      .Add({})) {}

ClusterMetrics::ClusterMetrics(prometheus::Registry& registry)
    : partitions_owned(make_family(prometheus::BuildGauge(), registry,
                                   "terrain_cluster_partitions_owned",
                                   "Partitions of the event topic this node owns and judges")
                           .Add({})),
      partition_owned(make_family(prometheus::BuildGauge(), registry,
                                  "terrain_cluster_partition_owned",
                                  "1 while this node owns the partition, else 0")),
      consumer_lag(make_family(prometheus::BuildGauge(), registry,
                               "terrain_cluster_consumer_lag_messages",
                               "Messages in the partition this node has not yet taken in")),
      checkpoints(make_family(prometheus::BuildCounter(), registry,
                              "terrain_cluster_checkpoints_total",
                              "Partition checkpoints written to PostgreSQL, by result (saved, "
                              "failed, fenced: another node owns the partition now)")),
      rebalances(make_family(prometheus::BuildCounter(), registry,
                             "terrain_cluster_rebalances_total",
                             "Partition assignments and revocations this node took part in")
                     .Add({})),
      kafka_up(make_family(prometheus::BuildGauge(), registry, "terrain_cluster_kafka_up",
                           "1 when a Kafka broker answered the last check (every 2 s)")
                   .Add({})),
      postgres_up(make_family(prometheus::BuildGauge(), registry, "terrain_cluster_postgres_up",
                              "1 when PostgreSQL answered the last check (every 2 s)")
                      .Add({})),
      alerting_leader(make_family(prometheus::BuildGauge(), registry,
                                  "terrain_cluster_alerting_leader",
                                  "1 while this node leads the alerting (holds the lease)")
                          .Add({})),
      findings_handed(make_family(prometheus::BuildCounter(), registry,
                                  "terrain_cluster_findings_handed_total",
                                  "Findings this node, leading the alerting, took from the "
                                  "partitions' queue and handed to its alert manager")
                          .Add({})) {}

}  // namespace terrain::monitor
