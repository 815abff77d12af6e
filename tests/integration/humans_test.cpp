#include <gtest/gtest.h>
#include <httplib.h>
#include <stdlib.h>

#include <chrono>
#include <set>
#include <thread>
#include <fstream>
#include <nlohmann/json.hpp>

#include "core/template.h"
#include "tests/support/bot_framework_signer.h"
#include "tests/support/chat_stand_in.h"
#include "tests/support/http_sink.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/traffic.h"
#include "core/signature.h"
#include "webhooks/guard.h"
#include "webhooks/sources/sendgrid/signature.h"
#include "webhooks/sources/mailgun/signature.h"
#include "webhooks/sources/zendesk/signature.h"
#include "webhooks/sources/ses/signature.h"
#include "alerts/slack/signature.h"
#include "alerts/mattermost/receiver.h"

namespace terrain {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::now_s;
using testing::Service;

constexpr const char* kSigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";

// The embedded default's metrics with Slack, PagerDuty as its escalation target, two people
// and a "Pause campaign" override calling the stand-in MAP.
std::string humans_config(const std::string& stand_in) {
    return R"(
receivers:
  - name: cx-slack
    type: slack
    url: )" +
           stand_in + R"(/api
    channel: C0TERRAIN
    token: {env: TEST_SLACK_TOKEN}
    escalate_after: 2s
    escalate_to: on-call
    initial_backoff: 100ms
  - name: on-call
    type: pagerduty
    url: )" +
           stand_in + R"(/pd
    token: {env: TEST_PD_KEY}
    initial_backoff: 100ms
people:
  - name: Ana Ortiz
    roles: [campaign_owner]
    slack: U0ANA
  - name: Bob Byrne
    roles: [agent]
    slack: U0BOB
on_duty:
  - name: campaign owners
    people: [Ana Ortiz]
  - name: billing desk
    match: {team: billing}
    people: [Bob Byrne]
interact:
  slack_signing_secret: {env: TEST_SLACK_SIGNING_SECRET}
)";
}

// The embedded default's metrics, the receivers, people and interact sections given, and a
// "Pause campaign" override calling the stand-in MAP.
std::string with_pause_action(const std::string& stand_in, const std::string& chat) {
    auto [status, yaml] = testing::run_command(std::string(TERRAIN_BINARY) + " default-config", "");
    EXPECT_EQ(status, 0);
    yaml = yaml.substr(0, yaml.find("\npeople:"));
    return yaml + chat + R"(
actions:
  - name: pause_campaign
    label: Pause campaign
    roles: [campaign_owner]
    confirm: "Stops every send of {{labels.campaign}}."
    executor: http
    secrets:
      map_key: {env: TEST_MAP_KEY}
    call:
      method: POST
      url: )" + stand_in + R"(/map/campaigns/{{labels.campaign}}/pause
      headers: {Authorization: "Bearer {{secret.map_key}}"}
      body: '{"campaign": "{{labels.campaign}}", "by": "{{person}}"}'
)";
}

// A Slack block_actions request for a button (or a select's option when `arg` is given);
// every click is a new request (its own trigger_id), as two presses of a button are.
struct SlackClick {
    static inline int clicks = 0;
    std::string body;
    std::string timestamp;
    std::string signature;

    SlackClick(const std::string& user, const std::string& action, const std::string& alert,
               const std::string& arg = "", std::int64_t at_s = now_s(),
               const std::string& secret = kSigningSecret) {
        json a = {{"action_id", action}, {"block_id", "terrain"}, {"type", "button"},
                  {"value", alert}, {"action_ts", std::to_string(at_s) + ".000100"}};
        if (!arg.empty()) {
            a["selected_option"] = {{"value", alert + "|" + arg}};
        }
        json payload = {{"type", "block_actions"},
                        {"user", {{"id", user}, {"username", user}}},
                        {"channel", {{"id", "C0TERRAIN"}}},
                        {"trigger_id", std::to_string(++clicks)},
                        {"actions", json::array({a})}};
        body = "payload=" + core::percent_encode(payload.dump());
        timestamp = std::to_string(at_s);
        signature =
            "v0=" + core::hex(core::hmac_sha256(secret, {"v0:", timestamp, ":", body}));
    }
    int post(httplib::Client& c, bool signed_request = true) const {
        httplib::Headers h;
        if (signed_request) {
            h = {{"X-Slack-Request-Timestamp", timestamp}, {"X-Slack-Signature", signature}};
        }
        auto r = c.Post("/interact/slack", h, body, "application/x-www-form-urlencoded");
        return r ? r->status : -1;
    }
};

json get_or_null(httplib::Client& c, const std::string& path) {
    auto r = c.Get(path);
    return r && r->status == 200 ? json::parse(r->body) : json();
}

std::string spam_alert_id(httplib::Client& c) {
    const json list = get_or_null(c, "/api/v1/alerts?state=firing");
    for (const auto& a : list.value("alerts", json::array())) {
        if (a["metric"] == "spam_complaint_rate") {
            return a["id"];
        }
    }
    return "";
}

