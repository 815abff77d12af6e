#include "alerts/teams/receiver.h"

#include "alerts/receivers.h"

#include "core/log.h"
#include "core/template.h"
#include "alerts/chat/chat_card.h"
#include "alerts/chat/chat_text.h"
#include "alerts/chat/limits.h"

namespace terrain::alerts {

namespace {
constexpr const char* kConnector = "https://smba.trafficmanager.net/teams";
}  // namespace

namespace {

constexpr const char* kCardType = "application/vnd.microsoft.card.adaptive";

nlohmann::json text_block(const std::string& text) {
    return {{"type", "TextBlock"}, {"text", cut_text(text, limits::teams::kText)}, {"wrap", true}};
}

nlohmann::json execute(const std::string& title, const std::string& verb,
                       const std::string& alert, bool destructive) {
    nlohmann::json a = {{"type", "Action.Execute"},
                        {"title", title},
                        {"verb", verb},
                        {"data", {{"alert", alert}}}};
    if (destructive) {
        a["style"] = "destructive";
    }
    return a;
}

// A button that first shows a small card (a choice, or the impact to confirm) with the
// Action.Execute that sends the click.
nlohmann::json show_card(const std::string& title, nlohmann::json body, nlohmann::json action) {
    return {{"type", "Action.ShowCard"},
            {"title", title},
            {"card",
             {{"type", "AdaptiveCard"},
              {"body", std::move(body)},
              {"actions", nlohmann::json::array({std::move(action)})}}}};
}

}  // namespace

TeamsReceiver::TeamsReceiver(const core::ReceiverConfig& config, const alerts::Policy& policy,
                             core::Store& store)
    : LivingMessageReceiver(config, store),
      policy_(policy),
      app_id_(core::Params(policy.interact().params, "interact").str("teams_app_id", "")),
      app_password_(
          core::Params(policy.interact().params, "interact").resolved("teams_app_password")),
      token_url_(core::Params(policy.interact().params, "interact").url("teams_token_url",
                                                                          kTeamsTokenUrl)),
      activities_("/v3/conversations/" + core::percent_encode(channel_) + "/activities"),
      api_(core::Params(config.params, config.path).url("url", kConnector), config.timeout_ms) {}

std::pair<std::string, nlohmann::json> TeamsReceiver::on_duty(const alerts::Alert& a,
                                                              const alerts::Policy& policy) {
    // <at>Name</at> in the text, each with its mention entity (by the Azure AD object id
    // people are known by).
    nlohmann::json mentions = nlohmann::json::array();
    std::string line = card_on_duty_line(
        a, policy, "teams", [&](const core::PersonConfig& person, const std::string& id) {
            const std::string tag = "<at>" + person.name + "</at>";
            mentions.push_back({{"type", "mention"},
                                {"text", tag},
                                {"mentioned", {{"id", id}, {"name", person.name}}}});
            return tag;
        });
    return {std::move(line), std::move(mentions)};
}

std::string teams_input_id(std::string_view action) { return "arg_" + std::string(action); }

nlohmann::json TeamsReceiver::card(const alerts::Alert& a, const alerts::Policy& policy) {
    const bool resolved = a.state == alerts::AlertState::kResolved;
    nlohmann::json facts = nlohmann::json::array();
    for (const auto& [k, v] : card_facts(a)) {
        facts.push_back({{"title", cut_text(markdown_escape(k), 500)},
                         {"value", cut_text(markdown_escape(v), 1000)}});
    }
    nlohmann::json title = text_block(std::string(resolved ? "Resolved" : "Firing") + " · " +
                                      a.severity + " · " + markdown_escape(a.metric));
    title["weight"] = "Bolder";
    title["size"] = "Medium";
    title["color"] = resolved ? "Good" : a.severity == "critical" ? "Attention" : "Warning";
    nlohmann::json state = text_block(markdown_escape(card_state_line(a)));
    state["isSubtle"] = true;
    nlohmann::json actions = nlohmann::json::array();
    for (const auto* action : policy.offered(a)) {
        const std::string label = cut_text(alerts::Policy::label(*action), limits::teams::kLabel);
        const bool destructive = action->executor != "builtin";
        const auto choices = card_choices(*action, policy);
        const std::string confirm = policy.confirmation(*action, a);
        if (!choices.empty()) {
            // Each input its own id: a card's inputs are gathered together when a button
            // submits, so a shared id could send another action's choice.
            nlohmann::json set = {{"type", "Input.ChoiceSet"},
                                  {"id", teams_input_id(action->name)},
                                  {"label", cut_text(markdown_escape(label), limits::teams::kLabel)},
                                  {"errorMessage",
                                   cut_text("Choose one: " + markdown_escape(label), limits::teams::kLabel)},
                                  {"style", "expanded"},
                                  {"isRequired", true},
                                  {"value", choices.front()},
                                  {"choices", nlohmann::json::array()}};
            for (const auto& c : choices) {
                set["choices"].push_back({{"title", cut_text(markdown_escape(c), 200)}, {"value", c}});
            }
            actions.push_back(show_card(label, nlohmann::json::array({set}),
                                        execute(label, action->name, a.id, destructive)));
        } else if (!confirm.empty()) {
            actions.push_back(show_card(label,
                                        nlohmann::json::array({text_block(
                                            cut_text(markdown_escape(confirm), 1000))}),
                                        execute("Confirm: " + label, action->name, a.id,
                                                destructive)));
        } else {
            actions.push_back(execute(label, action->name, a.id, destructive));
        }
    }
    nlohmann::json body = {
        title, text_block(markdown_escape(a.summary)), {{"type", "FactSet"}, {"facts", facts}}};
    if (const auto said = card_signals(a, policy); !said.empty()) {
        nlohmann::json heading = text_block("What customers said");
        heading["weight"] = "Bolder";
        body.push_back(heading);
        for (const auto& c : said) {
            const std::string words = markdown_escape(cut_text(c.text, 200));
            body.push_back(text_block(c.url.empty() ? words : "[" + words + "](" + c.url + ")"));
        }
    }
    body.push_back(state);
    // Teams shows at most kActions buttons; the link to the whole alert is one of them.
    const auto link = card_link(a, policy);
    const std::size_t buttons = limits::teams::kActions - (link.empty() ? 0 : 1);
    if (actions.size() > buttons) {
        actions.erase(actions.begin() + static_cast<std::ptrdiff_t>(buttons), actions.end());
    }
    if (!link.empty()) {
        actions.push_back({{"type", "Action.OpenUrl"}, {"title", "The whole alert"}, {"url", link}});
    }
    auto [duty, mentions] = on_duty(a, policy);
    nlohmann::json card = {{"type", "AdaptiveCard"},
                           {"$schema", "http://adaptivecards.io/schemas/adaptive-card.json"},
                           {"version", "1.4"},
                           {"body", body},
                           {"actions", actions}};
    if (!duty.empty()) {
        card["body"].push_back(text_block(duty));
        card["msteams"] = {{"entities", mentions}};
    }
    return card;
}

nlohmann::json TeamsReceiver::activity(const alerts::Alert& a) const {
    return {{"type", "message"},
            {"summary", cut_text(plain_escape(a.summary), 500)},
            {"attachments",
             nlohmann::json::array({{{"contentType", kCardType}, {"content", card(a, policy_)}}})}};
}

std::string TeamsReceiver::access_token(std::string& error) {
    const auto now = std::chrono::steady_clock::now();
    if (!token_.empty() && now < token_until_) {
        return token_;
    }
    const std::string form =
        "grant_type=client_credentials&client_id=" + core::percent_encode(app_id_) +
        "&client_secret=" + core::percent_encode(app_password_) +
        "&scope=" + core::percent_encode("https://api.botframework.com/.default");
    core::HttpReply r = core::http_call("POST", token_url_,
                            {{"Content-Type", "application/x-www-form-urlencoded"}}, form,
                            config_.timeout_ms);
    if (!r.ok()) {
        error = "token endpoint: " + r.describe();
        return "";
    }
    const auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object() || !j.contains("access_token") || !j["access_token"].is_string()) {
        error = "token endpoint: the answer has no access_token";
        return "";
    }
    token_ = j["access_token"];
    const auto lifetime = j.contains("expires_in") && j["expires_in"].is_number()
                              ? j["expires_in"].get<std::int64_t>()
                              : 3600;
    // Renewed five minutes before it runs out (or at once when it lives less than that).
    token_until_ = now + std::chrono::seconds(std::max<std::int64_t>(0, lifetime - 300));
    return token_;
}

