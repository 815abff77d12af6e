#pragma once

#include "alerts/notifier.h"
#include "core/config.h"
#include "core/json_poster.h"
#include "core/params.h"

namespace terrain::alerts {

// The generic `webhook` receiver: POSTs {"version":"1","transition":..., "alert":{...}} as JSON
// to the configured URL. Called from one notifier worker thread.
class WebhookReceiver final : public alerts::Receiver {
public:
    explicit WebhookReceiver(const core::ReceiverConfig& config)
        : config_(config),
          poster_(core::Params(config.params, config.path).url("url", ""), config.timeout_ms) {}
    const std::string& name() const override { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) override;

private:
    core::ReceiverConfig config_;
    core::JsonPoster poster_;
};

}  // namespace terrain::alerts