std::size_t top_level_posts(testing::ChatStandIn& chat) {
    std::size_t n = 0;
    for (const auto& r : chat.to("/api/chat.postMessage")) {
        n += r.body.contains("thread_ts") ? 0 : 1;
    }
    return n;
}

// Whether the first message posted (the stand-in's first ts) was updated to show `text`.
bool first_message_updated(testing::ChatStandIn& chat, const std::string& text) {
    for (const auto& u : chat.to("/api/chat.update")) {
        if (u.body.dump().find(text) != std::string::npos) {
            return u.body["ts"] == "1764500000.100001";
        }
    }
    return false;
}

// Posts the spam complaint scenario's first hour until the spam_complaint_rate alert fires.
std::string raise_spam_alert(httplib::Client& c, Service& svc) {
    testing::Traffic traffic{(now_s() - 2 * 86400) / 300 * 300};
    for (int m = 0; m < 60; ++m) {
        testing::post_json(c, "/ingest/sendgrid", traffic.minute(m, 200, 100, 1).dump());
    }
    std::string alert;
    EXPECT_TRUE(eventually([&] { return !(alert = spam_alert_id(c)).empty(); },
                           std::chrono::seconds(90)))
        << svc.read_log() << get_or_null(c, "/api/v1/alerts").dump(1);
    return alert;
}

bool has_audit(httplib::Client& c, const std::string& action, const std::string& by_prefix,
               const std::string& result_prefix) {
    const json audit = get_or_null(c, "/api/v1/audit");
    for (const auto& e : audit.value("entries", json::array())) {
        if (e["action"] == action && e["by"].get<std::string>().rfind(by_prefix, 0) == 0 &&
            e["result"].get<std::string>().rfind(result_prefix, 0) == 0) {
            return true;
        }
    }
    return false;
}

