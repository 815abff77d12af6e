// Every card and event terrain sends stays within what each platform accepts, whatever the
// alert says: long and Unicode labels, long reasons and actions, many overrides, many people
// on duty. A property test over hostile and huge alert content; the Teams cards it builds are
// also written (to $TERRAIN_RECORD_DIR/cards) for the Adaptive Cards library to validate
// (tests/cards).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <string>

#include "alerts/chat/chat_text.h"
#include "alerts/mattermost/receiver.h"
#include "alerts/pagerduty/receiver.h"
#include "alerts/policy.h"
#include "alerts/slack/receiver.h"
#include "alerts/teams/receiver.h"
#include "monitor/default_config.h"
#include "tests/support/platform_limits.h"
#include "webhooks/interact.h"

namespace terrain::alerts {
namespace {

using testing::PlatformLimits;

// Valid UTF-8 in every shape that breaks naive cutting: 1 to 4 byte characters, combining
// marks, markup that each platform reads, entities, escapes, control characters.
class Hostile {
public:
    explicit Hostile(unsigned seed) : rng_(seed) {}

    std::string text(std::size_t bytes) {
        static const char* kPieces[] = {
            "a",         "Z",        " ",          "\xc3\xa9",          "\xe2\x82\xac",
            "\xf0\x9f\x94\xa5", "e\xcc\x81", "<!channel>", "@here",      "&amp;",
            "<@U0123>",  "[x](https://evil.example)", "*",  "_", "\\", "`", "\n", "\t",
            "<at>Ana</at>", "\xe4\xb8\xad\xe6\x96\x87", "|", "\"", "'", "#", "~", ">",
        };
        std::string out;
        std::uniform_int_distribution<std::size_t> pick(0, std::size(kPieces) - 1);
        while (out.size() < bytes) {
            out += kPieces[pick(rng_)];
        }
        // At most `bytes`, cut at a character boundary (the content itself is valid UTF-8).
        std::size_t end = std::min(bytes, out.size());
        while (end > 0 && end < out.size() && (static_cast<unsigned char>(out[end]) & 0xC0) == 0x80) {
            --end;
        }
        return out.substr(0, end);
    }
    std::size_t size(std::size_t max) { return std::uniform_int_distribution<std::size_t>(0, max)(rng_); }

private:
    std::mt19937 rng_;
};

bool valid_utf8(const nlohmann::json& j) {
    try {
        (void)j.dump();
        return true;
    } catch (const nlohmann::json::exception&) {
        return false;
    }
}

struct World {
    core::Config config = monitor::default_config();
    std::unique_ptr<Policy> policy;

