#include "alerts/metrics.h"

#include <algorithm>

#include "alerts/manager.h"
#include "core/telemetry.h"

namespace terrain::alerts {

using core::make_family;

AlertMetrics::AlertMetrics(prometheus::Registry& registry)
    : alerts(make_family(prometheus::BuildGauge(), registry, "terrain_alerts",
                  "Alerts by state and severity")),
      notifications(make_family(prometheus::BuildCounter(), registry, "terrain_notifications_total",
                         "Notification attempts by receiver and result (sent, retried, failed)")),
      notify_latency(make_family(prometheus::BuildHistogram(), registry,
                          "terrain_notification_duration_seconds",
                          "Time from an alert change (a finding firing or resolving it, or a "
                          "person acting on it) to the receiver confirming delivery, by receiver")),
      dead_letters(make_family(prometheus::BuildGauge(), registry, "terrain_dead_letters",
                        "Deliveries that failed after every retry and wait in the dead-letter "
                        "list (GET /api/v1/dead-letters), by receiver")),
      notify_queue(make_family(prometheus::BuildGauge(), registry, "terrain_notification_queue",
                        "Notifications waiting to be sent")
                       .Add({})),
      escalations(make_family(prometheus::BuildCounter(), registry, "terrain_escalations_total",
                       "Alerts escalated because nobody acknowledged them in time, by the "
                       "receiver escalated to")),
      actions(make_family(prometheus::BuildCounter(), registry, "terrain_actions_total",
                   "Actions people took on alerts, by action and result (done, refused)")),
      feedback(make_family(prometheus::BuildCounter(), registry, "terrain_feedback_total",
                    "Verdicts people gave on alerts (confirmed, not_a_problem), by metric and "
                    "detector")),
      time_to_ack(make_family(prometheus::BuildHistogram(), registry,
                       "terrain_alert_time_to_acknowledge_seconds",
                       "Time from an alert firing to a person acknowledging it, by severity")),
      time_to_action(make_family(prometheus::BuildHistogram(), registry,
                          "terrain_alert_time_to_first_action_seconds",
                          "Time from an alert firing to the first action a person took on it, "
                          "by severity")),
      interactions(make_family(prometheus::BuildCounter(), registry, "terrain_interactions_total",
                        "Button clicks received from chat and the inbox, by platform and "
                        "result (accepted, refused, bad_signature, stale, replayed, bad_request)")),
      overrides(make_family(prometheus::BuildCounter(), registry, "terrain_overrides_total",
                     "Override actions run against the MAP or ESP, by action and result "
                     "(done, failed, reverted, revert_failed, already)")),
      override_latency(make_family(prometheus::BuildHistogram(), registry,
                            "terrain_override_latency_seconds",
                            "Time from a click being accepted to the MAP's answer, by action")),
      not_a_problem(make_family(prometheus::BuildCounter(), registry,
                         "terrain_not_a_problem_total",
                         "Alerts people marked not a problem, by metric, detector and reason (one "
                         "of interact.not_a_problem_reasons, or other)")) {}

void AlertMetrics::start_at_zero(const core::Config& config) {
    for (const auto& m : config.metrics) {
        for (const auto& d : m.detectors) {
            for (const char* verdict : {"confirmed", "not_a_problem"}) {
                feedback.Add({{"metric", m.name}, {"detector", d.name}, {"verdict", verdict}});
            }
            for (const auto& reason : config.interact.not_a_problem_reasons) {
                not_a_problem.Add({{"metric", m.name}, {"detector", d.name}, {"reason", reason}});
            }
            not_a_problem.Add({{"metric", m.name}, {"detector", d.name}, {"reason", "other"}});
        }
    }
    for (const char* severity : {"critical", "warning", "info"}) {
        time_to_ack.Add({{"severity", severity}}, human_buckets());
        time_to_action.Add({{"severity", severity}}, human_buckets());
    }
    for (const auto& action : alert_actions()) {
        for (const char* result : {"done", "refused"}) {
            actions.Add({{"action", action}, {"result", result}});
        }
    }
    for (const auto& a : config.actions) {
        if (a.executor != "builtin") {
            for (const char* result : {"done", "failed", "reverted", "revert_failed", "already"}) {
                overrides.Add({{"action", a.name}, {"result", result}});
            }
        }
    }
    for (const auto& r : config.receivers) {
        for (const char* result : {"sent", "retried", "failed"}) {
            notifications.Add({{"receiver", r.name}, {"result", result}});
        }
        if (!r.escalate_to.empty()) {
            escalations.Add({{"receiver", r.escalate_to}});
        }
    }
}


const prometheus::Histogram::BucketBoundaries& AlertMetrics::human_buckets() {
    static const prometheus::Histogram::BucketBoundaries kBuckets = {
        10, 30, 60, 120, 300, 600, 1800, 3600, 7200, 14400, 43200, 86400};
    return kBuckets;
}

}  // namespace terrain::alerts