TEST(HumansInTheLoop, SlackClicksActOnTheMapOnceWithRolesAuditEscalationAndRestart) {
    testing::TempDir dir;
    testing::ChatStandIn chat;
    ::setenv("TEST_SLACK_TOKEN", "xoxb-test-token", 1);
    ::setenv("TEST_PD_KEY", "pd-routing-key", 1);
    ::setenv("TEST_MAP_KEY", "map-secret-key", 1);
    ::setenv("TEST_SLACK_SIGNING_SECRET", kSigningSecret, 1);
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << with_pause_action(chat.base(), humans_config(chat.base()));
    auto [check_status, check_out] =
        testing::run_command(std::string(TERRAIN_BINARY) + " check --config " + config, "");
    ASSERT_EQ(check_status, 0) << check_out;
    const std::vector<std::string> args = {"--config", config, "--data-dir", dir.file("data")};

    std::string alert;
    {
        Service svc(args, dir.file("terrain.log"));
        terrain::testing::Client c("127.0.0.1", svc.port());
        alert = raise_spam_alert(c, svc);
        ASSERT_FALSE(alert.empty());

        // One message, with the override's button (and its confirmation) on it.
        ASSERT_TRUE(eventually([&] { return top_level_posts(chat) >= 1; })) << svc.read_log();
        const auto first = chat.to("/api/chat.postMessage").front();
        EXPECT_EQ(first.authorization, "Bearer xoxb-test-token");
        EXPECT_EQ(first.body["channel"], "C0TERRAIN");
        bool pause_button = false;
        for (const auto& b : first.body["blocks"]) {
            if (b["type"] == "actions") {
                for (const auto& e : b["elements"]) {
                    if (e["action_id"] == "pause_campaign") {
                        pause_button = e["value"] == alert &&
                                       e["confirm"]["text"]["text"] ==
                                           "Stops every send of spring-sale.";
                    }
                }
            }
        }
        EXPECT_TRUE(pause_button) << first.body.dump(2);
        // It mentions the people on duty for it (in its text, which is what notifies them).
        EXPECT_NE(first.body["text"].get<std::string>().find("On duty: <@U0ANA>"),
                  std::string::npos)
            << first.body.dump(2);
        EXPECT_EQ(first.body.dump().find("U0BOB"), std::string::npos);
        const json shifts = get_or_null(c, "/api/v1/on_duty")["shifts"];
        ASSERT_EQ(shifts.size(), 2U) << shifts.dump(1);
        EXPECT_EQ(shifts[0]["when"], "every day 00:00-24:00 UTC");
        EXPECT_EQ(shifts[0]["on_now"], true);
        EXPECT_EQ(shifts[1]["people"], json::array({"Bob Byrne"}));
        EXPECT_EQ(get_or_null(c, "/api/v1/alerts/" + alert)["on_duty"], json::array({"Ana Ortiz"}));

        // Nobody acknowledged within 2s: PagerDuty gets a trigger with the alert as dedup key.
        ASSERT_TRUE(eventually([&] { return !chat.to("/pd/v2/enqueue").empty(); }))
            << svc.read_log();
        const auto page = chat.to("/pd/v2/enqueue").front().body;
        EXPECT_EQ(page["event_action"], "trigger");
        EXPECT_EQ(page["dedup_key"], alert);
        EXPECT_EQ(page["routing_key"], "pd-routing-key");
        EXPECT_TRUE(has_audit(c, "escalate", "terrain", "done"));
        // The escalation's thread reply mentions the people on duty again (editing the message
        // would notify nobody).
        ASSERT_TRUE(eventually([&] {
            for (const auto& r : chat.to("/api/chat.postMessage")) {
                const std::string text = r.body.value("text", "");
                if (r.body.contains("thread_ts") && text.starts_with("Escalated") &&
                    text.ends_with("\nOn duty: <@U0ANA>")) {
                    return true;
                }
            }
            return false;
        })) << svc.read_log();

        // Unsigned, forged and stale clicks are refused; nothing reaches the MAP.
        SlackClick ana(std::string("U0ANA"), "pause_campaign", alert);
        EXPECT_EQ(ana.post(c, false), 401);
        SlackClick forged("U0ANA", "pause_campaign", alert, "", now_s(), "not-the-secret");
        EXPECT_EQ(forged.post(c), 401);
        SlackClick stale("U0ANA", "pause_campaign", alert, "", now_s() - 600);
        EXPECT_EQ(stale.post(c), 401);

        // Bob has no campaign_owner role: refused, told privately, audited.
        SlackClick bob("U0BOB", "pause_campaign", alert);
        EXPECT_EQ(bob.post(c), 200);
        ASSERT_TRUE(eventually([&] { return !chat.to("/api/chat.postEphemeral").empty(); }));
        const auto told = chat.to("/api/chat.postEphemeral").front().body;
        EXPECT_EQ(told["user"], "U0BOB");
        EXPECT_NE(told["text"].get<std::string>().find("campaign_owner"), std::string::npos);
        EXPECT_TRUE(has_audit(c, "pause_campaign", "Bob Byrne", "refused"));

        // Ana may: the MAP is called once, with the secret and an idempotency key.
        EXPECT_EQ(ana.post(c), 200);
        EXPECT_EQ(ana.post(c), 401);  // the same signed request again: a replay
        SlackClick again("U0ANA", "pause_campaign", alert);  // a second click
        EXPECT_EQ(again.post(c), 200);
        ASSERT_TRUE(eventually([&] { return has_audit(c, "pause_campaign", "terrain for Ana", "done"); }))
            << svc.read_log();
        const auto map_calls = chat.to("/map/campaigns/spring-sale/pause");
        ASSERT_EQ(map_calls.size(), 1U);
        EXPECT_EQ(map_calls[0].authorization, "Bearer map-secret-key");
        EXPECT_EQ(map_calls[0].body["by"], "Ana Ortiz");
        EXPECT_FALSE(map_calls[0].idempotency_key.empty());
        EXPECT_TRUE(has_audit(c, "pause_campaign", "Ana Ortiz", "refused: 'Pause campaign' is already"));

        // The message is updated in place and the result is told in its thread.
        ASSERT_TRUE(eventually([&] { return first_message_updated(chat, "Pause campaign: done (Ana Ortiz)"); }))
            << svc.read_log();
        ASSERT_TRUE(eventually([&] {
            for (const auto& r : chat.to("/api/chat.postMessage")) {
                if (r.body.value("thread_ts", "") == "1764500000.100001" &&
                    r.body["text"].get<std::string>().rfind("Pause campaign: done", 0) == 0) {
                    return true;
                }
            }
            return false;
        }));

        // Ana acknowledges: PagerDuty's incident is acknowledged too.
        EXPECT_EQ(SlackClick("U0ANA", "acknowledge", alert).post(c), 200);
        ASSERT_TRUE(eventually([&] {
            const auto pd = chat.to("/pd/v2/enqueue");
            return pd.size() == 2 && pd[1].body["event_action"] == "acknowledge";
        }));
        auto audit = get_or_null(c, "/api/v1/audit");
        EXPECT_EQ(audit["chain"]["intact"], true) << audit.dump(2);
        EXPECT_EQ(svc.stop(), 0);
    }
    {
        const std::string log = testing::read_file(dir.file("terrain.log"));
        for (const char* secret : {"xoxb-test-token", "map-secret-key", "pd-routing-key",
                                   kSigningSecret}) {
            EXPECT_EQ(log.find(secret), std::string::npos) << secret << " in the log";
        }
    }

    // After a restart: still acknowledged, nothing re-posted, the same message updated.
    const auto posts_before = top_level_posts(chat);
    const auto map_before = chat.to("/map/campaigns/spring-sale/pause").size();
    Service svc(args, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    auto a = get_or_null(c, "/api/v1/alerts/" + alert);
    EXPECT_EQ(a["acknowledged_by"], "Ana Ortiz");
    EXPECT_EQ(a["overrides"][0]["state"], "done");
    EXPECT_EQ(SlackClick("U0ANA", "pause_campaign", alert).post(c), 200);  // still once
    EXPECT_EQ(SlackClick("U0ANA", "not_a_problem", alert, "expected (planned send)").post(c), 200);
    ASSERT_TRUE(eventually([&] { return first_message_updated(chat, "Not a problem: expected (planned send)"); }))
        << svc.read_log();
    EXPECT_EQ(top_level_posts(chat), posts_before);
    EXPECT_EQ(chat.to("/map/campaigns/spring-sale/pause").size(), map_before);
    EXPECT_EQ(get_or_null(c, "/api/v1/audit")["chain"]["intact"], true);
}

// Mattermost: one post per alert with interactive buttons whose context carries a signed token;
// a click with a token that does not verify is refused; a person without the role is told in
// ephemeral_text (and audited); an allowed click calls the MAP once and the post is updated in
// place, the result told in its thread.
TEST(HumansInTheLoop, MattermostButtonsCarryASignedTokenAndUpdateTheSamePost) {
    testing::TempDir dir;
    testing::ChatStandIn chat;
    ::setenv("TEST_MM_TOKEN", "mm-bot-token", 1);
    ::setenv("TEST_MM_SECRET", "mm-button-secret", 1);
    ::setenv("TEST_MAP_KEY", "map-secret-key", 1);
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << with_pause_action(chat.base(), R"(
receivers:
  - name: cx-mattermost
    type: mattermost
    url: )" + chat.base() + R"(
    channel: mmchannel1
    token: {env: TEST_MM_TOKEN}
    initial_backoff: 100ms
people:
  - name: Ana Ortiz
    roles: [campaign_owner]
    mattermost: anaid
    mattermost_username: ana.ortiz
  - name: Bob Byrne
    roles: [agent]
    mattermost: bobid
on_duty:
  - name: everyone
    people: [Ana Ortiz, Bob Byrne]
interact:
  mattermost_secret: {env: TEST_MM_SECRET}
  public_url: https://terrain.example.com/
)");
    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    const std::string alert = raise_spam_alert(c, svc);
    ASSERT_FALSE(alert.empty());

    ASSERT_TRUE(chat.wait_for("/api/v4/posts", 1)) << svc.read_log();
    const auto first = chat.to("/api/v4/posts").front();
    EXPECT_EQ(first.authorization, "Bearer mm-bot-token");
    EXPECT_EQ(first.body["channel_id"], "mmchannel1");
    // Mattermost mentions by username; Bob has none, so he is named.
    EXPECT_NE(first.body["props"]["attachments"][0]["text"].get<std::string>().find(
                  "On duty: @ana.ortiz, Bob Byrne"),
              std::string::npos)
        << first.body.dump(2);
    json pause;
    for (const auto& a : first.body["props"]["attachments"][0]["actions"]) {
        if (a["integration"]["context"]["action"] == "pause_campaign") {
            pause = a;
        }
    }
    ASSERT_TRUE(pause.is_object()) << first.body.dump(2);
    EXPECT_EQ(pause["name"], "Pause campaign");
    EXPECT_EQ(pause["integration"]["url"], "https://terrain.example.com/interact/mattermost");
    const json context = pause["integration"]["context"];
    EXPECT_EQ(context["alert"], alert);

    // What Mattermost posts when someone presses the button: the context, unchanged.
    auto press = [&](const std::string& user, json ctx) {
        const json body = {{"user_id", user}, {"user_name", user}, {"channel_id", "mmchannel1"},
                           {"post_id", "mmpost1"}, {"context", ctx}};
        return c.Post("/interact/mattermost", body.dump(), "application/json");
    };
    json forged = context;
    forged["token"] = std::string(64, 'a');
    auto refused = press("anaid", forged);
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 401);
    json other_alert = context;
    other_alert["alert"] = "another-alert";  // a valid token moved to another alert
    EXPECT_EQ(press("anaid", other_alert)->status, 401);

    auto bob = press("bobid", context);
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->status, 200);
    EXPECT_NE(json::parse(bob->body).value("ephemeral_text", "").find("campaign_owner"),
              std::string::npos)
        << bob->body;
    EXPECT_TRUE(has_audit(c, "pause_campaign", "Bob Byrne", "refused"));

    EXPECT_EQ(press("anaid", context)->status, 200);
    EXPECT_EQ(press("anaid", context)->status, 200);  // pressed twice
    ASSERT_TRUE(eventually([&] { return has_audit(c, "pause_campaign", "terrain for Ana", "done"); }))
        << svc.read_log();
    EXPECT_EQ(chat.to("/map/campaigns/spring-sale/pause").size(), 1U);

    // The same post is updated, and the result is a reply in its thread.
    ASSERT_TRUE(eventually([&] {
        for (const auto& u : chat.to("/api/v4/posts/mmpost1")) {
            if (u.body.dump().find("Pause campaign: done (Ana Ortiz)") != std::string::npos) {
                return true;
            }
        }
        return false;
    })) << svc.read_log();
    ASSERT_TRUE(eventually([&] {
        for (const auto& r : chat.to("/api/v4/posts")) {
            if (r.body.value("root_id", "") == "mmpost1" &&
                r.body["message"].get<std::string>().rfind("Pause campaign: done", 0) == 0) {
                return true;
            }
        }
        return false;
    }));
    std::size_t top_level = 0;
    for (const auto& r : chat.to("/api/v4/posts")) {
        top_level += r.body.contains("root_id") ? 0 : 1;
    }
    EXPECT_EQ(top_level, 1U);
    EXPECT_EQ(svc.read_log().find("mm-button-secret"), std::string::npos);
}