    World(Hostile& h, std::size_t people, std::size_t actions) {
        config.interact.public_url = "https://terrain.example";
        config.interact.signal_links = {{"zendesk", "https://acme.zendesk.com/agent/tickets/{id}"}};
        std::vector<std::string> names;
        for (std::size_t i = 0; i < people; ++i) {
            core::PersonConfig p;
            p.name = h.text(1 + h.size(120)) + std::to_string(i);
            p.roles = {"cx_lead", "campaign_owner"};
            p.ids = {{"slack", "U" + std::to_string(1000 + i)},
                     {"teams", "29:" + std::to_string(i)},
                     {"mattermost", "mm" + std::to_string(i)}};
            p.mattermost_username = "user" + std::to_string(i);
            names.push_back(p.name);
            config.people.push_back(std::move(p));
        }
        for (std::size_t i = 0; i < actions; ++i) {
            core::ActionConfig a;
            a.name = "act_" + std::to_string(i);
            a.label = h.text(1 + h.size(300));
            a.confirm = h.text(h.size(2000));
            a.executor = "dry_run";
            config.actions.push_back(std::move(a));
        }
        config.interact.not_a_problem_reasons.clear();
        for (std::size_t i = 0; i < 3 + h.size(17); ++i) {
            config.interact.not_a_problem_reasons.push_back("r" + h.text(h.size(119)));
        }
        policy = std::make_unique<Policy>(config.people, config.actions, config.interact);
        people_ = std::move(names);
    }
    std::vector<std::string> people_;
};

Alert hostile_alert(Hostile& h, const std::vector<std::string>& people, bool pair) {
    Alert a;
    a.id = "0123456789abcdef";
    a.metric = h.text(1 + h.size(128));
    a.detector = h.text(1 + h.size(128));
    a.severity = pair ? "critical" : "warning";
    a.state = h.size(1) == 0 ? AlertState::kFiring : AlertState::kResolved;
    a.resolved_by = h.text(h.size(200));
    for (const char* key : {"tenant", "source", "campaign", "journey", "channel", "provider",
                            "region", "bot", "lob", "topic"}) {
        a.labels.emplace_back(key, h.text(128));
    }
    a.reason = h.text(2048);
    a.summary = h.text(h.size(8000));
    a.observed = 0.0123;
    a.expected = 0.002;
    a.acknowledged_at_ms = 1;
    a.acknowledged_by = h.text(h.size(300));
    a.feedback = "not_a_problem";
    a.feedback_reason = h.text(h.size(2048));
    for (std::size_t i = 0; i < h.size(40); ++i) {
        a.overrides.push_back({"act_1", h.text(h.size(200)), "done", h.text(h.size(100)), 1,
                               h.text(h.size(500))});
    }
    for (std::size_t i = 0; i < h.size(30); ++i) {
        a.also.push_back(h.text(h.size(400)));
    }
    a.on_duty = people;
    for (std::size_t i = 0; i < Alert::kTrailPoints; ++i) {
        a.trail.push_back({static_cast<std::int64_t>(i) * 300'000, 0.001F * h.size(100),
                           0, 0.05F, h.size(3) == 0});
    }
    a.impact.push_back({0, 1e15, 1e18});
    for (std::size_t i = 0; i < Alert::kSignalsKept; ++i) {
        a.signals.push_back({static_cast<std::int64_t>(i), i % 2 == 0 ? "zendesk" : h.text(h.size(200)),
                             h.text(h.size(300)), h.text(h.size(2000))});
    }
    if (pair) {
        a.pair = PairEvidence{"delivery_rate", "mail_contacts", h.text(h.size(600)),
                              h.text(h.size(600)), true, h.text(h.size(2048))};
    }
    return a;
}

TEST(CardLimitsTest, EveryPayloadStaysWithinEachPlatformsLimitsWhateverTheAlertSays) {
    const char* dir = std::getenv("TERRAIN_RECORD_DIR");
    int checked = 0;
    for (unsigned seed = 1; seed <= 60; ++seed) {
        Hostile h(seed);
        // Few or many people on duty and actions offered.
        World w(h, seed % 3 == 0 ? 200 : 1 + h.size(5), seed % 4 == 0 ? 40 : h.size(3));
        const Alert a = hostile_alert(h, w.people_, seed % 2 == 0);
        SCOPED_TRACE("seed " + std::to_string(seed));

        const nlohmann::json slack = {{"channel", "C1"},
                                      {"text", SlackReceiver::text(a, *w.policy)},
                                      {"blocks", SlackReceiver::blocks(a, *w.policy)}};
        ASSERT_TRUE(valid_utf8(slack));
        EXPECT_EQ(PlatformLimits::slack(slack), std::vector<std::string>{});

        const nlohmann::json post = {
            {"channel_id", "c"},
            {"message", ""},
            {"props",
             {{"attachments", nlohmann::json::array({MattermostReceiver::attachment(
                                  a, *w.policy, "https://terrain.example/interact/mattermost",
                                  "secret")})}}}};
        ASSERT_TRUE(valid_utf8(post));
        EXPECT_EQ(PlatformLimits::mattermost(post), std::vector<std::string>{});

        Notification n;
        n.alert = a;
        n.transition = "firing";
        n.note = h.text(h.size(40'000));
        const nlohmann::json event = PagerDutyReceiver::event(n, "routing-key");
        ASSERT_TRUE(valid_utf8(event));
        EXPECT_EQ(PlatformLimits::pagerduty(event), std::vector<std::string>{});

        const nlohmann::json activity = {
            {"type", "message"},
            {"attachments", nlohmann::json::array({{{"contentType",
                                                      "application/vnd.microsoft.card.adaptive"},
                                                     {"content", TeamsReceiver::card(a, *w.policy)}}})}};
        ASSERT_TRUE(valid_utf8(activity));
        EXPECT_EQ(PlatformLimits::teams(activity), std::vector<std::string>{});
        if (dir != nullptr && *dir != 0) {
            std::ofstream(std::string(dir) + "/cards/property-" + std::to_string(seed) + ".json")
                << activity.dump();
        }
        ++checked;
    }
    EXPECT_EQ(checked, 60);
}

// Each Teams choice has its own input id, and the click carries the choice of the action
// pressed, not another action's.
TEST(CardLimitsTest, TeamsChoicesHaveTheirOwnInputsAndTheClickReadsItsOwn) {
    const core::Config config = monitor::default_config();
    Policy policy(config.people, config.actions, config.interact);
    Alert a;
    a.id = "a-1";
    a.metric = "spam_complaint_rate";
    a.severity = "critical";
    const nlohmann::json card = TeamsReceiver::card(a, policy);
    std::vector<std::string> ids;
    for (const auto& action : card["actions"]) {
        if (action["type"] == "Action.ShowCard" &&
            action["card"]["body"][0]["type"] == "Input.ChoiceSet") {
            ids.push_back(action["card"]["body"][0]["id"]);
            EXPECT_EQ(ids.back(), teams_input_id(action["card"]["actions"][0]["verb"].get<std::string>()));
        }
    }
    EXPECT_EQ(ids, (std::vector<std::string>{"arg_snooze", "arg_not_a_problem"}));
    // Teams merges every input of the card into the data of the button pressed.
    const nlohmann::json invoke = {
        {"type", "invoke"},
        {"name", "adaptiveCard/action"},
        {"serviceUrl", "https://smba.example/teams"},
        {"from", {{"id", "29:ana"}, {"aadObjectId", "aad-ana"}}},
        {"conversation", {{"id", "19:c"}}},
        {"value",
         {{"action",
           {{"type", "Action.Execute"},
            {"verb", "snooze"},
            {"data", {{"alert", "a-1"}, {"arg_snooze", "4h"}, {"arg_not_a_problem", "planned"}}}}}}}};
    const auto click = webhooks::parse_teams_invoke(invoke.dump());
    ASSERT_TRUE(click.ok()) << click.error().message;
    EXPECT_EQ(click.value().click.action, "snooze");
    EXPECT_EQ(click.value().click.arg, "4h");
}

std::vector<std::string> buttons(const Policy& policy, const Alert& a) {
    std::vector<std::string> out;
    for (const auto* action : policy.offered(a)) {
        out.push_back(action->name);
    }
    return out;
}

// The feedback loop closes: confirm once someone took the alert on, and on a resolved alert
// both verdicts until one is given (a false alert that fired and resolved can be marked).
TEST(CardButtonsTest, VerdictsAreOfferedUntilGivenAndOnResolvedAlerts) {
    const core::Config config = monitor::default_config();
    Policy policy(config.people, config.actions, config.interact);
    Alert a;
    a.id = "a-1";
    a.labels = {{"campaign", "spring"}};
    a.state = AlertState::kFiring;
    const auto fresh = buttons(policy, a);
    EXPECT_EQ(std::vector<std::string>(fresh.begin(), fresh.begin() + 3),
              (std::vector<std::string>{"acknowledge", "snooze", "not_a_problem"}));
    a.acknowledged_at_ms = 1;
    const auto taken = buttons(policy, a);
    EXPECT_EQ(std::vector<std::string>(taken.begin(), taken.begin() + 3),
              (std::vector<std::string>{"snooze", "confirm", "not_a_problem"}));
    a.state = AlertState::kResolved;
    EXPECT_EQ(buttons(policy, a), (std::vector<std::string>{"confirm", "not_a_problem"}));
    a.feedback = "not_a_problem";
    EXPECT_EQ(buttons(policy, a), std::vector<std::string>{});
}

// One model, four renderings: every labelled figure of the inbox card (fired on, now, expected
// or limit, customers affected, trend), its state and what customers said, with their links,
// are on the Slack, Teams and Mattermost cards of the same alert, word for word as each
// platform must receive them.
TEST(CardFiguresTest, SlackTeamsAndMattermostShowTheInboxsFigures) {
    core::Config config = monitor::default_config();
    config.interact.signal_links = {{"zendesk", "https://acme.zendesk.com/agent/tickets/{id}"}};
    Policy policy(config.people, config.actions, config.interact);
    for (const bool pair : {false, true}) {
        SCOPED_TRACE(pair ? "pair" : "threshold");
        Alert a;
        a.id = "a-1";
        a.metric = pair ? "mail_contacts_per_delivered" : "spam_complaint_rate";
        a.detector_type = pair ? "disagreement" : "threshold";
        a.severity = "critical";
        a.labels = {{"campaign", "spring"}, {"provider", "gmail.com"}};
        a.summary = "spam_complaint_rate for campaign=spring: 0.32% is above 0.10%";
        a.fired.observed = 0.0032;
        a.observed = 0.0041;
        a.expected = 0.001;
        a.numerator = 59;
        a.denominator = 14'474;
        a.acknowledged_at_ms = 1;
        a.acknowledged_by = "Ana";
        a.overrides.push_back({"pause_campaign", "Pause campaign", "done", "Ana", 2, "dry run"});
        for (int i = 0; i < 12; ++i) {
            a.trail.push_back({i * 300'000LL, 0.0009F + (i > 8 ? 0.003F : 0.0F), 0, 0.002F, i > 8});
        }
        a.impact = {{1'000, 46, 14'474}, {2'000, 13, 9'000}};
        a.signals = {{3'600'000, "zendesk", "ticket.created", "ticket:4521"},
                     {3'500'000, "sendgrid", "email.complaint", "h:9f"}};
        if (pair) {
            a.pair = PairEvidence{"delivery_rate", "mail_contacts", "Messages delivered",
                                  "Complaints and tickets", true, "Pause the campaign"};
            a.claim = 0.99;
            a.claim_expected = 0.985;
        }
        const nlohmann::json inbox = webhooks::inbox_card(a, policy);
        ASSERT_EQ(inbox["facts"].size(), pair ? 4U : 5U);
        ASSERT_EQ(inbox["said"].size(), 2U);
        EXPECT_EQ(inbox["said"][0]["url"], "https://acme.zendesk.com/agent/tickets/4521");
        EXPECT_EQ(inbox["said"][1]["url"], "");

        const nlohmann::json slack = SlackReceiver::blocks(a, policy);
        const nlohmann::json teams = TeamsReceiver::card(a, policy);
        const nlohmann::json mattermost =
            MattermostReceiver::attachment(a, policy, "https://terrain.example/i", "secret");
        const std::string slack_text = slack.dump(), teams_text = teams.dump(),
                          mattermost_text = mattermost.dump();
        auto has = [](const std::string& payload, const std::string& part) {
            return payload.find(nlohmann::json(part).dump().substr(1, nlohmann::json(part).dump().size() - 2)) !=
                   std::string::npos;
        };
        for (const auto& fact : inbox["facts"]) {
            const std::string name = fact[0], value = fact[1];
            EXPECT_TRUE(has(slack_text, "*" + slack_escape(name) + "*\n" + slack_escape(value))) << name;
            EXPECT_TRUE(has(teams_text, markdown_escape(name)) && has(teams_text, markdown_escape(value)))
                << name;
            EXPECT_TRUE(has(mattermost_text, plain_escape(name)) &&
                        has(mattermost_text, markdown_escape(value)))
                << name;
        }
        for (const auto& part : inbox["state_parts"]) {
            EXPECT_TRUE(has(slack_text, slack_escape(part.get<std::string>()))) << part;
            EXPECT_TRUE(has(teams_text, markdown_escape(part.get<std::string>()))) << part;
            EXPECT_TRUE(has(mattermost_text, markdown_escape(part.get<std::string>()))) << part;
        }
        EXPECT_TRUE(has(slack_text, "dry run, nothing sent"));
        for (const auto& said : inbox["said"]) {
            const std::string text = said["text"], url = said["url"];
            if (url.empty()) {
                EXPECT_TRUE(has(slack_text, slack_escape(text))) << text;
                EXPECT_TRUE(has(teams_text, markdown_escape(text))) << text;
                EXPECT_TRUE(has(mattermost_text, markdown_escape(text))) << text;
            } else {
                EXPECT_TRUE(has(slack_text, "<" + url + "|" + slack_escape(text) + ">")) << text;
                EXPECT_TRUE(has(teams_text, "[" + markdown_escape(text) + "](" + url + ")")) << text;
                EXPECT_TRUE(has(mattermost_text, "[" + markdown_escape(text) + "](" + url + ")"))
                    << text;
            }
        }
        // The figures themselves, as people read them.
        EXPECT_TRUE(has(slack_text, "59 of 23,474 reached"));
        EXPECT_TRUE(has(slack_text, pair ? "fired on 0.32%, now 0.41% (expected 0.1%)" : "*Fired on*\n0.32%"));
    }
}

}  // namespace
}  // namespace terrain::alerts
