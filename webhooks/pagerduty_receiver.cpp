#include "webhooks/pagerduty_receiver.h"

namespace terrain::webhooks {

PagerDutyReceiver::PagerDutyReceiver(const monitor::ReceiverConfig& config)
    : config_(config),
      routing_key_(monitor::resolve_secret(config.token)),
      api_(config.url, config.timeout_ms) {}

nlohmann::json PagerDutyReceiver::event(const alerts::Notification& n,
                                        const std::string& routing_key) {
    const alerts::Alert& a = n.alert;
    std::string action;
    if (n.transition == "escalated" || n.transition == "firing") {
        action = "trigger";
    } else if (n.transition == "acknowledged") {
        action = "acknowledge";
    } else if (n.transition == "resolved" || n.transition == "not_a_problem") {
        action = "resolve";
    } else {
        return nullptr;
    }
    nlohmann::json e = {{"routing_key", routing_key},
                        {"event_action", action},
                        {"dedup_key", a.id}};
    if (action == "trigger") {
        const std::string severity =
            a.severity == "critical" ? "critical" : a.severity == "info" ? "info" : "warning";
        const nlohmann::json labels = alerts::labels_json(a.labels);
        e["payload"] = {{"summary", a.summary.substr(0, 1024)},
                        {"source", "terrain"},
                        {"severity", severity},
                        {"component", a.metric},
                        {"group", a.team},
                        {"class", a.detector},
                        {"custom_details",
                         {{"alert", a.id}, {"labels", labels}, {"why", n.note}}}};
    }
    return e;
}

alerts::SendResult PagerDutyReceiver::send(const alerts::Notification& n) {
    auto e = event(n, routing_key_);
    if (e.is_null()) {
        return {true, false, ""};
    }
    return api_.send("POST", "/v2/enqueue", e.dump()).as_send_result();
}

}  // namespace terrain::webhooks