// Microsoft Teams: one Adaptive Card per alert sent as the bot through the Bot Connector (with
// a token from the client credentials grant); an Action.Execute click arrives as an invoke
// activity with the Bot Framework's signed token, which must verify (signature, audience,
// expiry, serviceUrl); a person without the role is answered with a message for them alone
// (and audited); an allowed click calls the MAP once, is answered with the updated card, and
// the channel's card is updated in place with the result in its thread.
TEST(HumansInTheLoop, TeamsActionExecuteIsVerifiedAndUpdatesTheSameCard) {
    testing::TempDir dir;
    testing::ChatStandIn chat;
    testing::BotFrameworkSigner signer;
    chat.set_jwks(json::array({signer.jwk()}));
    ::setenv("TEST_TEAMS_PASSWORD", "teams-app-password", 1);
    ::setenv("TEST_MAP_KEY", "map-secret-key", 1);
    const std::string app = "5b7f1a2e-terrain-bot";
    const std::string service = chat.base() + "/teams";
    const std::string conversation = "19:terrain@thread.tacv2";
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << with_pause_action(chat.base(), R"(
receivers:
  - name: cx-teams
    type: teams
    url: )" + service + R"(
    channel: ")" + conversation + R"("
    initial_backoff: 100ms
people:
  - name: Ana Ortiz
    roles: [campaign_owner]
    teams: aad-ana
  - name: Bob Byrne
    roles: [agent]
    teams: aad-bob
on_duty:
  - name: owners
    people: [Ana Ortiz]
interact:
  teams_app_id: )" + app + R"(
  teams_app_password: {env: TEST_TEAMS_PASSWORD}
  teams_openid_url: )" + chat.base() + R"(/teams/openid
  teams_token_url: )" + chat.base() + R"(/teams/token
)");
    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    const std::string alert = raise_spam_alert(c, svc);
    ASSERT_FALSE(alert.empty());

    const std::string activities = "/teams/v3/conversations/" + conversation + "/activities";
    ASSERT_TRUE(chat.wait_for(activities, 1)) << svc.read_log();
    const auto first = chat.to(activities).front();
    EXPECT_EQ(first.authorization, "Bearer bf-access-token");
    ASSERT_FALSE(chat.token_requests().empty());
    const std::string form = chat.token_requests().front();
    EXPECT_NE(form.find("grant_type=client_credentials"), std::string::npos) << form;
    EXPECT_NE(form.find("client_id=" + app), std::string::npos) << form;
    EXPECT_NE(form.find("client_secret=teams-app-password"), std::string::npos) << form;
    const json attachment = first.body["attachments"][0];
    EXPECT_EQ(attachment["contentType"], "application/vnd.microsoft.card.adaptive");
    EXPECT_EQ(attachment["content"]["type"], "AdaptiveCard");
    // The person on duty is mentioned: the tag in the text and its entity with their id.
    EXPECT_EQ(attachment["content"]["body"].back()["text"], "On duty: <at>Ana Ortiz</at>");
    EXPECT_EQ(attachment["content"]["msteams"]["entities"],
              json::parse(R"([{"type": "mention", "text": "<at>Ana Ortiz</at>",
                               "mentioned": {"id": "aad-ana", "name": "Ana Ortiz"}}])"));
    json pause;
    for (const auto& a : attachment["content"]["actions"]) {
        if (a["title"] == "Pause campaign") {
            pause = a;
        }
    }
    ASSERT_TRUE(pause.is_object()) << attachment.dump(2);
    // The impact is shown before the click that acts.
    EXPECT_EQ(pause["type"], "Action.ShowCard");
    EXPECT_EQ(pause["card"]["body"][0]["text"], "Stops every send of spring-sale.");
    const json execute = pause["card"]["actions"][0];
    EXPECT_EQ(execute["type"], "Action.Execute");
    EXPECT_EQ(execute["verb"], "pause_campaign");
    EXPECT_EQ(execute["data"]["alert"], alert);

    // What the Bot Framework posts to the bot when someone presses the button.
    auto invoke = [&](const std::string& user, const std::string& token,
                      const std::string& service_url) {
        const json activity = {
            {"type", "invoke"},
            {"name", "adaptiveCard/action"},
            {"id", "f:" + std::to_string(now_s())},
            {"channelId", "msteams"},
            {"serviceUrl", service_url},
            {"from", {{"id", "29:" + user}, {"aadObjectId", user}, {"name", user}}},
            {"conversation", {{"id", conversation}}},
            {"recipient", {{"id", "28:" + app}}},
            {"replyToId", "teamsactivity1"},
            {"value",
             {{"action", {{"type", "Action.Execute"}, {"verb", "pause_campaign"},
                          {"data", execute["data"]}}},
              {"trigger", "manual"}}}};
        httplib::Headers h;
        if (!token.empty()) {
            h.emplace("Authorization", "Bearer " + token);
        }
        // The Bot Framework's keys are fetched in the background: a 503 is sent again.
        auto r = c.Post("/interact/teams", h, activity.dump(), "application/json");
        for (int i = 0; i < 200 && r && r->status == 503; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(25));
            r = c.Post("/interact/teams", h, activity.dump(), "application/json");
        }
        return r;
    };
    const std::string good = signer.token(testing::BotFrameworkSigner::claims(app, service, now_s()));
    testing::BotFrameworkSigner forger;
    EXPECT_EQ(invoke("aad-ana", "", service)->status, 401);
    EXPECT_EQ(invoke("aad-ana", forger.token(testing::BotFrameworkSigner::claims(app, service, now_s())), service)->status, 401);
    EXPECT_EQ(invoke("aad-ana", signer.token(testing::BotFrameworkSigner::claims("another-bot", service, now_s())), service)->status, 401);
    EXPECT_EQ(invoke("aad-ana", signer.token(testing::BotFrameworkSigner::claims(app, service, now_s() - 7200)), service)->status, 401);
    EXPECT_EQ(invoke("aad-ana", good, "https://evil.example.com/")->status, 401);

    auto bob = invoke("aad-bob", good, service);
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->status, 200);
    const json bob_answer = json::parse(bob->body);
    EXPECT_EQ(bob_answer["type"], "application/vnd.microsoft.activity.message");
    EXPECT_NE(bob_answer["value"].get<std::string>().find("campaign_owner"), std::string::npos)
        << bob->body;
    EXPECT_TRUE(has_audit(c, "pause_campaign", "Bob Byrne", "refused"));

    auto ana = invoke("aad-ana", good, service);
    ASSERT_TRUE(ana);
    EXPECT_EQ(ana->status, 200);
    const json ana_answer = json::parse(ana->body);
    EXPECT_EQ(ana_answer["statusCode"], 200);
    EXPECT_EQ(ana_answer["type"], "application/vnd.microsoft.card.adaptive");
    EXPECT_NE(ana_answer["value"].dump().find("Pause campaign: "), std::string::npos) << ana->body;
    EXPECT_EQ(invoke("aad-ana", good, service)->status, 200);  // pressed twice
    ASSERT_TRUE(eventually([&] { return has_audit(c, "pause_campaign", "terrain for Ana", "done"); }))
        << svc.read_log();
    EXPECT_EQ(chat.to("/map/campaigns/spring-sale/pause").size(), 1U);

    // The channel's card is updated in place, and the result is a reply in its thread.
    const std::string card = activities + "/teamsactivity1";
    ASSERT_TRUE(eventually([&] {
        for (const auto& u : chat.to(card)) {
            if (u.method == "PUT" &&
                u.body.dump().find("Pause campaign: done (Ana Ortiz)") != std::string::npos) {
                return true;
            }
        }
        return false;
    })) << svc.read_log();
    ASSERT_TRUE(eventually([&] {
        for (const auto& r : chat.to(card)) {
            if (r.method == "POST" && r.body.value("replyToId", "") == "teamsactivity1" &&
                r.body["text"].get<std::string>().rfind("Pause campaign: done", 0) == 0) {
                return true;
            }
        }
        return false;
    }));
    EXPECT_EQ(chat.to(activities).size(), 1U);  // one card, never posted again
    EXPECT_EQ(chat.token_requests().size(), 1U);  // the token is kept until it runs out
    EXPECT_EQ(svc.read_log().find("teams-app-password"), std::string::npos);
}

