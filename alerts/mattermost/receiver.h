#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "alerts/policy.h"
#include "core/config.h"
#include "core/store.h"
#include "core/json_poster.h"
#include "alerts/chat/living_message.h"

namespace terrain::alerts {

// The token a Mattermost button's context carries: hex HMAC-SHA256, keyed with
// interact.mattermost_secret, over the alert id and the action's name. Mattermost posts the
// context back unchanged with the clicker's user id, so a click whose token verifies came
// through a button terrain made for that alert and action.
std::string mattermost_token(std::string_view secret, std::string_view alert,
                             std::string_view action);


// The `mattermost` receiver: one living post per alert in the configured channel (see
// LivingMessageReceiver), through the REST API v4 as a bot (POST /api/v4/posts with a message
// attachment; PUT /api/v4/posts/{id}; notes as replies with root_id). Its buttons
// and menus are interactive message actions whose integration posts to
// interact.public_url + /interact/mattermost with a context of the alert, the action and a
// token signed with interact.mattermost_secret (see mattermost_token); a refusal is answered
// to the clicker in the click's response (ephemeral_text).
class MattermostReceiver final : public LivingMessageReceiver {
public:
    MattermostReceiver(const core::ReceiverConfig& config, const alerts::Policy& policy,
                       core::Store& store);

    // The post's message attachment for an alert (exposed for tests).
    // "On duty: @ana.ortiz, Bob Byrne" ("" when nobody is on duty).
    static std::string on_duty(const alerts::Alert& alert, const alerts::Policy& policy);
    static nlohmann::json attachment(const alerts::Alert& alert, const alerts::Policy& policy,
                                     const std::string& click_url, const std::string& secret);

private:
    alerts::SendResult post(const alerts::Alert& alert, const std::string& thread,
                            std::string& ref) override;
    alerts::SendResult update(const std::string& ref, const alerts::Alert& alert) override;
    alerts::SendResult reply(const std::string& ref,
                             const std::string& note,
                             const alerts::Alert* call) override;
    nlohmann::json props(const alerts::Alert& alert) const;
    alerts::SendResult call(const std::string& method, const std::string& path,
                            const nlohmann::json& body, nlohmann::json* reply = nullptr);

    const alerts::Policy& policy_;
    std::string token_;
    std::string secret_;
    std::string click_url_;
    core::JsonPoster api_;
};

}  // namespace terrain::alerts