alerts::SendResult TeamsReceiver::call(const std::string& method, const std::string& path,
                                       const nlohmann::json& activity, nlohmann::json* answer) {
    std::string error;
    const std::string token = access_token(error);
    if (token.empty()) {
        return {false, true, error};
    }
    core::HttpReply r = api_.send(method, path, activity.dump(),
                            {{"Authorization", "Bearer " + token},
                             {"Content-Type", "application/json"}});
    if (r.status == 401) {
        token_.clear();  // revoked or expired early: the retry gets a new one
        return {false, true, path + ": " + r.describe()};
    }
    return json_answer(r, path, answer);
}

alerts::SendResult TeamsReceiver::post(const alerts::Alert& a, const std::string& thread,
                                       std::string& ref) {
    nlohmann::json answer;
    nlohmann::json body = activity(a);
    std::string path = activities_;
    if (!thread.empty()) {
        body["replyToId"] = thread;
        path += "/" + core::percent_encode(thread);
    }
    auto r = call("POST", path, body, &answer);
    if (!r.ok) {
        return r;
    }
    ref = answer.value("id", "");
    if (ref.empty()) {
        return {false, true, activities_ + ": the answer has no activity id"};
    }
    return r;
}

alerts::SendResult TeamsReceiver::update(const std::string& ref, const alerts::Alert& a) {
    nlohmann::json body = activity(a);
    body["id"] = ref;
    return call("PUT", activities_ + "/" + core::percent_encode(ref), body);
}

