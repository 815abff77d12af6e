#pragma once

#include <chrono>
#include <map>
#include <mutex>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "core/config.h"
#include "core/json_poster.h"

namespace terrain::alerts {

// The `alertmanager` receiver: forwards terrain's alerts to an Alertmanager through its API v2
// (POST <url>/api/v2/alerts), for organisations that route everything through one. Labels:
// alertname (the metric), metric, detector, severity, team, source="terrain" and the series'
// labels; annotations carry the summary, the evidence and terrain's alert id. Alertmanager
// resolves an alert it has not heard of for a while, so firing alerts are re-sent every
// minute with endsAt four minutes ahead, as Prometheus does; a resolved alert is sent once
// with its endsAt.
class AlertmanagerReceiver final : public alerts::Receiver {
public:
    explicit AlertmanagerReceiver(const core::ReceiverConfig& config);
    const std::string& name() const override { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) override;
    void idle() override;
    void restore(const std::vector<alerts::Alert>& firing) override;

    // The postableAlert document for one alert (exposed for tests).
    static nlohmann::json postable(const alerts::Alert& a, std::int64_t now_ms);

private:
    static constexpr std::chrono::seconds kResend{60};

    core::ReceiverConfig config_;
    core::JsonPoster poster_;
    std::mutex mutex_;  // firing_: restore() may run while the worker sends
    std::map<std::string, alerts::Alert> firing_;
    std::chrono::steady_clock::time_point last_sent_{};
};

}  // namespace terrain::alerts
