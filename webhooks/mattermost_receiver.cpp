#include "webhooks/mattermost_receiver.h"

#include <cctype>

#include "webhooks/auth.h"
#include "webhooks/chat_card.h"

namespace terrain::webhooks {

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

MattermostReceiver::MattermostReceiver(const monitor::ReceiverConfig& config,
                                       const alerts::Policy& policy, monitor::Store& store)
    : config_(config),
      policy_(policy),
      store_(store),
      token_(monitor::resolve_secret(config.token)),
      secret_(monitor::resolve_secret(policy.interact().mattermost_secret)),
      click_url_(policy.interact().public_url + "/interact/mattermost"),
      api_(config.url, config.timeout_ms),
      posts_(store.load_messages(config.name)) {}

nlohmann::json MattermostReceiver::attachment(const alerts::Alert& a, const alerts::Policy& policy,
                                              const std::string& click_url,
                                              const std::string& secret) {
    const bool resolved = a.state == alerts::AlertState::kResolved;
    nlohmann::json fields = nlohmann::json::array();
    for (const auto& [k, v] : card_facts(a)) {
        fields.push_back({{"title", k}, {"value", v}, {"short", true}});
    }
    nlohmann::json actions = nlohmann::json::array();
    for (const auto* action : policy.offered(a)) {
        nlohmann::json context = {{"alert", a.id},
                                  {"action", action->name},
                                  {"token", mattermost_token(secret, a.id, action->name)}};
        nlohmann::json e = {{"id", action_id(action->name)},
                            {"name", alerts::Policy::label(*action)},
                            {"integration", {{"url", click_url}, {"context", context}}}};
        std::vector<std::string> options;
        if (action->name == "snooze") {
            options = {"1h", "4h", "1d"};
        } else if (action->name == "not_a_problem") {
            options = policy.interact().not_a_problem_reasons;
        }
        if (!options.empty()) {
            e["type"] = "select";
            e["options"] = nlohmann::json::array();
            for (const auto& o : options) {
                e["options"].push_back({{"text", o}, {"value", o}});
            }
        } else {
            e["type"] = "button";
            if (action->executor != "builtin") {
                e["style"] = "danger";
            }
        }
        actions.push_back(std::move(e));
    }
    return {{"fallback", a.summary},
            {"color", resolved ? "#2e7d32" : a.severity == "critical" ? "#c62828" : "#ef6c00"},
            {"title", std::string(resolved ? "Resolved" : "Firing") + " · " + a.severity + " · " +
                          a.metric},
            {"text", a.summary},
            {"fields", fields},
            {"footer", card_state_line(a)},
            {"actions", actions}};
}

alerts::SendResult MattermostReceiver::call(const std::string& method, const std::string& path,
                                            const nlohmann::json& body, nlohmann::json* reply) {
    HttpReply r = api_.send(method, path, body.dump(),
                            {{"Authorization", "Bearer " + token_},
                             {"Content-Type", "application/json"}});
    if (!r.ok()) {
        return r.as_send_result();
    }
    if (reply != nullptr) {
        *reply = nlohmann::json::parse(r.body, nullptr, false);
        if (!reply->is_object()) {
            return {false, true, path + ": the answer is not a JSON object"};
        }
    }
    return {true, false, ""};
}

alerts::SendResult MattermostReceiver::send(const alerts::Notification& n) {
    const alerts::Alert& a = n.alert;
    if (n.transition == "private") {
        return call("POST", "/api/v4/posts/ephemeral",
                    {{"user_id", n.only_for},
                     {"post",
                      {{"channel_id", n.channel.empty() ? config_.channel : n.channel},
                       {"message", n.note}}}});
    }
    const nlohmann::json props = {
        {"attachments", nlohmann::json::array({attachment(a, policy_, click_url_, secret_)})}};
    auto found = posts_.find(a.id);
    if (found == posts_.end()) {
        nlohmann::json reply;
        auto r = call("POST", "/api/v4/posts",
                      {{"channel_id", config_.channel}, {"message", ""}, {"props", props}}, &reply);
        if (!r.ok) {
            return r;
        }
        const std::string id = reply.value("id", "");
        if (id.empty()) {
            return {false, true, "/api/v4/posts: the answer has no post id"};
        }
        store_.put_message(config_.name, a.id, id);
        posts_[a.id] = id;
        return r;
    }
    const std::string& id = found->second;
    auto r = call("PUT", "/api/v4/posts/" + id, {{"id", id}, {"message", ""}, {"props", props}});
    if (!r.ok || n.note.empty()) {
        return r;
    }
    return call("POST", "/api/v4/posts",
                {{"channel_id", config_.channel}, {"root_id", id}, {"message", n.note}});
}

}  // namespace terrain::webhooks
