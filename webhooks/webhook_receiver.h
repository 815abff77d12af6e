#pragma once

#include "alerts/notifier.h"
#include "monitor/config.h"

namespace terrain::webhooks {

// The generic `webhook` receiver: POSTs {"version":"1","transition":..., "alert":{...}} as JSON
// to the configured URL (cpp-httplib client, TCP_NODELAY, keep-alive). 2xx is delivered; 408,
// 429, 5xx and connection failures are retryable; other 4xx are not. Called from one notifier
// worker thread.
class WebhookReceiver final : public alerts::Receiver {
public:
    explicit WebhookReceiver(const monitor::ReceiverConfig& config);
    ~WebhookReceiver() override;
    const std::string& name() const override { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) override;

private:
    struct Client;
    monitor::ReceiverConfig config_;
    std::unique_ptr<Client> client_;
    std::string path_;
};

}  // namespace terrain::webhooks
