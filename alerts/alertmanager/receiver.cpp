#include "alerts/alertmanager/receiver.h"

#include "alerts/receivers.h"

#include <cctype>

#include "core/duration.h"
#include "core/log.h"

namespace terrain::alerts {

namespace {

std::int64_t wall_now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

std::string label_name(const std::string& name) {
    std::string out;
    for (char c : name) {
        out += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
    }
    if (out.empty() || std::isdigit(static_cast<unsigned char>(out[0]))) {
        out = "label_" + out;
    }
    return out;
}

std::string number_text(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.6g", v);
    return buf;
}

}  // namespace

AlertmanagerReceiver::AlertmanagerReceiver(const core::ReceiverConfig& config)
    : config_(config),
      poster_(core::Params(config.params, config.path).url("url", "") + "/api/v2/alerts",
              config.timeout_ms) {}

nlohmann::json AlertmanagerReceiver::postable(const alerts::Alert& a, std::int64_t now_ms) {
    nlohmann::json labels = nlohmann::json::object();
    for (const auto& [k, v] : a.labels) {
        labels[label_name(k)] = v;
    }
    // terrain's own labels win over series labels of the same name.
    labels["alertname"] = a.metric;
    labels["metric"] = a.metric;
    labels["detector"] = a.detector;
    labels["severity"] = a.severity;
    labels["team"] = a.team;
    labels["source"] = "terrain";
    nlohmann::json annotations = {
        {"summary", a.summary},
        {"description", a.reason},
        {"observed", number_text(a.observed)},
        {"expected", number_text(a.expected)},
        {"since", core::format_rfc3339_ms(a.since_ms)},
        {"terrain_alert_id", a.id},
    };
    if (a.acknowledged_at_ms != 0) {
        annotations["acknowledged_by"] = a.acknowledged_by;
    }
    const bool resolved = a.state == alerts::AlertState::kResolved;
    const std::int64_t ends =
        resolved ? a.resolved_at_ms
                 : now_ms + 4 * std::chrono::duration_cast<std::chrono::milliseconds>(kResend).count();
    return {{"labels", labels},
            {"annotations", annotations},
            {"startsAt", core::format_rfc3339_ms(a.fired_at_ms)},
            {"endsAt", core::format_rfc3339_ms(ends)}};
}

alerts::SendResult AlertmanagerReceiver::send(const alerts::Notification& n) {
    {
        std::lock_guard lock(mutex_);
        if (n.alert.state == alerts::AlertState::kFiring) {
            firing_[n.alert.id] = n.alert;
        } else {
            firing_.erase(n.alert.id);
        }
    }
    nlohmann::json body = nlohmann::json::array({postable(n.alert, wall_now_ms())});
    return sent(poster_.post(body.dump()));
}

void AlertmanagerReceiver::restore(const std::vector<alerts::Alert>& firing) {
    std::lock_guard lock(mutex_);
    for (const auto& a : firing) {
        firing_[a.id] = a;
    }
    last_sent_ = {};  // re-send them at the next idle moment
}

void AlertmanagerReceiver::idle() {
    const auto now = std::chrono::steady_clock::now();
    nlohmann::json body = nlohmann::json::array();
    {
        std::lock_guard lock(mutex_);
        if (firing_.empty() || now - last_sent_ < kResend) {
            return;
        }
        last_sent_ = now;
        const std::int64_t wall = wall_now_ms();
        for (const auto& [id, a] : firing_) {
            body.push_back(postable(a, wall));
        }
    }
    auto r = sent(poster_.post(body.dump()));
    if (!r.ok) {
        core::log_warn("notify: receiver " + config_.name + " could not re-send " +
                          std::to_string(body.size()) + " firing alert(s): " + r.detail +
                          "; trying again in a minute");
    }
}

void register_alertmanager(ReceiverRegistry& registry) {
    registry.add({"alertmanager",
                  "a Prometheus Alertmanager (POST /api/v2/alerts, repeated while firing)",
                  {{"url", "URL", "the Alertmanager's base URL, required"}},
                  {},
                  [](const core::Params& own, const core::Params&, const core::Config&) {
                      required(own, "url", "the Alertmanager's base URL");
                      own.url("url", "");
                  },
                  [](const core::ReceiverConfig& c, const ReceiverDeps&) {
                      return std::make_unique<AlertmanagerReceiver>(c);
                  }});
}

}  // namespace terrain::alerts
