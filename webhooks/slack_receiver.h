#pragma once

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "alerts/policy.h"
#include "monitor/config.h"
#include "monitor/store.h"
#include "webhooks/json_poster.h"

namespace terrain::webhooks {

// The `slack` receiver: one living Block Kit message per alert in the configured channel,
// posted with chat.postMessage when the alert first reaches Slack and edited in place with
// chat.update on every change; each change's note (who acknowledged, what the MAP answered)
// is also a reply in the message's thread, and a refusal goes to the clicker alone with
// chat.postEphemeral. Where each alert's message is (channel and ts) is kept in the store,
// so after a restart the same message is updated, never posted again. Buttons carry the
// action's name as action_id and the alert id as value; clicks come back to
// POST /interact/slack. Runs on its notifier worker thread.
class SlackReceiver final : public alerts::Receiver {
public:
    SlackReceiver(const monitor::ReceiverConfig& config, const alerts::Policy& policy,
                  monitor::Store& store);
    const std::string& name() const override { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) override;

    // The message's blocks for an alert (exposed for tests).
    static nlohmann::json blocks(const alerts::Alert& alert, const alerts::Policy& policy);

private:
    // Calls a Web API method; Slack answers 200 with {"ok": false, "error": ...} on failure.
    alerts::SendResult call(const std::string& method, const nlohmann::json& body,
                            nlohmann::json* reply = nullptr);

    monitor::ReceiverConfig config_;
    const alerts::Policy& policy_;
    monitor::Store& store_;
    std::string token_;
    JsonPoster api_;
    std::map<std::string, std::string> messages_;  // alert id -> "channel ts"
};

}  // namespace terrain::webhooks