alerts::SendResult TeamsReceiver::reply(const std::string& ref,
                                        const std::string& note,
                                        const alerts::Alert* call_on) {
    const std::string text = cut_text(markdown_escape(note), limits::teams::kText);
    nlohmann::json message = {{"type", "message"}, {"text", text}, {"replyToId", ref}};
    if (call_on != nullptr) {
        if (auto [duty, mentions] = on_duty(*call_on, policy_); !duty.empty()) {
            message["text"] = text + "<br>" + duty;
            message["entities"] = std::move(mentions);
        }
    }
    return call("POST", activities_ + "/" + core::percent_encode(ref), message);
}

void register_teams(ReceiverRegistry& registry) {
    registry.add({"teams",
                  "a Microsoft Teams channel through a bot, with Adaptive Card buttons (clicks at "
                  "/interact/teams)",
                  {{"url", "URL",
                    "the Bot Connector service URL of the team's region (default "
                    "https://smba.trafficmanager.net/teams)"},
                   {"channel", "id", "the channel's conversation id (19:...@thread.tacv2), required"},
                   {"group_by", "list of labels",
                    "alerts with the same values of these share one top-level message while its "
                    "first alert is open; the others are posted in its thread"}},
                  {{"teams_app_id", "id", "the bot's Microsoft App ID"},
                   {"teams_app_password", "secret", "the bot's client secret"},
                   {"teams_openid_url", "URL",
                    "where the Bot Framework's signing keys are published (default "
                    "https://login.botframework.com/v1/.well-known/openidconfiguration)"},
                   {"teams_token_url", "URL",
                    "where terrain gets its tokens (default "
                    "https://login.microsoftonline.com/botframework.com/oauth2/v2.0/token)"}},
                  [](const core::Params& own, const core::Params& interact, const core::Config& c) {
                      own.url("url", kConnector);
                      required(own, "channel", "the channel's conversation id");
                      check_group_by(own, c);
                      interact.url("teams_openid_url", kTeamsOpenIdUrl);
                      interact.url("teams_token_url", kTeamsTokenUrl);
                      if (interact.str("teams_app_id", "").empty() ||
                          interact.resolved("teams_app_password").empty()) {
                          own.fail("", "a teams receiver needs interact.teams_app_id and "
                                       "interact.teams_app_password (the bot it posts as and "
                                       "whose clicks it accepts)");
                      }
                  },
                  [](const core::ReceiverConfig& c, const ReceiverDeps& d) {
                      return std::make_unique<TeamsReceiver>(c, d.policy, d.store);
                  }});
}

}  // namespace terrain::alerts
