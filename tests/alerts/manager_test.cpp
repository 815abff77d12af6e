#include <gtest/gtest.h>

#include <chrono>

#include "alerts/manager.h"
#include "tests/support/capture_receiver.h"
#include "tests/support/temp_dir.h"

namespace terrain::alerts {
namespace {

core::Finding finding(bool anomalous, double observed, std::int64_t window_start) {
    core::Finding f;
    f.metric = "spam_complaint_rate";
    f.detector = "threshold";
    f.detector_type = "threshold";
    f.severity = "critical";
    f.labels = {{"campaign", "spring"}, {"provider", "gmail.com"}};
    f.window_start_ms = window_start;
    f.window_end_ms = window_start + 300'000;
    f.evaluated = true;
    f.anomalous = anomalous;
    f.observed = observed;
    f.expected = 0.003;
    f.upper = 0.003;
    f.numerator = observed * 10'000;
    f.denominator = 10'000;
    f.reason = anomalous ? "above" : "within";
    return f;
}

// The series back to normal for three windows from `window_start`: long enough to resolve.
template <typename Manager>
void recover(Manager& m, std::int64_t window_start) {
    for (int w = 0; w < 3; ++w) {
        m.on_finding(finding(false, 0.001, window_start + w * 300'000));
    }
}

class AlertManagerTest : public ::testing::Test {
protected:
    testing::TempDir dir_;
    core::FakeClock clock_{1'800'000'000'000};
    core::Telemetry telemetry_;
    std::vector<Notification> sent_;
};

// One incident, one card: a count that dips under its limit for a window does not resolve the
// alert; one that recovered and flares again within two hours of event time reopens it; another
// metric of the same team about the same campaign joins it as context; another campaign does not.
TEST_F(AlertManagerTest, OneIncidentStaysOneAlertThroughFlapsAndOtherSides) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    m.on_finding(finding(false, 0.002, 300'000));  // one window under the limit
    m.on_finding(finding(true, 0.006, 600'000));
    ASSERT_EQ(m.list(AlertState::kFiring).size(), 1U);
    EXPECT_TRUE(m.list(AlertState::kResolved).empty());
    const std::string id = m.list(AlertState::kFiring).front().id;

    auto unsubscribes = finding(true, 0.02, 600'000);
    unsubscribes.metric = "unsubscribe_rate";
    unsubscribes.labels = {{"campaign", "spring"}};
    m.on_finding(unsubscribes);
    auto other_campaign = unsubscribes;
    other_campaign.labels = {{"campaign", "autumn"}};
    m.on_finding(other_campaign);
    auto firing = m.list(AlertState::kFiring);
    ASSERT_EQ(firing.size(), 2U);
    for (const auto& a : firing) {
        if (a.id == id) {
            ASSERT_EQ(a.also.size(), 1U);
            EXPECT_EQ(a.also[0].rfind("unsubscribe_rate campaign=spring: ", 0), 0U) << a.also[0];
        } else {
            EXPECT_EQ(a.labels, (core::Labels{{"campaign", "autumn"}}));
        }
    }

    recover(m, 900'000);
    ASSERT_EQ(m.list(AlertState::kResolved).size(), 1U);
    m.on_finding(finding(true, 0.007, 3'600'000));  // within two hours: the same card again
    ASSERT_EQ(m.get(id)->state, AlertState::kFiring);
    EXPECT_EQ(m.list(AlertState::kResolved).size(), 0U);
    recover(m, 3'900'000);
    m.on_finding(finding(true, 0.007, 4'800'000 + 2 * 3'600'000));  // much later: a new incident
    ASSERT_EQ(m.list(AlertState::kFiring).size(), 2U);
    EXPECT_EQ(m.get(id)->state, AlertState::kResolved);
    notifier.stop();
    std::vector<std::string> told;
    for (const auto& n : sent_) {
        told.push_back(n.alert.labels[0].second + " " + n.transition);
    }
    EXPECT_EQ(told, (std::vector<std::string>{"spring firing", "autumn firing", "spring resolved",
                                              "spring firing", "spring resolved",
                                              "spring firing"}));
}

// One incident of a rolled-up metric is headed by the level that explains it, whichever
// series fired first: the campaign when its complaints rose across its list (the provider
// that crossed first holds a small part of the excess), one provider when its bounces alone
// account for the campaign's.
TEST_F(AlertManagerTest, AnIncidentIsHeadedByTheLevelThatExplainsIt) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    auto level = [](core::Labels labels, double observed, double denominator,
                    std::int64_t window_start = 0) {
        auto f = finding(true, observed, window_start);
        f.family = "spam_complaint_rate";
        f.labels = std::move(labels);
        f.denominator = denominator;
        f.numerator = observed * denominator;
        return f;
    };
    // Spring's complaints rise everywhere; yahoo.com's small series crosses first.
    m.on_finding(level({{"campaign", "spring"}, {"provider", "yahoo.com"}}, 0.02, 1'000));
    const std::string id = m.list(AlertState::kFiring).front().id;
    m.on_finding(level({{"campaign", "spring"}}, 0.012, 40'000));  // excess 360, yahoo's 17
    auto firing = m.list(AlertState::kFiring);
    ASSERT_EQ(firing.size(), 1U);
    EXPECT_EQ(firing[0].id, id);  // the same alert, card and link
    EXPECT_EQ(firing[0].labels, (core::Labels{{"campaign", "spring"}}));
    EXPECT_DOUBLE_EQ(firing[0].fired.observed, 0.012);
    ASSERT_EQ(firing[0].also.size(), 1U);
    EXPECT_EQ(firing[0].also[0].rfind("spam_complaint_rate campaign=spring provider=yahoo.com", 0),
              0U)
        << firing[0].also[0];
    // The former head's next finding updates its member line; the head's its evidence.
    m.on_finding(level({{"campaign", "spring"}, {"provider", "yahoo.com"}}, 0.03, 1'000, 300'000));
    m.on_finding(level({{"campaign", "spring"}}, 0.015, 40'000, 300'000));
    firing = m.list(AlertState::kFiring);
    ASSERT_EQ(firing.size(), 1U);
    EXPECT_DOUBLE_EQ(firing[0].observed, 0.015);

    // Autumn's bounces at gmail.com alone: the campaign level joins, gmail.com stays the head.
    m.on_finding(level({{"campaign", "autumn"}, {"provider", "gmail.com"}}, 0.12, 5'000));
    m.on_finding(level({{"campaign", "autumn"}}, 0.025, 25'000));  // excess 550, gmail's 585
    firing = m.list(AlertState::kFiring);
    ASSERT_EQ(firing.size(), 2U);
    for (const auto& a : firing) {
        if (a.id != id) {
            EXPECT_EQ(a.labels, (core::Labels{{"campaign", "autumn"}, {"provider", "gmail.com"}}));
            EXPECT_EQ(a.also.size(), 1U);
        }
    }
    notifier.stop();
}

// Every alert says what to do in plain words: the metric's configured action, on the card's
// summary while it fires.
TEST_F(AlertManagerTest, TheSummarySaysWhatToDo) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    auto f = finding(true, 0.005, 0);
    f.action = "Pause the campaign";
    m.on_finding(f);
    const auto firing = m.list(AlertState::kFiring);
    ASSERT_EQ(firing.size(), 1U);
    const std::string& summary = firing[0].summary;
    const std::string tail = ". Suggested: Pause the campaign";
    ASSERT_GE(summary.size(), tail.size()) << summary;
    EXPECT_EQ(summary.substr(summary.size() - tail.size()), tail) << summary;
    notifier.stop();
}

TEST_F(AlertManagerTest, FiresOnceWhileAnomalousThenResolves) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(false, 0.001, 0));
    m.on_finding(finding(true, 0.005, 300'000));
    clock_.advance(1000);
    m.on_finding(finding(true, 0.007, 600'000));
    auto firing = m.list(AlertState::kFiring);
    ASSERT_EQ(firing.size(), 1U);
    EXPECT_EQ(firing[0].observed, 0.007);  // evidence updated in place
    EXPECT_EQ(firing[0].since_ms, 300'000);
    EXPECT_EQ(firing[0].labels.at(0).second, "spring");
    m.on_finding(finding(true, 0.006, 900'000));
    recover(m, 1'200'000);
    EXPECT_TRUE(m.list(AlertState::kFiring).empty());
    auto resolved = m.list(AlertState::kResolved);
    ASSERT_EQ(resolved.size(), 1U);
    EXPECT_EQ(resolved[0].resolved_by, "recovered");
    notifier.stop();
    ASSERT_EQ(sent_.size(), 2U);
    EXPECT_EQ(sent_[0].transition, "firing");
    EXPECT_EQ(sent_[1].transition, "resolved");
    EXPECT_EQ(sent_[0].alert.fingerprint, sent_[1].alert.fingerprint);
}

TEST_F(AlertManagerTest, UnevaluatedFindingsChangeNothing) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    auto f = finding(false, 0, 300'000);
    f.evaluated = false;  // too little volume to tell
    m.on_finding(f);
    EXPECT_EQ(m.list(AlertState::kFiring).size(), 1U);
}

TEST_F(AlertManagerTest, RestartKeepsAlertsAndDoesNotNotifyAgain) {
    std::string id;
    {
        core::SqliteStore store(dir_.file("t.db"));
        Notifier notifier(testing::capture_routes(&sent_), telemetry_);
        AlertManager m(store, notifier, telemetry_, clock_);
        m.on_finding(finding(true, 0.005, 0));
        id = m.list(std::nullopt).at(0).id;
    }
    sent_.clear();
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    auto a = m.get(id);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->state, AlertState::kFiring);
    m.on_finding(finding(true, 0.006, 300'000));  // same incident continues
    recover(m, 600'000);
    notifier.stop();
    ASSERT_EQ(sent_.size(), 1U);
    EXPECT_EQ(sent_[0].transition, "resolved");
    EXPECT_EQ(sent_[0].alert.id, id);
}

TEST_F(AlertManagerTest, IdleSeriesResolves) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    m.on_series_idle("spam_complaint_rate", {{"campaign", "spring"}, {"provider", "gmail.com"}});
    auto all = m.list(std::nullopt);
    ASSERT_EQ(all.size(), 1U);
    EXPECT_EQ(all[0].resolved_by, "series idle");
}

TEST_F(AlertManagerTest, NotifierRetriesRecoverableFailures) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_, 3), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    notifier.stop();
    ASSERT_EQ(sent_.size(), 1U);
    auto text = telemetry_.serialize();
    EXPECT_NE(text.find(R"(terrain_notifications_total{receiver="capture",result="retried"} 3)"),
              std::string::npos)
        << text;
}

TEST_F(AlertManagerTest, UndeliverableNotificationsBecomeDeadLetters) {
    core::SqliteStore store(dir_.file("t.db"));
    {
        Notifier notifier(testing::capture_routes(&sent_, 100), telemetry_, &store);
        AlertManager m(store, notifier, telemetry_, clock_);
        m.on_finding(finding(true, 0.005, 0));
        notifier.stop();
    }
    EXPECT_TRUE(sent_.empty());
    auto letters = store.load_dead_letters(10);
    ASSERT_EQ(letters.size(), 1U);
    EXPECT_EQ(letters[0].receiver, "capture");
    EXPECT_EQ(letters[0].transition, "firing");
    EXPECT_EQ(letters[0].attempts, 8);
    EXPECT_EQ(letters[0].error, "simulated outage");
    EXPECT_EQ(nlohmann::json::parse(letters[0].body)["alert"]["metric"], "spam_complaint_rate");
    EXPECT_NE(telemetry_.serialize().find(R"(terrain_dead_letters{receiver="capture"} 1)"),
              std::string::npos);
    // The count survives a restart.
    core::Telemetry fresh;
    Notifier again(testing::capture_routes(&sent_), fresh, &store);
    EXPECT_NE(fresh.serialize().find(R"(terrain_dead_letters{receiver="capture"} 1)"),
              std::string::npos);
}

// A receiver that is down when terrain stops keeps its notification in the outbox; the next
// start delivers it once, and the outbox is empty after.
TEST_F(AlertManagerTest, ANotificationStillQueuedAtStopIsDeliveredAfterTheRestart) {
    core::SqliteStore store(dir_.file("t.db"));
    {
        auto routes = testing::capture_routes(&sent_, 1'000'000);
        routes[0].config.max_attempts = 100;
        Notifier notifier(std::move(routes), telemetry_, &store);
        AlertManager m(store, notifier, telemetry_, clock_);
        m.on_finding(finding(true, 0.005, 0));
        notifier.stop(std::chrono::milliseconds(50));
    }
    EXPECT_TRUE(sent_.empty());
    EXPECT_TRUE(store.load_dead_letters(10).empty());
    const auto pending = store.load_pending();
    ASSERT_EQ(pending.size(), 1U);
    {
        Notifier notifier(testing::capture_routes(&sent_), telemetry_, &store);
        notifier.stop();
    }
    ASSERT_EQ(sent_.size(), 1U);
    EXPECT_EQ(sent_[0].transition, "firing");
    EXPECT_EQ(sent_[0].alert.metric, "spam_complaint_rate");
    // Named as it was before the restart, so a receiver that got it then can drop it now.
    EXPECT_EQ(sent_[0].delivery_id, sent_[0].alert.id + "/" + std::to_string(pending[0].id));
    EXPECT_TRUE(store.load_pending().empty());
}

// Inhibition as in Alertmanager: while a campaign's critical alert fires, that campaign's
// warnings are held (another campaign's are not); when the critical one resolves, the warning
// still firing is told once.
TEST_F(AlertManagerTest, AFiringCriticalAlertInhibitsTheSameCampaignsWarnings) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    core::InhibitRuleConfig rule;
    rule.source_match = {{"severity", "critical"}};
    rule.target_match = {{"severity", "warning"}};
    rule.equal = {"campaign"};
    AlertManager m(store, notifier, telemetry_, clock_, {}, HoldRules{{}, {}, {rule}});
    auto warning = [](const std::string& campaign) {
        auto f = finding(true, 0.004, 0);
        f.metric = "unsubscribe_rate";
        f.severity = "warning";
        f.team = "retention";  // another team's alert: its own, held by the inhibition
        f.labels = {{"campaign", campaign}, {"provider", "gmail.com"}};
        return f;
    };
    m.on_finding(finding(true, 0.009, 0));  // critical, campaign spring
    m.on_finding(warning("spring"));         // held
    m.on_finding(warning("autumn"));         // told
    for (const auto& a : m.list(AlertState::kFiring)) {
        const bool held = a.severity == "warning" && a.labels[0].second == "spring";
        EXPECT_EQ(!a.held_by.empty(), held) << a.metric << " " << a.held_by;
        if (held) {
            EXPECT_EQ(a.held_by.rfind("inhibited by critical alert ", 0), 0U) << a.held_by;
        }
    }
    recover(m, 300'000);  // the critical one recovers
    clock_.advance(1000);
    m.tick();
    notifier.stop();
    std::vector<std::string> told;
    for (const auto& n : sent_) {
        told.push_back(n.alert.severity + " " + n.alert.labels[0].second + " " + n.transition);
    }
    EXPECT_EQ(told, (std::vector<std::string>{"critical spring firing", "warning autumn firing",
                                              "critical spring resolved",
                                              "warning spring firing"}));
}

ActionRequest action(std::string name, std::string reason = "", std::int64_t duration_ms = 0) {
    return {std::move(name), "alice", std::move(reason), duration_ms};
}

TEST_F(AlertManagerTest, AcknowledgeOnceThenConflict) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    const std::string id = m.list(AlertState::kFiring).at(0).id;
    clock_.advance(90'000);
    auto r = m.act(id, action("acknowledge"));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_EQ(r.alert->acknowledged_by, "alice");
    EXPECT_EQ(r.alert->acknowledged_at_ms, clock_.now_ms());
    auto again = m.act(id, action("acknowledge"));
    EXPECT_EQ(again.status, 409);
    EXPECT_NE(again.message.find("already acknowledged by alice"), std::string::npos);
    EXPECT_EQ(m.act("nope", action("acknowledge")).status, 404);
    auto typo = m.act(id, action("acknowledg"));
    EXPECT_EQ(typo.status, 400);
    EXPECT_NE(typo.message.find("did you mean 'acknowledge'"), std::string::npos) << typo.message;
    notifier.stop();
    ASSERT_EQ(sent_.size(), 2U);
    EXPECT_EQ(sent_[1].transition, "acknowledged");
    // Every attempt is in the audit trail, done or refused.
    auto audit = store.load_audit(id, 100);
    ASSERT_EQ(audit.size(), 3U);
    EXPECT_EQ(audit[0].result, "done");
    EXPECT_EQ(audit[0].actor, "alice");
    EXPECT_EQ(audit[1].result.rfind("refused: ", 0), 0U);
    const auto text = telemetry_.serialize();
    EXPECT_NE(text.find(R"(terrain_actions_total{action="acknowledge",result="done"} 1)"),
              std::string::npos);
    EXPECT_NE(text.find(R"(terrain_actions_total{action="acknowledge",result="refused"} 2)"),
              std::string::npos);  // the second acknowledgement and the unknown alert
    EXPECT_NE(text.find(R"(terrain_actions_total{action="unknown",result="refused"} 1)"),
              std::string::npos);
    // 90 s from firing to acknowledgement: in the 120 s bucket, not the 60 s one.
    EXPECT_NE(text.find(R"(terrain_alert_time_to_acknowledge_seconds_bucket{severity="critical",le="60"} 0)"),
              std::string::npos) << text;
    EXPECT_NE(text.find(R"(terrain_alert_time_to_acknowledge_seconds_bucket{severity="critical",le="120"} 1)"),
              std::string::npos);
    EXPECT_NE(text.find(R"(terrain_alerts{severity="critical",state="acknowledged",team="unassigned"} 1)"),
              std::string::npos);
}

// A chat receiver that escalates to a pager after 10 minutes without an acknowledgement.
std::vector<Notifier::Route> chat_and_pager(std::vector<Notification>* chat,
                                            std::vector<Notification>* pager,
                                            std::vector<core::ReceiverConfig>& configs) {
    std::vector<Notifier::Route> routes(2);
    routes[0].receiver = std::make_unique<testing::CaptureReceiver>(chat, 0, "chat");
    routes[0].config.name = "chat";
    routes[0].config.escalate_after_ms = 600'000;
    routes[0].config.escalate_to = "pager";
    routes[1].receiver = std::make_unique<testing::CaptureReceiver>(pager, 0, "pager");
    routes[1].config.name = "pager";
    configs = {routes[0].config, routes[1].config};
    return routes;
}

TEST_F(AlertManagerTest, UnacknowledgedAlertEscalatesOnceToTheEscalationTargetOnly) {
    core::SqliteStore store(dir_.file("t.db"));
    std::vector<Notification> pager;
    std::vector<core::ReceiverConfig> configs;
    Notifier notifier(chat_and_pager(&sent_, &pager, configs), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_, configs);
    m.on_finding(finding(true, 0.005, 0));
    clock_.advance(599'000);
    m.tick();
    clock_.advance(2'000);
    m.tick();
    m.tick();
    notifier.stop();
    ASSERT_EQ(pager.size(), 1U);  // not told of the firing, only of the escalation
    EXPECT_EQ(pager[0].transition, "escalated");
    ASSERT_EQ(sent_.size(), 2U);
    EXPECT_EQ(sent_[1].transition, "escalated");
    EXPECT_NE(sent_[1].note.find("nobody acknowledged within 10m"), std::string::npos);
}

TEST_F(AlertManagerTest, SnoozeHoldsEscalationUntilItEnds) {
    core::SqliteStore store(dir_.file("t.db"));
    std::vector<Notification> pager;
    std::vector<core::ReceiverConfig> configs;
    Notifier notifier(chat_and_pager(&sent_, &pager, configs), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_, configs);
    m.on_finding(finding(true, 0.005, 0));
    const std::string id = m.list(AlertState::kFiring).at(0).id;
    ActionRequest snooze{"snooze", "ana", "", 3'600'000};
    ASSERT_EQ(m.act(id, snooze).status, 200);
    for (int minute = 1; minute < 60; ++minute) {  // past escalate_after, inside the snooze
        clock_.advance(60'000);
        m.tick();
    }
    clock_.advance(61'000);
    m.tick();  // the snooze ends: told once, and the escalation clock starts again
    const std::int64_t snooze_ended = clock_.now_ms();
    clock_.advance(599'000);
    m.tick();
    EXPECT_EQ(m.get(id)->escalated_at_ms, 0);
    clock_.advance(1'000);
    m.tick();
    EXPECT_EQ(m.get(id)->escalated_at_ms, snooze_ended + 600'000);
    notifier.stop();
    EXPECT_EQ(sent_[0].transition, "firing");
    EXPECT_EQ(sent_[1].transition, "snoozed");
    EXPECT_EQ(sent_[2].transition, "snooze_ended");
    ASSERT_EQ(sent_.size(), 4U);
    EXPECT_EQ(sent_[3].transition, "escalated");
    ASSERT_EQ(pager.size(), 1U);
}

TEST_F(AlertManagerTest, SnoozeNeedsADuration) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    const std::string id = m.list(AlertState::kFiring).at(0).id;
    EXPECT_EQ(m.act(id, action("snooze")).status, 400);
    auto r = m.act(id, action("snooze", "", 3'600'000));
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(r.alert->snoozed_until_ms, clock_.now_ms() + 3'600'000);
    EXPECT_EQ(r.alert->state, AlertState::kFiring);
    EXPECT_EQ(store.load_audit(id, 10).back().detail, "for 1h");
}

TEST_F(AlertManagerTest, NotAProblemHoldsTheSeriesUntilItRecovers) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    {
        AlertManager m(store, notifier, telemetry_, clock_);
        m.on_finding(finding(true, 0.005, 0));
        const std::string id = m.list(AlertState::kFiring).at(0).id;
        EXPECT_EQ(m.act(id, action("not_a_problem")).status, 400);  // a reason is required
        auto r = m.act(id, action("not_a_problem", "planned re-engagement send"));
        ASSERT_EQ(r.status, 200) << r.message;
        EXPECT_EQ(r.alert->state, AlertState::kResolved);
        EXPECT_EQ(r.alert->feedback, "not_a_problem");
        EXPECT_EQ(r.alert->resolved_by, "alice: not a problem");
        // Still anomalous: no new alert while held.
        m.on_finding(finding(true, 0.006, 300'000));
        EXPECT_TRUE(m.list(AlertState::kFiring).empty());
    }
    // The hold survives a restart.
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.006, 600'000));
    EXPECT_TRUE(m.list(AlertState::kFiring).empty());
    // Recovery lifts it; the next anomaly is a new incident.
    m.on_finding(finding(false, 0.001, 900'000));
    m.on_finding(finding(true, 0.007, 1'200'000));
    auto firing = m.list(AlertState::kFiring);
    ASSERT_EQ(firing.size(), 1U);
    EXPECT_EQ(firing[0].since_ms, 1'200'000);
    notifier.stop();
    const auto text = telemetry_.serialize();
    EXPECT_NE(text.find(R"(terrain_feedback_total{detector="threshold",metric="spam_complaint_rate",verdict="not_a_problem"} 1)"),
              std::string::npos) << text;
}

TEST_F(AlertManagerTest, ConfirmRecordsFeedbackOnResolvedAlerts) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    recover(m, 300'000);
    const std::string id = m.list(AlertState::kResolved).at(0).id;
    EXPECT_EQ(m.act(id, action("acknowledge")).status, 409);
    EXPECT_EQ(m.act(id, action("resolve")).status, 409);
    // By fingerprint too: with no open alert, that is its latest incident.
    const std::string fp = m.list(AlertState::kResolved).at(0).fingerprint;
    auto r = m.act(fp, action("confirm", "customers wrote in"));
    ASSERT_EQ(r.status, 200) << r.message;
    EXPECT_EQ(r.alert->id, id);
    EXPECT_EQ(r.alert->feedback, "confirmed");
    EXPECT_EQ(r.alert->resolved_by, "recovered");
}

// Matchers may be regular expressions or negations: a silence on every "spring..." campaign
// outside gmail.com holds spring-b2b at yahoo.com only.
TEST_F(AlertManagerTest, ARegularExpressionSilenceHoldsWhatItsMatchersAccept) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    Silence s;
    s.matchers = {{"campaign", "=~spring.*"}, {"provider", "!=gmail.com"}};
    s.ends_ms = clock_.now_ms() + 3'600'000;
    s.created_by = "ana";
    m.add_silence(s);
    for (const auto& [campaign, provider] :
         std::vector<std::pair<std::string, std::string>>{{"spring-b2b", "yahoo.com"},
                                                          {"spring-b2b", "gmail.com"},
                                                          {"autumn", "yahoo.com"},
                                                          {"offspring", "yahoo.com"}}) {
        auto f = finding(true, 0.009, 0);
        f.labels = {{"campaign", campaign}, {"provider", provider}};
        m.on_finding(f);
    }
    notifier.stop();
    std::vector<std::string> told;
    for (const auto& n : sent_) {
        told.push_back(n.alert.labels[0].second + "@" + n.alert.labels[1].second);
    }
    std::sort(told.begin(), told.end());
    EXPECT_EQ(told,
              (std::vector<std::string>{
                  "autumn@yahoo.com", "offspring@yahoo.com", "spring-b2b@gmail.com"}));
}

// A silence holds what matches it: the alert exists (and says why it is quiet) but nobody is
// told until the silence ends; an alert that fired and resolved within it is never told; and
// the silence outlives a restart.
TEST_F(AlertManagerTest, SilenceHoldsMatchingAlertsUntilItEnds) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    std::string silence_id;
    {
        AlertManager m(store, notifier, telemetry_, clock_);
        Silence s;
        s.matchers = {{"campaign", "spring"}, {"severity", "critical"}};
        s.ends_ms = clock_.now_ms() + 3'600'000;
        s.created_by = "ana";
        s.comment = "planned re-send";
        silence_id = m.add_silence(s).id;
        auto other = finding(true, 0.009, 0);
        other.labels = {{"campaign", "autumn"}, {"provider", "gmail.com"}};
        m.on_finding(other);                       // not covered: told
        m.on_finding(finding(true, 0.005, 0));     // covered: held
        auto held = m.list(AlertState::kFiring);
        ASSERT_EQ(held.size(), 2U);
        for (const auto& a : held) {
            EXPECT_EQ(a.held_by.empty(), a.labels[0].second == "autumn") << a.held_by;
        }
    }
    AlertManager m(store, notifier, telemetry_, clock_);  // a restart keeps the silence
    ASSERT_EQ(m.silences().size(), 1U);
    clock_.advance(1'800'000);
    m.tick();  // still silenced
    EXPECT_FALSE(m.expire_silence("silence-unknown", "ana"));
    EXPECT_TRUE(m.expire_silence(silence_id, "ana"));  // ended early: told once, as firing
    m.tick();
    notifier.stop();
    std::vector<std::string> told;
    for (const auto& n : sent_) {
        told.push_back(n.alert.labels[0].second + " " + n.transition);
    }
    EXPECT_EQ(told, (std::vector<std::string>{"autumn firing", "spring firing"}));
    for (const auto& a : m.list(AlertState::kFiring)) {
        EXPECT_TRUE(a.held_by.empty());
        EXPECT_TRUE(a.notified);
    }
}

TEST_F(AlertManagerTest, AnAlertThatFiresAndResolvesWithinASilenceIsNeverTold) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    Silence s;
    s.matchers = {{"metric", "spam_complaint_rate"}};
    s.ends_ms = clock_.now_ms() + 600'000;
    s.created_by = "ana";
    m.add_silence(s);
    m.on_finding(finding(true, 0.005, 0));
    recover(m, 300'000);
    clock_.advance(900'000);
    m.tick();
    notifier.stop();
    EXPECT_TRUE(sent_.empty());
    ASSERT_EQ(m.list(AlertState::kResolved).size(), 1U);
}

// A paused campaign holds its other alerts: while "Pause campaign" (holds: [campaign]) is done
// on one alert, another alert of the same campaign is not told; once the pause is reverted,
// it is.
TEST_F(AlertManagerTest, ADoneOverrideHoldsTheSameCampaignsOtherAlerts) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_, {},
                   HoldRules{{{"pause_campaign", {"campaign"}}}, {}, {}});
    m.on_finding(finding(true, 0.005, 0));
    const std::string paused = m.list(AlertState::kFiring).front().id;
    ASSERT_TRUE(m.record_override(paused, {"pause_campaign", "Pause campaign", "done", "Ana",
                                           clock_.now_ms(), "paused"},
                                  "Pause campaign: done"));
    // Another team's alert of the same campaign (the same team's would join the paused one).
    auto downstream = finding(true, 40, 0);
    downstream.metric = "unsubscribes";
    downstream.team = "retention";
    downstream.labels = {{"campaign", "spring"}};
    m.on_finding(downstream);
    auto elsewhere = finding(true, 40, 0);
    elsewhere.metric = "unsubscribes";
    elsewhere.labels = {{"campaign", "autumn"}};
    m.on_finding(elsewhere);
    std::string held_by;
    for (const auto& a : m.list(AlertState::kFiring)) {
        if (a.metric == "unsubscribes" && a.labels[0].second == "spring") {
            held_by = a.held_by;
        }
    }
    EXPECT_NE(held_by.find("Pause campaign (campaign=spring) by Ana"), std::string::npos)
        << held_by;
    m.tick();  // still paused: still held
    ASSERT_TRUE(m.record_override(paused, {"pause_campaign", "Pause campaign", "reverted", "Ana",
                                           clock_.now_ms(), "resumed"},
                                  "Pause campaign: reverted"));
    m.tick();
    notifier.stop();
    std::vector<std::string> told;
    for (const auto& n : sent_) {
        told.push_back(n.alert.metric + " " + n.alert.labels[0].second + " " + n.transition);
    }
    EXPECT_EQ(told, (std::vector<std::string>{"spam_complaint_rate spring firing",
                                              "spam_complaint_rate spring action",
                                              "unsubscribes autumn firing",
                                              "spam_complaint_rate spring action",
                                              "unsubscribes spring firing"}));
}

// What the card draws and counts: the chart starts with the windows before the alert fired
// (its band included) and follows the series; the customers affected add up over sends, each
// send counted at its largest (a send's figures grow as its late signals arrive); the latest
// customer signals are kept, newest first, once each; and all of it survives a restart.
TEST_F(AlertManagerTest, AnAlertKeepsItsChartItsCustomersAndWhatTheySaid) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    std::string id;
    {
        AlertManager m(store, notifier, telemetry_, clock_);
        for (int w = 0; w < 15; ++w) {
            m.on_finding(finding(false, 0.001 + w * 0.00001, w * 300'000LL));
        }
        auto send = [&](std::int64_t window, std::int64_t send_ms, double complaints,
                        std::vector<core::Signal> signals) {
            auto f = finding(true, 0.009, window);
            f.send_start_ms = send_ms;
            f.send_end_ms = send_ms + 2'400'000;
            f.sent = 20'000;
            f.numerator = complaints;
            f.signals = std::move(signals);
            m.on_finding(f);
        };
        send(15 * 300'000LL, 4'000'000, 40, {{4'400'000, "zendesk", "ticket.created", "ticket:7"}});
        send(16 * 300'000LL, 4'000'000, 55,
             {{4'700'000, "zendesk", "ticket.created", "ticket:9"},
              {4'400'000, "zendesk", "ticket.created", "ticket:7"}});
        send(17 * 300'000LL, 5'000'000, 12, {});
        auto a = m.list(AlertState::kFiring).at(0);
        id = a.id;
        // Twelve windows before and with the first anomalous one, then one point per window.
        ASSERT_EQ(a.trail.size(), 14U);
        EXPECT_EQ(a.trail.front().end_ms, 5 * 300'000LL);
        EXPECT_FALSE(a.trail.front().anomalous);
        EXPECT_TRUE(a.trail.back().anomalous);
        EXPECT_EQ(a.trail.back().end_ms, 18 * 300'000LL);
        EXPECT_FLOAT_EQ(a.trail.back().upper, 0.003F);
        const auto [signals, reached] = affected(a);
        EXPECT_EQ(signals, 55 + 12);
        EXPECT_EQ(reached, 40'000);
        ASSERT_EQ(a.signals.size(), 2U);
        EXPECT_EQ(a.signals[0].id, "ticket:9");
        EXPECT_EQ(a.signals[1].id, "ticket:7");
    }
    AlertManager restarted(store, notifier, telemetry_, clock_);
    const auto a = restarted.get(id).value();
    EXPECT_EQ(a.trail.size(), 14U);
    EXPECT_EQ(affected(a), (std::pair<double, double>{67, 40'000}));
    EXPECT_EQ(a.signals.size(), 2U);
}

TEST(FingerprintTest, StableAndLabelOrderIndependent) {
    auto a = fingerprint("m", "d", {{"campaign", "x"}, {"provider", "y"}});
    auto b = fingerprint("m", "d", {{"provider", "y"}, {"campaign", "x"}});
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.size(), 16U);
    EXPECT_NE(a, fingerprint("m", "d2", {{"campaign", "x"}, {"provider", "y"}}));
}

}  // namespace
}  // namespace terrain::alerts

namespace terrain::alerts {
namespace {

TEST(AlertTextTest, FiguresReadTheSameInSummariesAndCards) {
    EXPECT_EQ(count_text(12), "12");
    EXPECT_EQ(count_text(1193), "1,193");
    EXPECT_EQ(count_text(123456.4), "123,456");
    EXPECT_EQ(count_text(-1234567), "-1,234,567");
    EXPECT_EQ(percent_text(0.00269), "0.269%");
    EXPECT_EQ(plain_value(0.0027, true), "0.27%");
    EXPECT_EQ(plain_value(1234.5678, false), "1235");
    EXPECT_EQ(count_text(std::nan("")), "n/a");
    EXPECT_EQ(percent_text(std::nan("")), "n/a");
    EXPECT_EQ(plain_value(std::nan(""), true), "n/a");
}

// Quiet windows in business terms: weeknights 20:00 to 08:00 in Berlin hold warnings (they
// exist and say why) while critical alerts are told at once; at 08:00 Berlin time the
// still-firing warning is told once. Friday night's window lasts into Saturday morning;
// Saturday evening is not quiet.
TEST_F(AlertManagerTest, AQuietWindowHoldsWarningsUntilItsLocalMorning) {
    using namespace std::chrono;
    core::WeeklyWindowConfig nights;
    nights.name = "weeknights";
    nights.time_zone = "Europe/Berlin";
    nights.days = {1, 2, 3, 4, 5};
    nights.from_minute = 20 * 60;
    nights.to_minute = 8 * 60;
    nights.match = {{"severity", "warning"}};
    const WeeklyWindow window(nights);
    auto at = [](sys_days day, int hour_utc, int minute = 0) {
        return duration_cast<milliseconds>((day + hours(hour_utc) + minutes(minute))
                                               .time_since_epoch())
            .count();
    };
    // 2026-11-30 is a Monday; Berlin is UTC+1 in winter, UTC+2 in summer.
    const sys_days monday = 2026y / November / 30;
    EXPECT_FALSE(window.active(at(monday, 18, 59)));     // 19:59 Berlin
    EXPECT_TRUE(window.active(at(monday, 19)));          // 20:00
    EXPECT_TRUE(window.active(at(monday + days(1), 6, 59)));  // Tuesday 07:59
    EXPECT_FALSE(window.active(at(monday + days(1), 7)));     // Tuesday 08:00
    EXPECT_TRUE(window.active(at(monday + days(5), 6)));      // Saturday 07:00, from Friday
    EXPECT_FALSE(window.active(at(monday + days(5), 20)));    // Saturday 21:00
    EXPECT_FALSE(window.active(at(monday - days(1), 6)));     // Monday 07:00, Sunday not listed
    const sys_days summer_monday = 2026y / July / 6;
    EXPECT_TRUE(window.active(at(summer_monday, 18)));   // 20:00 Berlin in summer time
    EXPECT_EQ(window.describe(), "'weeknights' (weekdays 20:00-08:00 Europe/Berlin)");

    core::FakeClock clock(at(monday, 21));  // Monday 22:00 Berlin
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock, {}, HoldRules{{}, {window}, {}});
    auto warning = finding(true, 0.005, 0);
    warning.severity = "warning";
    m.on_finding(warning);
    auto critical = finding(true, 0.009, 0);
    critical.labels = {{"campaign", "autumn"}, {"provider", "gmail.com"}};
    m.on_finding(critical);
    for (const auto& a : m.list(AlertState::kFiring)) {
        EXPECT_EQ(a.held_by.empty(), a.severity == "critical") << a.held_by;
    }
    clock.set(at(monday + days(1), 6, 59));
    m.tick();
    clock.set(at(monday + days(1), 7));  // 08:00 Berlin
    m.tick();
    m.tick();
    notifier.stop();
    std::vector<std::string> told;
    for (const auto& n : sent_) {
        told.push_back(n.alert.severity + " " + n.transition);
    }
    EXPECT_EQ(told, (std::vector<std::string>{"critical firing", "warning firing"}));
}

// The people on duty are those of the shifts on at the time that match the alert: the Berlin
// day shift (Ana, Ben) takes gmail.com alerts on weekdays until 18:00, the evening shift
// (Carla) every alert after. An alert firing at 17:55 names the day shift; its escalation at
// 18:05, nobody having acknowledged it, names the evening shift.
TEST_F(AlertManagerTest, AnAlertNamesThePeopleOnDutyWhenItFiresAndWhenItEscalates) {
    using namespace std::chrono;
    core::OnDutyConfig days;
    days.shift.name = "days";
    days.shift.time_zone = "Europe/Berlin";
    days.shift.days = {1, 2, 3, 4, 5};
    days.shift.from_minute = 8 * 60;
    days.shift.to_minute = 18 * 60;
    days.shift.match = {{"provider", "gmail.com"}};
    days.people = {"Ana Ortiz", "Ben Okafor"};
    core::OnDutyConfig evenings;
    evenings.shift.name = "evenings";
    evenings.shift.time_zone = "Europe/Berlin";
    evenings.shift.days = {0, 1, 2, 3, 4, 5, 6};
    evenings.shift.from_minute = 18 * 60;
    evenings.shift.to_minute = 23 * 60;
    evenings.people = {"Carla Diaz", "Ana Ortiz"};
    const DutyRoster roster({days, evenings});
    // Monday 2026-11-30 16:55 UTC is 17:55 in Berlin.
    const std::int64_t t0 =
        duration_cast<milliseconds>(
            (sys_days(2026y / November / 30) + hours(16) + minutes(55)).time_since_epoch())
            .count();
    Alert yahoo;
    yahoo.labels = {{"provider", "yahoo.com"}};
    EXPECT_TRUE(roster.for_alert(yahoo, t0).empty());
    EXPECT_EQ(roster.for_alert(yahoo, t0 + 600'000),
              (std::vector<std::string>{"Carla Diaz", "Ana Ortiz"}));
    EXPECT_TRUE(roster.for_alert(yahoo, t0 + 6 * 3'600'000).empty());  // 23:55

    core::FakeClock clock(t0);
    core::SqliteStore store(dir_.file("t.db"));
    std::vector<Notification> pager;
    std::vector<core::ReceiverConfig> configs;
    Notifier notifier(chat_and_pager(&sent_, &pager, configs), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock, configs, {}, roster);
    m.on_finding(finding(true, 0.005, 0));
    EXPECT_EQ(m.list(AlertState::kFiring).at(0).on_duty,
              (std::vector<std::string>{"Ana Ortiz", "Ben Okafor"}));
    clock.set(t0 + 601'000);
    m.tick();
    notifier.stop();
    ASSERT_EQ(pager.size(), 1U);
    EXPECT_EQ(pager[0].alert.on_duty, (std::vector<std::string>{"Carla Diaz", "Ana Ortiz"}));
    ASSERT_EQ(sent_.size(), 2U);
    EXPECT_EQ(sent_[0].alert.on_duty, (std::vector<std::string>{"Ana Ortiz", "Ben Okafor"}));
    // Kept with the alert.
    EXPECT_EQ(alert_from_json(nlohmann::json::parse(store.load_alerts().at(0).body)).on_duty,
              (std::vector<std::string>{"Carla Diaz", "Ana Ortiz"}));
}

// An alert already told when a quiet window opens goes quiet: no reminder inside the window.
TEST_F(AlertManagerTest, AnOpenAlertGoesQuietWhenTheWindowOpens) {
    using namespace std::chrono;
    core::WeeklyWindowConfig lunch;
    lunch.name = "lunch";
    lunch.days = {0, 1, 2, 3, 4, 5, 6};
    lunch.from_minute = 12 * 60;
    lunch.to_minute = 13 * 60;
    const std::int64_t noon =
        duration_cast<milliseconds>((sys_days(2026y / November / 30) + hours(12)).time_since_epoch())
            .count();
    core::FakeClock clock(noon - 60'000);
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(
        store, notifier, telemetry_, clock, {}, HoldRules{{}, {WeeklyWindow(lunch)}, {}});
    m.on_finding(finding(true, 0.005, 0));
    ASSERT_TRUE(m.list(AlertState::kFiring)[0].held_by.empty());
    clock.set(noon);
    m.tick();
    EXPECT_EQ(m.list(AlertState::kFiring)[0].held_by,
              "held: quiet window 'lunch' (every day 12:00-13:00 UTC)");
    clock.set(noon + 3'600'000);
    m.tick();
    EXPECT_TRUE(m.list(AlertState::kFiring)[0].held_by.empty());
    notifier.stop();
    std::vector<std::string> told;
    for (const auto& n : sent_) {
        told.push_back(n.transition);
    }
    EXPECT_EQ(told, (std::vector<std::string>{"firing", "released"}));
}

}  // namespace
}  // namespace terrain::alerts
