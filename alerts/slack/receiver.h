#pragma once

#include <map>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "alerts/policy.h"
#include "core/config.h"
#include "core/store.h"
#include "core/json_poster.h"
#include "alerts/chat/living_message.h"

namespace terrain::alerts {

// The `slack` receiver: one living Block Kit message per alert in the configured channel
// (see LivingMessageReceiver), posted with chat.postMessage, edited with chat.update, notes
// as replies in its thread (thread_ts); a refusal goes to the clicker alone with
// chat.postEphemeral. The ref kept is "channel ts". Buttons carry the action's name as
// action_id and the alert id as value; clicks come back to POST /interact/slack.
class SlackReceiver final : public LivingMessageReceiver {
public:
    SlackReceiver(const core::ReceiverConfig& config, const alerts::Policy& policy,
                  core::Store& store);

    // The message's blocks for an alert (exposed for tests).
    static nlohmann::json blocks(const alerts::Alert& alert, const alerts::Policy& policy);
    // "On duty: <@U024BE7LH>, Ben Okafor" ("" when nobody is on duty for it).
    static std::string on_duty(const alerts::Alert& alert, const alerts::Policy& policy);
    // The message's text (what notifications show; its mentions page the people on duty).
    static std::string text(const alerts::Alert& alert, const alerts::Policy& policy);

private:
    alerts::SendResult post(const alerts::Alert& alert, const std::string& thread,
                            std::string& ref) override;
    alerts::SendResult update(const std::string& ref, const alerts::Alert& alert) override;
    alerts::SendResult reply(const std::string& ref,
                             const std::string& note,
                             const alerts::Alert* call) override;
    alerts::SendResult tell(const alerts::Notification& n) override;
    // Calls a Web API method; Slack answers 200 with {"ok": false, "error": ...} on failure.
    alerts::SendResult call(const std::string& method, const nlohmann::json& body,
                            nlohmann::json* reply = nullptr);

    const alerts::Policy& policy_;
    std::string token_;
    core::JsonPoster api_;
};

}  // namespace terrain::alerts
