#pragma once

#include <memory>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "alerts/manager.h"
#include "alerts/notifier.h"
#include "alerts/overrides.h"
#include "alerts/policy.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/result.h"
#include "core/telemetry.h"
#include "core/signature.h"
#include "webhooks/guard.h"
#include "alerts/slack/signature.h"
#include "alerts/mattermost/receiver.h"
#include "alerts/teams/receiver.h"
#include "core/params.h"
#include "webhooks/http_server.h"

namespace terrain::webhooks {

// What the interactivity endpoints need; owned by the app, outliving the server.
struct InteractContext {
    alerts::Overrides* overrides = nullptr;
    alerts::AlertManager* alerts = nullptr;
    alerts::Notifier* notifier = nullptr;  // private replies to the clicker
    const alerts::Policy* policy = nullptr;
    const core::Clock* clock = nullptr;
    core::Telemetry* telemetry = nullptr;
    const core::Config* config = nullptr;
    core::Store* store = nullptr;  // the replay guard's memory of used signatures
};

// A Slack block_actions payload reduced to the click it carries.
struct SlackClick {
    std::string user_id;
    std::string channel;
    std::string action;
    std::string alert;
    std::string arg;
};
// Parses the form-encoded body ("payload=<JSON>"); an error names what is missing or wrong.
core::Result<SlackClick> parse_slack_interaction(std::string_view body);

// A Mattermost interactive message action, as Mattermost posts it to the button's integration
// URL: {"user_id", "channel_id", "post_id", "context": {"alert", "action", "token",
// "selected_option"?}}. `token` is the context's token, to be checked by the caller.
struct MattermostClick {
    alerts::Click click;
    std::string token;
};
core::Result<MattermostClick> parse_mattermost_action(std::string_view body);

// A Microsoft Teams Universal Action, as the Bot Framework delivers it to the bot: an invoke
// activity named "adaptiveCard/action" whose value.action is the Action.Execute pressed
// (verb: the action's name; data: {"alert"}, the card's inputs merged in: an action's choice
// under teams_input_id(verb), "arg_snooze"). The
// clicker is from.aadObjectId (their Microsoft Entra object id), or from.id without one.
// serviceUrl and channelId are what the caller checks the bearer token against.
struct TeamsClick {
    alerts::Click click;
    std::string service_url;
    std::string channel_id;
};
core::Result<TeamsClick> parse_teams_invoke(std::string_view body);

// The inbox's POST /inbox/act body: {"alert", "action", "arg"?}.
core::Result<alerts::Click> parse_inbox_action(std::string_view body);

// The inbox's view of an alert: the alert and the buttons it offers.
nlohmann::json inbox_card(const alerts::Alert& alert, const alerts::Policy& policy);

// POST /interact/slack (Slack's signature, answered at once: overrides run after answering),
// POST /interact/mattermost (the button's signed token; a refusal is answered as
// ephemeral_text, shown to the clicker alone),
// POST /interact/teams (the Bot Framework's bearer token, see alerts::BotFrameworkAuth; answered with
// the updated card, or a refusal as a message to the clicker alone),
// GET /inbox (the page), GET /inbox/alerts and POST /inbox/act. A request bearing a person's
// own `inbox_token` acts as that person; otherwise, behind `api_guard` (the API token, or
// loopback when none is configured), as the person whose `inbox` identity is "local".
void install_interact_routes(HttpServer& server, const InteractContext& ctx,
                             std::shared_ptr<const SourceGuard> api_guard);

// The inbox page (HTML, CSS and script in one document).
extern const std::string_view kInboxPage;

}  // namespace terrain::webhooks
