#include "alerts/slack/receiver.h"

#include "alerts/receivers.h"

#include "alerts/chat/chat_card.h"
#include "alerts/chat/chat_text.h"
#include "alerts/chat/limits.h"

namespace terrain::alerts {

namespace {
constexpr const char* kApi = "https://slack.com/api";
}  // namespace

namespace {

namespace limit = limits::slack;

// Plain text (never read as markup) cut to `max` characters.
nlohmann::json plain(const std::string& text, std::size_t max) {
    return {{"type", "plain_text"}, {"text", cut_text(text, max)}, {"emoji", false}};
}

nlohmann::json option(const std::string& text, const std::string& value) {
    return {{"text", plain(text, limit::kOptionText)}, {"value", cut_text(value, limit::kOptionValue)}};
}

}  // namespace

SlackReceiver::SlackReceiver(const core::ReceiverConfig& config, const alerts::Policy& policy,
                             core::Store& store)
    : LivingMessageReceiver(config, store),
      policy_(policy),
      token_(core::Params(config.params, config.path).resolved("token")),
      api_(core::Params(config.params, config.path).url("url", kApi), config.timeout_ms) {}

nlohmann::json SlackReceiver::blocks(const alerts::Alert& a, const alerts::Policy& policy) {
    nlohmann::json blocks = nlohmann::json::array();
    const std::string status = a.state == alerts::AlertState::kResolved ? "Resolved" : "Firing";
    blocks.push_back({{"type", "header"},
                      {"text", plain(status + " · " + a.severity + " · " + a.metric,
                                     limit::kHeaderText)}});
    blocks.push_back({{"type", "section"},
                      {"text", {{"type", "mrkdwn"}, {"text", cut_text(slack_escape(a.summary), limit::kSectionText)}}}});
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& [k, v] : card_facts(a)) {
        fields.push_back(
            {{"type", "mrkdwn"}, {"text", cut_text("*" + slack_escape(k) + "*\n" + slack_escape(v), limit::kFieldText)}});
    }
    blocks.push_back({{"type", "section"}, {"fields", fields}});
    if (const auto said = card_signals(a, policy); !said.empty()) {
        std::string text = "*What customers said*";
        for (const auto& c : said) {
            const std::string words = slack_escape(cut_text(c.text, 200));
            text += "\n• " + (c.url.empty() ? words : "<" + c.url + "|" + words + ">");
        }
        blocks.push_back({{"type", "section"},
                          {"text", {{"type", "mrkdwn"}, {"text", cut_text(text, limit::kSectionText)}}}});
    }
    nlohmann::json context = {
        {{"type", "mrkdwn"}, {"text", cut_text(slack_escape(card_state_line(a)), limit::kContextText)}}};
    if (const auto duty = on_duty(a, policy); !duty.empty()) {
        context.push_back({{"type", "mrkdwn"}, {"text", cut_text(duty, limit::kContextText)}});
    }
    if (const auto link = card_link(a, policy); !link.empty()) {
        context.push_back({{"type", "mrkdwn"}, {"text", "<" + link + "|The whole alert in terrain>"}});
    }
    blocks.push_back({{"type", "context"}, {"elements", context}});
    nlohmann::json elements = nlohmann::json::array();
    for (const auto* action : policy.offered(a)) {
        if (elements.size() == limit::kActionsElements) {
            break;  // the rest stay in the inbox, one click away
        }
        const std::string label = alerts::Policy::label(*action);
        nlohmann::json e;
        if (const auto choices = card_choices(*action, policy); !choices.empty()) {
            nlohmann::json options = nlohmann::json::array();
            const std::string prefix = action->name == "snooze" ? "Snooze " : "";
            for (const auto& c : choices) {
                if (options.size() == limit::kOptions) {
                    break;
                }
                options.push_back(option(prefix + c, a.id + "|" + c));
            }
            e = {{"type", "static_select"}, {"placeholder", plain(label, limit::kPlaceholder)}, {"options", options}};
        } else {
            e = {{"type", "button"}, {"text", plain(label, limit::kButtonText)}, {"value", a.id}};
            if (action->executor != "builtin") {
                e["style"] = "danger";
            }
        }
        e["action_id"] = cut_text(action->name, limit::kActionId);
        const std::string confirm = policy.confirmation(*action, a);
        if (!confirm.empty()) {
            e["confirm"] = {{"title", plain(label + "?", limit::kConfirmTitle)},
                            {"text", plain(confirm, limit::kConfirmText)},
                            {"confirm", plain(label, limit::kConfirmButton)},
                            {"deny", plain("Cancel", limit::kConfirmButton)}};
        }
        elements.push_back(std::move(e));
    }
    if (!elements.empty()) {
        blocks.push_back({{"type", "actions"}, {"block_id", "terrain"}, {"elements", elements}});
    }
    return blocks;
}

