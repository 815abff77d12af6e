#pragma once

#include "alerts/notifier.h"
#include "monitor/config.h"
#include "webhooks/json_poster.h"

namespace terrain::webhooks {

// The generic `webhook` receiver: POSTs {"version":"1","transition":..., "alert":{...}} as JSON
// to the configured URL. Called from one notifier worker thread.
class WebhookReceiver final : public alerts::Receiver {
public:
    explicit WebhookReceiver(const monitor::ReceiverConfig& config)
        : config_(config), poster_(config.url, config.timeout_ms) {}
    const std::string& name() const override { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) override;

private:
    monitor::ReceiverConfig config_;
    JsonPoster poster_;
};

}  // namespace terrain::webhooks
