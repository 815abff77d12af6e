#include "webhooks/interact.h"

#include "alerts/metrics.h"

#include <cctype>

#include "core/log.h"
#include "alerts/teams/bot_framework_auth.h"
#include "alerts/chat/chat_card.h"
#include "alerts/teams/receiver.h"

namespace terrain::webhooks {

namespace {

constexpr std::size_t kMaxField = 512;

core::Error bad(const std::string& message) { return {"bad_request", message, -1, ""}; }

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// application/x-www-form-urlencoded value of `name`, decoded; nullopt when absent or malformed.
std::optional<std::string> form_value(std::string_view body, std::string_view name) {
    std::size_t pos = 0;
    while (pos <= body.size()) {
        auto end = body.find('&', pos);
        if (end == std::string_view::npos) {
            end = body.size();
        }
        const std::string_view pair = body.substr(pos, end - pos);
        const auto eq = pair.find('=');
        if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
            std::string out;
            const std::string_view v = pair.substr(eq + 1);
            for (std::size_t i = 0; i < v.size(); ++i) {
                if (v[i] == '+') {
                    out += ' ';
                } else if (v[i] == '%') {
                    if (i + 2 >= v.size()) {
                        return std::nullopt;
                    }
                    const int hi = hex_value(v[i + 1]);
                    const int lo = hex_value(v[i + 2]);
                    if (hi < 0 || lo < 0) {
                        return std::nullopt;
                    }
                    out += static_cast<char>(hi * 16 + lo);
                    i += 2;
                } else {
                    out += v[i];
                }
            }
            return out;
        }
        pos = end + 1;
    }
    return std::nullopt;
}

// A string member of at most kMaxField bytes, or "" when absent.
std::string text(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string()) {
        return "";
    }
    const auto& s = it->get_ref<const std::string&>();
    return s.size() > kMaxField ? "" : s;
}

// terrain_interactions_total for a click refused before it reached the overrides (which count
// the ones they judge).
void count_click(const InteractContext& ctx, const char* platform, const std::string& result) {
    ctx.telemetry->of<alerts::AlertMetrics>().interactions.Add({{"platform", platform}, {"result", result}}).Increment();
}

void split_value(const std::string& value, std::string& alert, std::string& arg) {
    const auto bar = value.find('|');
    alert = value.substr(0, bar);
    arg = bar == std::string::npos ? "" : value.substr(bar + 1);
}

}  // namespace

core::Result<SlackClick> parse_slack_interaction(std::string_view body) {
    auto payload = form_value(body, "payload");
    if (!payload) {
        return bad("the body has no form field 'payload' (Slack sends payload=<JSON>)");
    }
    const auto j = nlohmann::json::parse(*payload, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return bad("'payload' is not a JSON object");
    }
    if (text(j, "type") != "block_actions") {
        return bad("only block_actions payloads are handled, not '" + text(j, "type") + "'");
    }
    SlackClick c;
    if (auto u = j.find("user"); u != j.end() && u->is_object()) {
        c.user_id = text(*u, "id");
    }
    if (auto ch = j.find("channel"); ch != j.end() && ch->is_object()) {
        c.channel = text(*ch, "id");
    }
    auto actions = j.find("actions");
    if (c.user_id.empty() || actions == j.end() || !actions->is_array() || actions->empty() ||
        !actions->front().is_object()) {
        return bad("the payload needs user.id and one entry in actions");
    }
    const auto& a = actions->front();
    c.action = text(a, "action_id");
    std::string value = text(a, "value");
    if (auto opt = a.find("selected_option"); opt != a.end() && opt->is_object()) {
        value = text(*opt, "value");
    }
    split_value(value, c.alert, c.arg);
    if (c.action.empty() || c.alert.empty()) {
        return bad("the action has no action_id or no alert in its value");
    }
    return c;
}

core::Result<MattermostClick> parse_mattermost_action(std::string_view body) {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return bad("the body must be a JSON object (a Mattermost interactive message action)");
    }
    auto context = j.find("context");
    if (context == j.end() || !context->is_object()) {
        return bad("the action has no 'context' object (it comes from a terrain button)");
    }
    MattermostClick m;
    m.click.platform = "mattermost";
    m.click.user_id = text(j, "user_id");
    m.click.channel = text(j, "channel_id");
    m.click.alert = text(*context, "alert");
    m.click.action = text(*context, "action");
    m.click.arg = text(*context, "selected_option");
    m.token = text(*context, "token");
    if (m.click.user_id.empty() || m.click.alert.empty() || m.click.action.empty()) {
        return bad("the action needs user_id and a context with alert and action");
    }
    return m;
}

