#include "alerts/mattermost/receiver.h"

#include "alerts/receivers.h"

#include <cctype>

#include "core/signature.h"
#include "alerts/chat/chat_card.h"
#include "alerts/chat/chat_text.h"
#include "alerts/chat/limits.h"

namespace terrain::alerts {

std::string mattermost_token(std::string_view secret, std::string_view alert,
                             std::string_view action) {
    return core::hex(core::hmac_sha256(secret, {"terrain-mattermost\n", alert, "\n", action}));
}


namespace {

// Mattermost wants action ids of letters and digits only.
std::string action_id(const std::string& name) {
    std::string id;
    for (char c : name) {
        if (std::isalnum(static_cast<unsigned char>(c))) {
            id.push_back(c);
        }
    }
    return id;
}

}  // namespace

MattermostReceiver::MattermostReceiver(const core::ReceiverConfig& config,
                                       const alerts::Policy& policy, core::Store& store)
    : LivingMessageReceiver(config, store),
      policy_(policy),
      token_(core::Params(config.params, config.path).resolved("token")),
      secret_(core::Params(policy.interact().params, "interact").resolved("mattermost_secret")),
      click_url_(policy.interact().public_url + "/interact/mattermost"),
      api_(core::Params(config.params, config.path).url("url", ""), config.timeout_ms) {}

std::string MattermostReceiver::on_duty(const alerts::Alert& a, const alerts::Policy& policy) {
    // Mattermost mentions by username; people without one are named.
    return card_on_duty_line(a, policy, "mattermost", [](const auto& person, const std::string&) {
        return person.mattermost_username.empty() ? person.name : "@" + person.mattermost_username;
    });
}

nlohmann::json MattermostReceiver::attachment(const alerts::Alert& a, const alerts::Policy& policy,
                                              const std::string& click_url,
                                              const std::string& secret) {
    const bool resolved = a.state == alerts::AlertState::kResolved;
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& [k, v] : card_facts(a)) {
        fields.push_back({{"title", cut_text(plain_escape(k), 1000)},
                          {"value", cut_text(markdown_escape(v), 2000)},
                          {"short", true}});
    }
    if (const auto said = card_signals(a, policy); !said.empty()) {
        std::string lines;
        for (const auto& c : said) {
            const std::string words = markdown_escape(cut_text(c.text, 200));
            lines += (lines.empty() ? "- " : "\n- ") +
                     (c.url.empty() ? words : "[" + words + "](" + c.url + ")");
        }
        fields.push_back({{"title", "What customers said"}, {"value", lines}, {"short", false}});
    }
    const std::string duty = on_duty(a, policy);
    nlohmann::json actions = nlohmann::json::array();
    for (const auto* action : policy.offered(a)) {
        if (actions.size() == limits::mattermost::kActions) {
            break;  // the rest stay in the inbox, one click away
        }
        nlohmann::json context = {{"alert", a.id},
                                  {"action", action->name},
                                  {"token", mattermost_token(secret, a.id, action->name)}};
        nlohmann::json e = {{"id", action_id(action->name)},
                            {"name", cut_text(plain_escape(alerts::Policy::label(*action)), 200)},
                            {"integration", {{"url", click_url}, {"context", context}}}};
        const auto options = card_choices(*action, policy);
        if (!options.empty()) {
            e["type"] = "select";
            e["options"] = nlohmann::json::array();
            for (const auto& o : options) {
                e["options"].push_back({{"text", cut_text(plain_escape(o), 200)}, {"value", o}});
            }
        } else {
            e["type"] = "button";
            if (action->executor != "builtin") {
                e["style"] = "danger";
            }
        }
        actions.push_back(std::move(e));
    }
    const std::size_t text_max = limits::mattermost::kMessage / 4;
    nlohmann::json attachment = {{"fallback", cut_text(plain_escape(a.summary), text_max)},
            {"color",
             resolved                   ? "#2e7d32"
             : a.severity == "critical" ? "#c62828"
                                        : "#ef6c00"},
            {"title",
             std::string(resolved ? "Resolved" : "Firing") + " · " + a.severity + " · " + a.metric},
            {"text", cut_text(markdown_escape(a.summary), text_max) +
                         (duty.empty() ? "" : "\n" + cut_text(duty, text_max))},
            {"fields", fields},
            {"footer", cut_text(markdown_escape(card_state_line(a)), text_max)},
            {"actions", actions}};
    if (const auto link = card_link(a, policy); !link.empty()) {
        attachment["title_link"] = link;
    }
    return attachment;
}