alerts::SendResult SlackReceiver::call(const std::string& method, const nlohmann::json& body,
                                       nlohmann::json* reply) {
    core::HttpReply r = api_.send("POST", "/" + method, body.dump(),
                            {{"Authorization", "Bearer " + token_},
                             {"Content-Type", "application/json; charset=utf-8"}});
    if (!r.ok()) {
        return sent(r);
    }
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return {false, true, method + ": the answer is not JSON"};
    }
    if (!j.value("ok", false)) {
        const std::string error = j.value("error", "unknown_error");
        const bool retryable = error == "ratelimited" || error == "internal_error" ||
                               error == "fatal_error" || error == "service_unavailable";
        return {false, retryable, method + ": " + error};
    }
    if (reply != nullptr) {
        *reply = std::move(j);
    }
    return {true, false, ""};
}

alerts::SendResult SlackReceiver::tell(const alerts::Notification& n) {
    return call("chat.postEphemeral", {{"channel", n.channel.empty() ? channel_ : n.channel},
                                       {"user", n.only_for},
                                       {"text", slack_escape(n.note)}});
}

namespace {

std::pair<std::string, std::string> channel_and_ts(const std::string& ref) {
    const auto space = ref.find(' ');
    return {ref.substr(0, space), space == std::string::npos ? "" : ref.substr(space + 1)};
}

}  // namespace

std::string SlackReceiver::on_duty(const alerts::Alert& a, const alerts::Policy& policy) {
    return card_on_duty_line(
        a, policy, "slack", [](const auto&, const std::string& id) { return "<@" + id + ">"; });
}

std::string SlackReceiver::text(const alerts::Alert& a, const alerts::Policy& policy) {
    // The notification text: its mentions are what page the people on duty.
    const auto duty = on_duty(a, policy);
    const std::string summary = cut_text(slack_escape(a.summary), limit::kMessageText / 2);
    return duty.empty() ? summary : summary + "\n" + cut_text(duty, limit::kMessageText / 2);
}

alerts::SendResult SlackReceiver::post(const alerts::Alert& a, const std::string& thread,
                                       std::string& ref) {
    nlohmann::json message = {
        {"channel", channel_}, {"text", text(a, policy_)}, {"blocks", blocks(a, policy_)}};
    if (!thread.empty()) {
        const auto [channel, ts] = channel_and_ts(thread);
        message["channel"] = channel;
        message["thread_ts"] = ts;
    }
    nlohmann::json reply;
    auto r = call("chat.postMessage", message, &reply);
    if (r.ok) {
        ref = reply.value("channel", message["channel"].get<std::string>()) + " " +
              reply.value("ts", "");
    }
    return r;
}

alerts::SendResult SlackReceiver::update(const std::string& ref, const alerts::Alert& a) {
    const auto [channel, ts] = channel_and_ts(ref);
    return call(
        "chat.update",
        {{"channel", channel}, {"ts", ts}, {"text", text(a, policy_)}, {"blocks", blocks(a, policy_)}});
}

alerts::SendResult SlackReceiver::reply(const std::string& ref,
                                        const std::string& note,
                                        const alerts::Alert* call_on) {
    const auto [channel, ts] = channel_and_ts(ref);
    const std::string duty = call_on != nullptr ? on_duty(*call_on, policy_) : "";
    return call("chat.postMessage",
                {{"channel", channel},
                 {"thread_ts", ts},
                 {"text", duty.empty() ? slack_escape(note) : slack_escape(note) + "\n" + duty}});
}

void register_slack(ReceiverRegistry& registry) {
    registry.add({"slack",
                  "a Slack channel, with buttons (chat.postMessage; clicks at /interact/slack)",
                  {{"url", "URL", "the Web API base (default https://slack.com/api)"},
                   {"token", "secret", "the bot's token (xoxb-...), required"},
                   {"channel", "id", "the channel alerts are posted in (C0123...), required"},
                   {"group_by", "list of labels",
                    "alerts with the same values of these share one top-level message while its "
                    "first alert is open; the others are posted in its thread"}},
                  {{"slack_signing_secret", "secret",
                    "the Slack app's signing secret, with which clicks are verified"}},
                  [](const core::Params& own, const core::Params& interact, const core::Config& c) {
                      own.url("url", kApi);
                      required(own, "token", "the bot's access token, as {env: VARIABLE}");
                      own.resolved("token");
                      required(own, "channel", "the channel id alerts are posted in");
                      check_group_by(own, c);
                      if (interact.resolved("slack_signing_secret").empty()) {
                          own.fail("", "a slack receiver needs interact.slack_signing_secret to "
                                       "accept its buttons' clicks");
                      }
                  },
                  [](const core::ReceiverConfig& c, const ReceiverDeps& d) {
                      return std::make_unique<SlackReceiver>(c, d.policy, d.store);
                  }});
}

}  // namespace terrain::alerts