// The outbox: an alert's notification for a receiver that is down stays queued in the store;
// terrain is killed with SIGKILL, the receiver comes back, and after the restart the
// notification arrives once.
// Each person may have their own inbox login: a request bearing Ana's token acts as Ana (from
// any address), Bob's as Bob; the API token acts as the `local` identity; with an API token
// configured, no token (even from loopback) or a wrong one gets 401.
TEST(HumansInTheLoop, InboxLoginsActAsTheirOwnPerson) {
    testing::TempDir dir;
    testing::ChatStandIn chat;
    ::setenv("TEST_MAP_KEY", "map-secret-key", 1);
    ::setenv("TEST_API_TOKEN", "api-token-1", 1);
    ::setenv("TEST_ANA_INBOX", "ana-inbox-token", 1);
    ::setenv("TEST_BOB_INBOX", "bob-inbox-token", 1);
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << with_pause_action(chat.base(), R"(
api:
  token: {env: TEST_API_TOKEN}
people:
  - name: Front desk
    roles: [agent]
    inbox: local
  - name: Ana Ortiz
    roles: [campaign_owner]
    inbox: ana
    inbox_token: {env: TEST_ANA_INBOX}
  - name: Bob Byrne
    roles: [agent]
    inbox: bob
    inbox_token: {env: TEST_BOB_INBOX}
)");
    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    c.set_default_headers({{"Authorization", "Bearer api-token-1"}});
    const std::string alert = raise_spam_alert(c, svc);
    ASSERT_FALSE(alert.empty());

    auto as = [&](const std::string& token) {
        terrain::testing::Client client("127.0.0.1", svc.port());
        if (!token.empty()) {
            client.set_default_headers({{"Authorization", "Bearer " + token}});
        }
        return client;
    };
    auto you = [&](const std::string& token) {
        auto r = as(token).Get("/inbox/alerts");
        return r ? std::to_string(r->status) + " " +
                       (r->status == 200 ? json::parse(r->body)["you"].get<std::string>() : "")
                 : "no answer";
    };
    EXPECT_EQ(you(""), "401 ");
    EXPECT_EQ(you("not-a-token"), "401 ");
    EXPECT_EQ(you("api-token-1"), "200 Front desk");
    EXPECT_EQ(you("ana-inbox-token"), "200 Ana Ortiz");
    EXPECT_EQ(you("bob-inbox-token"), "200 Bob Byrne");

    const std::string pause = json{{"alert", alert}, {"action", "pause_campaign"}}.dump();
    auto bob = as("bob-inbox-token").Post("/inbox/act", pause, "application/json");
    ASSERT_TRUE(bob);
    EXPECT_EQ(bob->status, 403) << bob->body;
    EXPECT_TRUE(has_audit(c, "pause_campaign", "Bob Byrne", "refused"));
    auto ana = as("ana-inbox-token").Post("/inbox/act", pause, "application/json");
    ASSERT_TRUE(ana);
    EXPECT_EQ(ana->status, 200) << ana->body;
    ASSERT_TRUE(eventually([&] { return chat.to("/map/campaigns/spring-sale/pause").size() == 1; }))
        << svc.read_log();
    EXPECT_EQ(chat.to("/map/campaigns/spring-sale/pause")[0].body["by"], "Ana Ortiz");
    EXPECT_EQ(svc.read_log().find("ana-inbox-token"), std::string::npos);
}

