#include <gtest/gtest.h>

#include "detectors/detector.h"
#include "monitor/default_config.h"
#include "core/config.h"

namespace terrain::core {
namespace {

TEST(ConfigTest, EmbeddedDefaultIsValidAndWatchesSendgrid) {
    Config c = monitor::default_config();
    std::vector<std::string> names;
    for (const auto& m : c.metrics) {
        names.push_back(m.name);
    }
    for (const char* want : {"processed", "delivered", "hard_bounce_rate", "block_rate",
                             "deferral_rate", "spam_complaint_rate", "unsubscribe_rate"}) {
        EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
    }
    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    for (const auto& m : c.metrics) {
        for (const auto& d : m.detectors) {
            EXPECT_NO_THROW(registry.make(d)) << d.path;
        }
    }
    const auto& spam = *std::find_if(c.metrics.begin(), c.metrics.end(),
                                     [](const auto& m) { return m.name == "spam_complaint_rate"; });
    EXPECT_EQ(spam.aggregation, Aggregation::kRatio);
    EXPECT_TRUE(spam.by_send);  // judged per send, over three days of late complaints
    EXPECT_EQ(spam.horizon_ms, 3 * 24 * 3'600'000LL);
    EXPECT_EQ(spam.detectors.at(0).params.at("above").get<double>(), 0.003);
    EXPECT_EQ(c.server.listen, "127.0.0.1:8686");
    // The catalogue of pairs: each a ratio of customer signals per MAP volume, with the MAP's
    // own figure, watched by the disagreement detector.
    for (const char* want : {"spam_folder", "send_backlash", "consent_gone_wrong", "bot_loop",
                             "ivr_trap"}) {
        auto it = std::find_if(c.metrics.begin(), c.metrics.end(),
                               [&](const auto& m) { return m.name == want; });
        ASSERT_NE(it, c.metrics.end()) << want;
        ASSERT_TRUE(it->pair.has_value()) << want;
        EXPECT_EQ(it->aggregation, Aggregation::kRatio);
        EXPECT_FALSE(it->pair->action.empty()) << want;
        EXPECT_EQ(it->detectors.at(0).type, "disagreement") << want;
        EXPECT_EQ(it->numerator.side.value_or(Side::kCustomer), Side::kCustomer) << want;
    }
    // People and actions: built-ins first, then the overrides, which show only on alerts that
    // carry the labels their templates use.
    ASSERT_EQ(c.people.size(), 1U);
    EXPECT_EQ(c.people[0].ids.at(0), (std::pair<std::string, std::string>{"inbox", "local"}));
    ASSERT_EQ(c.actions.size(), builtin_actions().size() + 2);
    EXPECT_EQ(c.actions[0].executor, "builtin");
    const auto& pause = c.actions[builtin_actions().size()];
    EXPECT_EQ(pause.name, "pause_campaign");
    EXPECT_EQ(pause.executor, "dry_run");
    EXPECT_EQ(pause.needs_labels, std::vector<std::string>{"campaign"});
    EXPECT_EQ(pause.revert_after_ms, 4 * 3'600'000);
    EXPECT_TRUE(pause.revert.has_value());
}

TEST(ConfigTest, CustomLabelsCanBeDeclared) {
    Config c = parse_config(
        "labels: [brand]\nmetrics:\n  - name: m\n    filter: {kind: a}\n    group_by: [brand]\n",
        "t");
    EXPECT_EQ(c.metrics.at(0).group_by.at(0), "brand");
}

TEST(ConfigTest, QuietWindowsAndTeamsAreReadInBusinessTerms) {
    Config c = parse_config(R"(
receivers:
  - name: cx-teams
    type: teams
    channel: "19:c@thread.tacv2"
quiet_windows:
  - name: nights and weekends
    time_zone: America/New_York
    days: [weekdays, Saturday]
    from: "20:00"
    to: "08:00"
    match: {severity: warning}
  - name: all of sunday
    days: [sun]
interact:
  teams_app_id: app-1
  teams_app_password: {env: TEAMS_PASSWORD}
)",
                            "t");
    EXPECT_EQ(c.receivers.at(0).params.at("channel"), "19:c@thread.tacv2");
    const auto& q = c.quiet_windows.at(0);
    EXPECT_EQ(q.days, (std::vector<int>{1, 2, 3, 4, 5, 6}));
    EXPECT_EQ(q.from_minute, 20 * 60);
    EXPECT_EQ(q.to_minute, 8 * 60);
    EXPECT_EQ(q.time_zone, "America/New_York");
    EXPECT_EQ(q.match, (Labels{{"severity", "warning"}}));
    const auto& sunday = c.quiet_windows.at(1);
    EXPECT_EQ(sunday.time_zone, "UTC");
    EXPECT_EQ(sunday.days, (std::vector<int>{0}));
    EXPECT_EQ(sunday.from_minute, 0);
    EXPECT_EQ(sunday.to_minute, 24 * 60);
    EXPECT_EQ(c.interact.params.at("teams_app_id"), "app-1");
}

TEST(ConfigTest, OnDutyShiftsNamePeopleAndTheirHours) {
    Config c = parse_config(R"(
people:
  - {name: Ana Ortiz, slack: UANA, mattermost: mm-ana, mattermost_username: "@ana"}
  - {name: Ben Okafor, slack: UBEN}
on_duty:
  - name: frontline days
    time_zone: Europe/Berlin
    days: weekdays
    from: "08:00"
    to: "18:00"
    match: {team: cx}
    people: [Ana Ortiz, Ben Okafor]
)",
                            "t");
    ASSERT_EQ(c.on_duty.size(), 1U);
    const auto& d = c.on_duty[0];
    EXPECT_EQ(d.shift.name, "frontline days");
    EXPECT_EQ(d.shift.time_zone, "Europe/Berlin");
    EXPECT_EQ(d.shift.days, (std::vector<int>{1, 2, 3, 4, 5}));
    EXPECT_EQ(d.shift.from_minute, 8 * 60);
    EXPECT_EQ(d.shift.to_minute, 18 * 60);
    EXPECT_EQ(d.shift.match, (Labels{{"team", "cx"}}));
    EXPECT_EQ(d.people, (std::vector<std::string>{"Ana Ortiz", "Ben Okafor"}));
    EXPECT_EQ(c.people.at(0).mattermost_username, "ana");
}

TEST(ConfigTest, ErrorNamesTheLine) {
    try {
        parse_config("server:\n  listen: x\n  thread: 2\n", "t.yaml");
        FAIL();
    } catch (const ConfigError& e) {
        EXPECT_STREQ(e.what(), "t.yaml: server.thread: unknown key; did you mean 'threads'? (line 3)");
    }
}

}  // namespace
}  // namespace terrain::core
