#include "alerts/pagerduty/receiver.h"

#include "alerts/receivers.h"
#include "alerts/chat/chat_text.h"
#include "alerts/chat/limits.h"

namespace terrain::alerts {

namespace {
constexpr const char* kEventsApi = "https://events.pagerduty.com";
}  // namespace

PagerDutyReceiver::PagerDutyReceiver(const core::ReceiverConfig& config)
    : config_(config),
      routing_key_(core::Params(config.params, config.path).resolved("token")),
      api_(core::Params(config.params, config.path).url("url", kEventsApi), config.timeout_ms) {}

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
        e["payload"] = {{"summary", cut_text(a.summary, limits::pagerduty::kSummary)},
                        {"source", "terrain"},
                        {"severity", severity},
                        {"component", a.metric},
                        {"group", a.team},
                        {"class", a.detector},
                        {"custom_details",
                         {{"alert", a.id}, {"labels", labels}, {"why", cut_text(n.note, 16 * 1024)}}}};
    }
    return e;
}

alerts::SendResult PagerDutyReceiver::send(const alerts::Notification& n) {
    auto e = event(n, routing_key_);
    if (e.is_null()) {
        return {true, false, ""};
    }
    return sent(api_.send("POST", "/v2/enqueue", e.dump()));
}

void register_pagerduty(ReceiverRegistry& registry) {
    registry.add({"pagerduty",
                  "PagerDuty incidents through the Events API v2",
                  {{"url", "URL", "the Events API base (default https://events.pagerduty.com)"},
                   {"token", "secret", "the integration's routing key, required"}},
                  {},
                  [](const core::Params& own, const core::Params&, const core::Config&) {
                      own.url("url", kEventsApi);
                      required(own, "token", "the integration's routing key, as {env: VARIABLE}");
                      own.resolved("token");
                  },
                  [](const core::ReceiverConfig& c, const ReceiverDeps&) {
                      return std::make_unique<PagerDutyReceiver>(c);
                  }});
}

}  // namespace terrain::alerts