core::Result<TeamsClick> parse_teams_invoke(std::string_view body) {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return bad("the body must be a JSON object (a Bot Framework activity)");
    }
    if (text(j, "type") != "invoke" || text(j, "name") != "adaptiveCard/action") {
        return bad("only invoke activities named adaptiveCard/action are handled, not '" +
                   text(j, "type") + "' '" + text(j, "name") + "'");
    }
    auto object = [](const nlohmann::json& parent, const char* key) -> const nlohmann::json& {
        static const nlohmann::json kEmpty = nlohmann::json::object();
        auto it = parent.find(key);
        return it != parent.end() && it->is_object() ? *it : kEmpty;
    };
    const auto& from = object(j, "from");
    const auto& action = object(object(j, "value"), "action");
    const auto& data = object(action, "data");
    TeamsClick t;
    t.service_url = text(j, "serviceUrl");
    t.channel_id = text(j, "channelId");
    t.click.platform = "teams";
    t.click.user_id = text(from, "aadObjectId").empty() ? text(from, "id")
                                                        : text(from, "aadObjectId");
    t.click.channel = text(object(j, "conversation"), "id");
    t.click.action = text(action, "verb");
    t.click.alert = text(data, "alert");
    t.click.arg = text(data, alerts::teams_input_id(t.click.action).c_str());
    if (text(action, "type") != "Action.Execute") {
        return bad("value.action.type must be Action.Execute");
    }
    if (t.click.user_id.empty() || t.click.action.empty() || t.click.alert.empty() ||
        t.service_url.empty()) {
        return bad("the activity needs serviceUrl, from.id and an action with a verb and "
                   "data.alert");
    }
    return t;
}

core::Result<alerts::Click> parse_inbox_action(std::string_view body) {
    const auto j = nlohmann::json::parse(body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
        return bad("the body must be a JSON object {\"alert\", \"action\", \"arg\"}");
    }
    alerts::Click c;
    c.platform = "inbox";
    c.alert = text(j, "alert");
    c.action = text(j, "action");
    c.arg = text(j, "arg");
    if (c.alert.empty() || c.action.empty()) {
        return bad("'alert' and 'action' are required strings (at most 512 bytes)");
    }
    return c;
}

nlohmann::json inbox_card(const alerts::Alert& alert, const alerts::Policy& policy) {
    nlohmann::json j = alerts::to_json(alert);
    nlohmann::json buttons = nlohmann::json::array();
    for (const auto* a : policy.offered(alert)) {
        nlohmann::json b = {{"action", a->name},
                            {"label", alerts::Policy::label(*a)},
                            {"confirm", policy.confirmation(*a, alert)},
                            {"override", a->executor != "builtin"}};
        if (auto choices = alerts::card_choices(*a, policy); !choices.empty()) {
            b["options"] = choices;
        }
        buttons.push_back(std::move(b));
    }
    j["buttons"] = std::move(buttons);
    // The same labelled figures as the chat cards.
    nlohmann::json facts = nlohmann::json::array();
    for (const auto& [name, value] : alerts::card_facts(alert)) {
        facts.push_back(nlohmann::json::array({name, value}));
    }
    j["facts"] = std::move(facts);
    nlohmann::json said = nlohmann::json::array();
    for (const auto& c : alerts::card_signals(alert, policy)) {
        said.push_back({{"text", c.text}, {"url", c.url}});
    }
    j["said"] = std::move(said);
    j["state_parts"] = alerts::card_state_parts(alert);
    return j;
}