TEST(HumansInTheLoop, ANotificationQueuedForADownReceiverSurvivesAKill) {
    testing::TempDir dir;
    int port = 0;
    {
        testing::HttpSink reserve;  // a free port, closed again: the receiver is down
        port = reserve.port();
    }
    auto [status, yaml] = testing::run_command(std::string(TERRAIN_BINARY) + " default-config", "");
    ASSERT_EQ(status, 0);
    yaml = yaml.substr(0, yaml.find("\nreceivers:"));
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << yaml << R"(
receivers:
  - name: team
    type: webhook
    url: http://127.0.0.1:)" << port << R"(/alerts
    max_attempts: 100
    initial_backoff: 100ms
    max_backoff: 200ms
)";
    std::string alert;
    {
        Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("first.log"));
        terrain::testing::Client c("127.0.0.1", svc.port());
        alert = raise_spam_alert(c, svc);
        ASSERT_FALSE(alert.empty());
        ASSERT_TRUE(eventually([&] {
            return svc.read_log().find("notify: receiver team failed") != std::string::npos;
        })) << svc.read_log();
        svc.stop(SIGKILL);
    }
    testing::HttpSink sink(port);
    ASSERT_EQ(sink.port(), port);
    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("second.log"));
    ASSERT_TRUE(eventually([&] {
        for (const auto& n : sink.received()) {
            if (n.dump().find(alert) != std::string::npos) {
                return true;
            }
        }
        return false;
    })) << svc.read_log();
    std::size_t firing = 0;
    for (const auto& n : sink.received()) {
        firing += n.dump().find(alert) != std::string::npos &&
                  n.value("transition", "") == "firing";
    }
    EXPECT_EQ(firing, 1U);
}

