#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "alerts/policy.h"
#include "core/config.h"
#include "core/store.h"
#include "core/json_poster.h"
#include "alerts/chat/living_message.h"

namespace terrain::alerts {

// The id of the card input that carries an action's choice (snooze: how long; not a
// problem: why); a click's data holds it under this name.
std::string teams_input_id(std::string_view action);

// Where the Bot Framework publishes its signing keys, and where a bot gets its tokens, unless
// interact.teams_openid_url and interact.teams_token_url say otherwise.
inline constexpr const char* kTeamsOpenIdUrl =
    "https://login.botframework.com/v1/.well-known/openidconfiguration";
inline constexpr const char* kTeamsTokenUrl =
    "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token";

// The `teams` receiver: one living Adaptive Card per alert in a Microsoft Teams channel (see
// LivingMessageReceiver), sent as the bot through the Bot Connector REST API of the receiver's
// service URL: POST /v3/conversations/{channel}/activities creates it, PUT
// .../activities/{id} updates it, POST .../activities/{id} replies in its thread. terrain gets
// its bearer token with the OAuth 2.0 client credentials grant (interact.teams_app_id and
// interact.teams_app_password, scope https://api.botframework.com/.default) at
// interact.teams_token_url, and gets a new one before it expires or when the connector answers
// 401. The card's buttons are Action.Execute actions (verb: the action's name, data: the
// alert); Teams sends their clicks to the bot's messaging endpoint, POST /interact/teams.
class TeamsReceiver final : public LivingMessageReceiver {
public:
    TeamsReceiver(const core::ReceiverConfig& config, const alerts::Policy& policy,
                  core::Store& store);

    // The alert's Adaptive Card (version 1.4): state, summary, both sides' numbers, and one
    // Action.Execute per offered action; snooze and "not a problem" open a choice first, and an
    // action with a confirmation text shows it with a Confirm button.
    static nlohmann::json card(const alerts::Alert& alert, const alerts::Policy& policy);
    // "On duty: <at>Ana Ortiz</at>" and its mention entities ("" when nobody is on duty).
    static std::pair<std::string, nlohmann::json> on_duty(const alerts::Alert& alert,
                                                          const alerts::Policy& policy);

private:
    alerts::SendResult post(const alerts::Alert& alert, const std::string& thread,
                            std::string& ref) override;
    alerts::SendResult update(const std::string& ref, const alerts::Alert& alert) override;
    alerts::SendResult reply(const std::string& ref,
                             const std::string& note,
                             const alerts::Alert* call) override;
    alerts::SendResult call(const std::string& method, const std::string& path,
                            const nlohmann::json& activity, nlohmann::json* answer = nullptr);
    // The bearer token, from the cache or the token endpoint; "" with `error` set on failure.
    std::string access_token(std::string& error);
    nlohmann::json activity(const alerts::Alert& alert) const;

    const alerts::Policy& policy_;
    std::string app_id_;
    std::string app_password_;
    std::string token_url_;
    std::string activities_;  // /v3/conversations/{channel}/activities
    core::JsonPoster api_;
    std::string token_;
    std::chrono::steady_clock::time_point token_until_{};
};

}  // namespace terrain::alerts