void install_interact_routes(HttpServer& server, const InteractContext& ctx,
                             std::shared_ptr<const SourceGuard> api_guard) {
    const auto& cfg = *ctx.config;
    // Private replies go through the first receiver of the platform.
    auto first_receiver = [&](const char* type) {
        for (const auto& r : cfg.receivers) {
            if (r.type == type) {
                return r.name;
            }
        }
        return std::string();
    };
    // The platforms' keys under `interact`, validated by the receiver kinds.
    const core::Params keys(cfg.interact.params, "interact");
    const std::string slack_receiver = first_receiver("slack");
    if (keys.has("slack_signing_secret")) {
        auto verifier = std::make_shared<alerts::SlackSignature>(
            keys.resolved("slack_signing_secret"), cfg.interact.max_age_ms);
        if (ctx.store != nullptr) {
            verifier->remember_in(ctx.store, "slack_interactivity");
        }
        server.route("POST", "/interact/slack", [ctx, verifier, slack_receiver](
                                                    const HttpRequest& req) {
            if (auto denied = verifier->verify(req, ctx.clock->now_ms())) {
                count_click(ctx, "slack", denied->reason);
                return unauthorized(*denied);
            }
            auto parsed = parse_slack_interaction(req.body);
            if (!parsed) {
                count_click(ctx, "slack", "bad_request");
                return HttpResponse::error(400, parsed.error().reason, parsed.error().message);
            }
            const SlackClick& s = parsed.value();
            alerts::Click click{"slack", s.user_id, s.alert, s.action,
                                s.arg,   slack_receiver, s.channel};
            auto outcome = ctx.overrides->click(click);
            if (outcome.status != 200 && !slack_receiver.empty()) {
                alerts::Notification n;
                n.alert = outcome.alert.value_or(alerts::Alert{});
                n.alert.id = s.alert;
                n.transition = "private";
                n.note = outcome.message;
                n.target = slack_receiver;
                n.only_for = s.user_id;
                n.channel = s.channel;
                ctx.notifier->enqueue(n);
            }
            // Slack wants a quick 200; what happened shows in the message and its thread.
            HttpResponse r;
            r.status = 200;
            r.content_type = "text/plain";  // an empty body: not JSON
            return r;
        });
    }
    if (keys.has("mattermost_secret")) {
        auto secret = std::make_shared<const std::string>(keys.resolved("mattermost_secret"));
        const std::string receiver = first_receiver("mattermost");
        server.route("POST", "/interact/mattermost", [ctx, secret, receiver](
                                                         const HttpRequest& req) {
            auto parsed = parse_mattermost_action(req.body);
            if (!parsed) {
                count_click(ctx, "mattermost", "bad_request");
                return HttpResponse::error(400, parsed.error().reason, parsed.error().message);
            }
            MattermostClick& m = parsed.value();
            if (!core::secret_equals(m.token,
                               alerts::mattermost_token(*secret, m.click.alert, m.click.action))) {
                count_click(ctx, "mattermost", "bad_signature");
                return unauthorized({"bad_signature",
                                     "the button's token does not verify for this alert and "
                                     "action (not a button terrain made)",
                                     -1, ""});
            }
            m.click.receiver = receiver;
            auto outcome = ctx.overrides->click(m.click);
            // Mattermost shows ephemeral_text to the clicker alone; the post itself is
            // updated by the receiver.
            nlohmann::json body = nlohmann::json::object();
            if (outcome.status != 200) {
                body["ephemeral_text"] = outcome.message;
            }
            return HttpResponse::json(200, body.dump());
        });
    }
    if (keys.has("teams_app_id")) {
        auto auth = std::make_shared<const alerts::BotFrameworkAuth>(
            keys.str("teams_app_id", ""), keys.url("teams_openid_url", alerts::kTeamsOpenIdUrl));
        const std::string receiver = first_receiver("teams");
        server.route("POST", "/interact/teams", [ctx, auth, receiver](const HttpRequest& req) {
            auto parsed = parse_teams_invoke(req.body);
            if (!parsed) {
                count_click(ctx, "teams", "bad_request");
                return HttpResponse::error(400, parsed.error().reason, parsed.error().message);
            }
            TeamsClick& t = parsed.value();
            const std::string* authorization = req.header("authorization");
            if (auto denied = auth->verify(authorization != nullptr ? *authorization : "",
                                           t.service_url, t.channel_id, ctx.clock->now_ms())) {
                count_click(ctx, "teams", denied->reason);
                return unauthorized(*denied);
            }
            t.click.receiver = receiver;
            auto outcome = ctx.overrides->click(t.click);
            // The invoke response: the updated card for the clicker at once (the channel's
            // copy is updated by the receiver), or a message shown to the clicker alone.
            nlohmann::json body = {{"statusCode", 200}};
            if (outcome.status == 200 && outcome.alert) {
                body["type"] = "application/vnd.microsoft.card.adaptive";
                body["value"] = alerts::TeamsReceiver::card(*outcome.alert, *ctx.policy);
            } else {
                body["type"] = "application/vnd.microsoft.activity.message";
                body["value"] = outcome.message;
            }
            return HttpResponse::json(200, body.dump());
        });
    }
    server.route("GET", "/inbox", [](const HttpRequest&) {
        HttpResponse r;
        r.content_type = "text/html; charset=utf-8";
        r.body = std::string(kInboxPage);
        r.headers.emplace_back("Content-Security-Policy",
                               "default-src 'self'; script-src 'unsafe-inline' 'self'; "
                               "style-src 'unsafe-inline' 'self'");
        return r;
    });
    // People's own inbox logins: token -> their inbox identity (secrets resolved at start).
    auto logins = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
    for (const auto& p :
         ctx.config != nullptr ? ctx.config->people : std::vector<core::PersonConfig>{}) {
        if (!p.inbox_token.empty()) {
            for (const auto& [platform, id] : p.ids) {
                if (platform == "inbox") {
                    logins->emplace_back(core::resolve_secret(p.inbox_token), id);
                }
            }
        }
    }
    // Who is using the inbox: the person whose own token the request bears; otherwise, for
    // whoever the API guard lets in (the API token, or loopback without one), "local".
    auto inbox_user = [ctx, api_guard, logins](const HttpRequest& req) {
        const std::string* auth = req.header("authorization");
        if (const auto token = auth != nullptr ? core::bearer_token(*auth) : std::nullopt) {
            std::string who;
            for (const auto& [secret, id] : *logins) {
                who = core::secret_equals(*token, secret) ? id : who;  // every one compared: no timing
            }
            if (!who.empty()) {
                return core::Result<std::string>(who);
            }
        }
        if (auto denied = api_guard->check(req, ctx.clock->now_ms())) {
            return core::Result<std::string>(*denied);
        }
        return core::Result<std::string>(std::string("local"));
    };
    server.route("GET", "/inbox/alerts", [ctx, inbox_user](const HttpRequest& req) {
        const auto user = inbox_user(req);
        if (!user) {
            return unauthorized(user.error());
        }
        nlohmann::json out = nlohmann::json::array();
        // Resolved alerts stay a while, for their verdict (Confirm, Not a problem).
        const std::int64_t resolved_since =
            ctx.clock->now_ms() - ctx.config->interact.inbox_resolved_for_ms;
        for (const auto& a : ctx.alerts->list(std::nullopt)) {
            if (out.size() >= 200) {
                break;
            }
            if (a.state == alerts::AlertState::kResolved && a.resolved_at_ms < resolved_since) {
                continue;
            }
            out.push_back(inbox_card(a, *ctx.policy));
        }
        const auto* you = ctx.policy->person("inbox", user.value());
        return HttpResponse::json(
            200, nlohmann::json{{"alerts", out}, {"you", you != nullptr ? you->name : ""}}.dump());
    });
    server.route("POST", "/inbox/act", [ctx, inbox_user](const HttpRequest& req) {
        const auto user = inbox_user(req);
        if (!user) {
            return unauthorized(user.error());
        }
        if (auto refused = require_json(req)) {
            return *refused;
        }
        auto parsed = parse_inbox_action(req.body);
        if (!parsed) {
            count_click(ctx, "inbox", "bad_request");
            return HttpResponse::error(400, parsed.error().reason, parsed.error().message);
        }
        alerts::Click click = parsed.value();
        click.user_id = user.value();
        auto outcome = ctx.overrides->click(click);
        nlohmann::json body = {{"message", outcome.message}};
        if (outcome.alert) {
            body["alert"] = inbox_card(*outcome.alert, *ctx.policy);
        }
        if (outcome.status != 200) {
            body["error"] = outcome.status == 403   ? "forbidden"
                            : outcome.status == 404 ? "not_found"
                            : outcome.status == 409 ? "conflict"
                                                    : "bad_request";
        }
        return HttpResponse::json(outcome.status, body.dump());
    });
}

}  // namespace terrain::webhooks