// An alert whose every label is 128 bytes of Unicode and markup, with a 2 KB description and
// long action labels, reaches every receiver (Slack, Teams, Mattermost, PagerDuty, webhook):
// each stand-in refuses as its platform does a payload beyond a documented limit, and none
// does; nothing goes to the dead letters. A Teams snooze (its own input id) is understood.
TEST(HumansInTheLoop, HugeAndHostileAlertsReachEveryPlatformWithinItsLimits) {
    testing::TempDir dir;
    testing::ChatStandIn chat;
    testing::BotFrameworkSigner signer;
    chat.set_jwks(json::array({signer.jwk()}));
    ::setenv("TEST_EVENTS_TOKEN", "events-token", 1);
    // 128 bytes: two-, three- and four-byte characters, markup and an entity in every value.
    auto label = [](char tag) {
        std::string v = std::string(1, tag) + " \xc3\xa9\xe2\x82\xac\xf0\x9f\x94\xa5 <!channel> *b* &amp; [x](y) ";
        while (v.size() < 128) {
            v += "\xe4\xb8\xad";
        }
        while (v.size() > 128) {
            v.resize(v.size() - 3);
        }
        return v;
    };
    std::string description;
    while (description.size() < 2048) {
        description += "Tickets say the mail never came \xe2\x80\x94 <@U1> _check_ & see. ";
    }
    std::string keys = "[tenant, source, campaign, journey, channel, provider, region, topic, "
                       "outcome, bounce_class, message_type, unsubscribe_scope, queue, bot, "
                       "survey, lob, first_outcome]";
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << R"(
sources:
  events:
    token: {env: TEST_EVENTS_TOKEN}
metrics:
  - name: tickets_everywhere
    help: ")" << description << R"("
    aggregate: count
    filter: {kind: ticket.created}
    group_by: )" << keys << R"(
    window: 1m
    detectors:
      - {type: threshold, above: 3, severity: critical}
receivers:
  - {name: s, type: slack, url: )" << chat.base() << R"(/api, channel: C1, token: {env: TEST_EVENTS_TOKEN}}
  - {name: t, type: teams, url: )" << chat.base() << R"(/teams, channel: "19:c@thread.tacv2"}
  - {name: m, type: mattermost, url: )" << chat.base() << R"(, channel: mmchannel, token: {env: TEST_EVENTS_TOKEN}}
  - {name: p, type: pagerduty, url: )" << chat.base() << R"(/pd, token: {env: TEST_EVENTS_TOKEN}}
  - {name: w, type: webhook, url: )" << chat.base() << R"(/map/hook}
people:
  - name: ")" << label('P') << R"("
    roles: [owner]
    slack: U0ANA
    teams: aad-ana
    mattermost: ana
actions:
  - name: snooze
  - name: not_a_problem
  - name: pause_campaign
    label: ")" << label('L') << R"("
    confirm: ")" << description << R"("
    executor: dry_run
    call: {method: POST, url: )" << chat.base() << R"(/map/pause}
on_duty:
  - name: everyone
    people: [")" << label('P') << R"("]
interact:
  public_url: https://terrain.example
  slack_signing_secret: {env: TEST_EVENTS_TOKEN}
  mattermost_secret: {env: TEST_EVENTS_TOKEN}
  teams_app_id: terrain-bot
  teams_app_password: {env: TEST_EVENTS_TOKEN}
  teams_openid_url: )" << chat.base() << R"(/teams/openid
  teams_token_url: )" << chat.base() << R"(/teams/token
  not_a_problem_reasons: [")" << label('R').substr(0, 100) << R"(", planned send]
)";
    auto [check_status, check_out] =
        testing::run_command(std::string(TERRAIN_BINARY) + " check --config " + config, "");
    ASSERT_EQ(check_status, 0) << check_out;
    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    json labels = json::object();
    for (const char* k : {"tenant", "source", "campaign", "journey", "channel", "provider",
                          "region", "topic", "outcome", "bounce_class", "message_type",
                          "unsubscribe_scope", "queue", "bot", "survey", "lob", "first_outcome"}) {
        labels[k] = label(k[0]);
    }
    const std::int64_t t0 = (now_s() - 3600) / 60 * 60;
    std::string events;
    for (int minute = 0; minute < 3; ++minute) {
        for (int i = 0; i < 10; ++i) {
            events += json{{"time", (t0 + minute * 60 + i) * 1000},
                           {"kind", "ticket.created"},
                           {"side", "customer"},
                           {"labels", labels}}
                          .dump() +
                      "\n";
        }
    }
    // A later event moves event time on, so the windows close without waiting for the clock.
    events += json{{"time", (t0 + 15 * 60) * 1000}, {"kind", "ticket.created"}, {"side", "customer"}}
                  .dump() + "\n";
    httplib::Headers auth = {{"Authorization", "Bearer events-token"}};
    auto r = c.Post("/ingest/events", auth, events, "application/x-ndjson");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    const std::string activities = "/teams/v3/conversations/19:c@thread.tacv2/activities";
    for (const char* path : {"/api/chat.postMessage", "/api/v4/posts", "/pd/v2/enqueue",
                             "/map/hook", activities.c_str()}) {
        EXPECT_TRUE(chat.wait_for(path, 1, std::chrono::seconds(60)))
            << path << "\n" << svc.read_log();
    }
    EXPECT_EQ(chat.refusals(), std::vector<std::string>{});
    // The alert says all of it (2 KB and more); the cards carry what fits.
    const json alerts = get_or_null(c, "/api/v1/alerts")["alerts"];
    ASSERT_FALSE(alerts.empty());
    EXPECT_GT(alerts[0]["summary"].get<std::string>().size(), 2048U);
    EXPECT_EQ(get_or_null(c, "/api/v1/dead-letters").value("dead_letters", json::array()), json::array())
        << get_or_null(c, "/api/v1/dead-letters").dump(1);
    // The whole alert is one click away from the cut card.
    const json card = chat.to(activities).front().body["attachments"][0]["content"];
    bool linked = false;
    for (const auto& a : card["actions"]) {
        linked = linked || (a["type"] == "Action.OpenUrl" &&
                            a["url"].get<std::string>().rfind("https://terrain.example/inbox#alert=", 0) == 0);
    }
    EXPECT_TRUE(linked) << card.dump(1);
    // Every choice input has its own id, a label and an error message.
    std::set<std::string> ids;
    for (const auto& a : card["actions"]) {
        if (a["type"] != "Action.ShowCard") {
            continue;
        }
        for (const auto& input : a["card"]["body"]) {
            if (input["type"] == "Input.ChoiceSet") {
                EXPECT_TRUE(ids.insert(input["id"].get<std::string>()).second) << input.dump();
                EXPECT_FALSE(input.value("label", "").empty()) << input.dump();
                EXPECT_FALSE(input.value("errorMessage", "").empty()) << input.dump();
            }
        }
    }
    EXPECT_EQ(ids, (std::set<std::string>{"arg_snooze", "arg_not_a_problem"}));
}

}  // namespace
}  // namespace terrain