alerts::SendResult MattermostReceiver::call(const std::string& method, const std::string& path,
                                            const nlohmann::json& body, nlohmann::json* reply) {
    core::HttpReply r = api_.send(method, path, body.dump(),
                            {{"Authorization", "Bearer " + token_},
                             {"Content-Type", "application/json"}});
    return json_answer(r, path, reply);
}

nlohmann::json MattermostReceiver::props(const alerts::Alert& a) const {
    return {{"attachments", nlohmann::json::array({attachment(a, policy_, click_url_, secret_)})}};
}

alerts::SendResult MattermostReceiver::post(const alerts::Alert& a, const std::string& thread,
                                            std::string& ref) {
    nlohmann::json post = {{"channel_id", channel_}, {"message", ""}, {"props", props(a)}};
    if (!thread.empty()) {
        post["root_id"] = thread;
    }
    nlohmann::json reply;
    auto r = call("POST", "/api/v4/posts", post, &reply);
    if (!r.ok) {
        return r;
    }
    ref = reply.value("id", "");
    if (ref.empty()) {
        return {false, true, "/api/v4/posts: the answer has no post id"};
    }
    return r;
}

alerts::SendResult MattermostReceiver::update(const std::string& ref, const alerts::Alert& a) {
    return call("PUT", "/api/v4/posts/" + ref, {{"id", ref}, {"message", ""}, {"props", props(a)}});
}

alerts::SendResult MattermostReceiver::reply(const std::string& ref,
                                             const std::string& note,
                                             const alerts::Alert* call_on) {
    const std::string duty = call_on != nullptr ? on_duty(*call_on, policy_) : "";
    return call("POST",
                "/api/v4/posts",
                {{"channel_id", channel_},
                 {"root_id", ref},
                 {"message", cut_text(duty.empty() ? markdown_escape(note)
                                                   : markdown_escape(note) + "\n" + duty,
                                      limits::mattermost::kMessage)}});
}

void register_mattermost(ReceiverRegistry& registry) {
    registry.add({"mattermost",
                  "a Mattermost channel, with buttons (clicks at /interact/mattermost)",
                  {{"url", "URL", "the Mattermost server (https://chat.example.com), required"},
                   {"token", "secret", "the bot's access token, required"},
                   {"channel", "id", "the channel id alerts are posted in, required"},
                   {"group_by", "list of labels",
                    "alerts with the same values of these share one top-level message while its "
                    "first alert is open; the others are posted in its thread"}},
                  {{"mattermost_secret", "secret",
                    "terrain's key for the tokens in Mattermost buttons (any random string)"}},
                  [](const core::Params& own, const core::Params& interact, const core::Config& c) {
                      required(own, "url", "the Mattermost server");
                      own.url("url", "");
                      required(own, "token", "the bot's access token, as {env: VARIABLE}");
                      own.resolved("token");
                      required(own, "channel", "the channel id alerts are posted in");
                      check_group_by(own, c);
                      if (interact.resolved("mattermost_secret").empty() ||
                          c.interact.public_url.empty()) {
                          own.fail("", "a mattermost receiver needs interact.mattermost_secret "
                                       "(to sign its buttons) and interact.public_url (where "
                                       "Mattermost sends their clicks)");
                      }
                  },
                  [](const core::ReceiverConfig& c, const ReceiverDeps& d) {
                      return std::make_unique<MattermostReceiver>(c, d.policy, d.store);
                  }});
}

}  // namespace terrain::alerts
