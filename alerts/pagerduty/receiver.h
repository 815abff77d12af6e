#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "core/config.h"
#include "core/json_poster.h"

namespace terrain::alerts {

// The `pagerduty` receiver: PagerDuty Events API v2 (POST <url>/v2/enqueue) with the alert id
// as dedup_key. Usually an escalation target (another receiver's escalate_to), so it hears of
// an alert once nobody acknowledged it in time: "escalated" or "firing" triggers an incident,
// "acknowledged" acknowledges it, and "resolved" or "not_a_problem" resolves it; other
// changes are not PagerDuty's business. Runs on its notifier worker thread.
class PagerDutyReceiver final : public alerts::Receiver {
public:
    explicit PagerDutyReceiver(const core::ReceiverConfig& config);
    const std::string& name() const override { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) override;

    // The event for a notification; null when the change is not sent (exposed for tests).
    static nlohmann::json event(const alerts::Notification& n, const std::string& routing_key);

private:
    core::ReceiverConfig config_;
    std::string routing_key_;
    core::JsonPoster api_;
};

}  // namespace terrain::alerts
