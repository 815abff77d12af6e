#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "alerts/overrides.h"
#include "tests/support/capture_receiver.h"
#include "tests/support/temp_dir.h"

namespace terrain::alerts {
namespace {

// Records each run; answers as told.
class FakeExecutor final : public Executor {
public:
    struct Run {
        std::string key;
        bool revert = false;
    };
    Outcome run(const core::ActionConfig&, const Alert&, const std::string&,
                const std::string& key, bool revert) override {
        std::lock_guard lock(mutex_);
        runs_.push_back({key, revert});
        cv_.notify_all();
        return {true, false, "HTTP 200"};
    }
    // Waits (bounded) until `n` runs happened; returns them.
    std::vector<Run> wait_for(std::size_t n) {
        std::unique_lock lock(mutex_);
        cv_.wait_for(lock, std::chrono::seconds(10), [&] { return runs_.size() >= n; });
        return runs_;
    }

private:
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Run> runs_;
};

core::Finding anomalous() {
    core::Finding f;
    f.metric = "spam_complaint_rate";
    f.detector = "threshold";
    f.severity = "critical";
    f.labels = {{"campaign", "spring"}};
    f.window_start_ms = 0;
    f.window_end_ms = 300'000;
    f.evaluated = true;
    f.anomalous = true;
    f.observed = 0.01;
    return f;
}

core::ActionConfig pause_action() {
    core::ActionConfig pause;
    pause.name = "pause_campaign";
    pause.label = "Pause campaign";
    pause.roles = {"owner"};
    pause.executor = "http";
    pause.call.url = "http://map.test/pause";
    return pause;
}

Policy pause_policy() {
    core::PersonConfig ana{"Ana", {"owner"}, {{"inbox", "local"}}, ""};
    core::ActionConfig pause = pause_action();
    pause.revert = core::HttpCallConfig{"POST", "http://map.test/resume", {}, ""};
    pause.revert_after_ms = 3'600'000;
    return Policy({ana}, {pause}, {});
}

class OverridesTest : public ::testing::Test {
protected:
    testing::TempDir dir_;
    core::FakeClock clock_{1'800'000'000'000};
    core::Telemetry telemetry_;
    std::vector<Notification> sent_;
    Policy policy_ = pause_policy();
    FakeExecutor executor_;
};

// Waits up to 10 s for `done`, which depends on the overrides worker thread.
bool until(const std::function<bool()>& done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
}

std::string state_of(core::Store& store, const std::string& key) {
    auto x = Executions(store).find(key);
    return x ? x->state : "";
}

TEST_F(OverridesTest, ASnoozeTakesOnlyTheTimesTheMenuOffers) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager alerts(store, notifier, telemetry_, clock_);
    alerts.on_finding(anomalous());
    const std::string id = alerts.list(AlertState::kFiring).at(0).id;
    core::ActionConfig snooze;
    snooze.name = "snooze";
    snooze.executor = "builtin";
    const Policy policy({{"Ana", {"owner"}, {{"inbox", "local"}}, ""}}, {snooze}, {});
    Overrides overrides(policy, alerts, store, executor_, telemetry_, clock_);
    const auto refused = overrides.click({"inbox", "local", id, "snooze", "2h", "", ""});
    EXPECT_EQ(refused.status, 400);
    EXPECT_EQ(refused.message, "'2h' is not one of the snooze times offered (1h, 4h, 1d; interact.snooze_times)");
    EXPECT_EQ(alerts.get(id)->snoozed_until_ms, 0);
    const auto done = overrides.click({"inbox", "local", id, "snooze", "4h", "", ""});
    EXPECT_EQ(done.status, 200) << done.message;
    EXPECT_EQ(alerts.get(id)->snoozed_until_ms, clock_.now_ms() + 4 * 3'600'000);
}

// A done override that can be reverted offers its undo on the card, also once the alert has
// resolved; the undo runs the revert under the run's key, and the override is offered again.
TEST_F(OverridesTest, ADoneOverrideOffersItsUndoWhichRunsTheRevert) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager alerts(store, notifier, telemetry_, clock_);
    alerts.on_finding(anomalous());
    const std::string id = alerts.list(AlertState::kFiring).at(0).id;
    core::PersonConfig ana{"Ana", {"owner"}, {{"inbox", "local"}}, ""};
    core::PersonConfig ben{"Ben", {"agent"}, {{"inbox", "ben"}}, ""};
    core::ActionConfig pause = pause_action();
    pause.revert = core::HttpCallConfig{"POST", "http://map.test/resume", {}, ""};
    pause.revert_label = "Resume campaign";
    const Policy policy({ana, ben}, {pause}, {});
    auto offers = [&](const std::string& label) {
        for (const auto* a : policy.offered(*alerts.get(id))) {
            if (Policy::label(*a) == label) {
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(offers("Pause campaign"));
    Overrides overrides(policy, alerts, store, executor_, telemetry_, clock_);
    overrides.start();
    ASSERT_EQ(overrides.click({"inbox", "local", id, "pause_campaign", "", "", ""}).status, 200);
    const auto first = executor_.wait_for(1).at(0);
    ASSERT_TRUE(until([&] { return state_of(store, first.key) == "done"; }));
    ASSERT_TRUE(until([&] { return offers("Resume campaign"); }));
    EXPECT_FALSE(offers("Pause campaign"));  // done: its undo instead

    // The alert resolves; the campaign is still paused, so the undo is still offered.
    for (int w = 1; w <= 4; ++w) {
        auto normal = anomalous();
        normal.anomalous = false;
        normal.window_start_ms += w * 300'000;
        normal.window_end_ms += w * 300'000;
        alerts.on_finding(normal);
    }
    ASSERT_EQ(alerts.get(id)->state, AlertState::kResolved);
    EXPECT_TRUE(offers("Resume campaign"));
    // Only the people allowed the override may undo it.
    EXPECT_EQ(overrides.click({"inbox", "ben", id, "undo_pause_campaign", "", "", ""}).status, 403);
    const auto undone = overrides.click({"inbox", "local", id, "undo_pause_campaign", "", "", ""});
    EXPECT_EQ(undone.status, 200) << undone.message;
    const auto runs = executor_.wait_for(2);
    ASSERT_EQ(runs.size(), 2U);
    EXPECT_TRUE(runs[1].revert);
    EXPECT_EQ(runs[1].key, first.key);
    // The run is recorded first, then the alert's card: wait for the card.
    ASSERT_TRUE(until([&] { return alerts.get(id)->overrides.back().state == "reverted"; }));
    EXPECT_EQ(state_of(store, first.key), "reverted");
    EXPECT_FALSE(offers("Resume campaign"));
    // Nothing left to undo.
    EXPECT_EQ(overrides.click({"inbox", "local", id, "undo_pause_campaign", "", "", ""}).status,
              409);
    overrides.stop();
    notifier.stop();
}

TEST_F(OverridesTest, RevertsWhenDueAndThenAllowsANewRunUnderANewKey) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager alerts(store, notifier, telemetry_, clock_);
    alerts.on_finding(anomalous());
    const std::string id = alerts.list(AlertState::kFiring).at(0).id;
    Overrides overrides(policy_, alerts, store, executor_, telemetry_, clock_);
    overrides.start();
    const Click click{"inbox", "local", id, "pause_campaign", "", "", ""};
    ASSERT_EQ(overrides.click(click).status, 200);
    const auto first = executor_.wait_for(1).at(0);
    EXPECT_FALSE(first.revert);
    ASSERT_TRUE(until([&] { return state_of(store, first.key) == "done"; }));
    EXPECT_EQ(overrides.click(click).status, 409);  // done: not sent again

    clock_.advance(3'599'000);
    overrides.tick();  // not due yet
    clock_.advance(1'000);
    overrides.tick();
    const auto runs = executor_.wait_for(2);
    ASSERT_EQ(runs.size(), 2U);
    EXPECT_TRUE(runs[1].revert);
    EXPECT_EQ(runs[1].key, first.key);  // the revert carries the run's key
    ASSERT_TRUE(until([&] { return state_of(store, first.key) == "reverted"; }));

    ASSERT_EQ(overrides.click(click).status, 200);  // reverted: may be asked for again
    const auto again = executor_.wait_for(3).at(2);
    EXPECT_FALSE(again.revert);
    EXPECT_NE(again.key, first.key);
    overrides.stop();
    notifier.stop();
}

// A high-impact action waits for a second person: the first click records the request (the
// MAP is not called), the same person clicking again is refused, another allowed person's
// click approves it and it runs once.
TEST_F(OverridesTest, ASecondApproverIsNeededBeforeAHighImpactActionRuns) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager alerts(store, notifier, telemetry_, clock_);
    alerts.on_finding(anomalous());
    const std::string id = alerts.list(AlertState::kFiring).at(0).id;
    core::PersonConfig ana{"Ana", {"owner"}, {{"slack", "UANA"}}, ""};
    core::PersonConfig bob{"Bob", {"owner"}, {{"slack", "UBOB"}}, ""};
    core::ActionConfig pause = pause_action();
    pause.second_approver = true;
    const Policy policy({ana, bob}, {pause}, {});
    Overrides overrides(policy, alerts, store, executor_, telemetry_, clock_);
    overrides.start();
    auto asked = overrides.click({"slack", "UANA", id, "pause_campaign", "", "", ""});
    ASSERT_EQ(asked.status, 200);
    EXPECT_NE(asked.message.find("once another person approves"), std::string::npos);
    ASSERT_TRUE(asked.alert);
    EXPECT_EQ(asked.alert->overrides.at(0).state, "awaiting_approval");
    EXPECT_EQ(overrides.click({"slack", "UANA", id, "pause_campaign", "", "", ""}).status, 409);
    const auto approved = overrides.click({"slack", "UBOB", id, "pause_campaign", "", "", ""});
    ASSERT_EQ(approved.status, 200) << approved.message;
    const auto runs = executor_.wait_for(1);
    ASSERT_EQ(runs.size(), 1U);
    ASSERT_TRUE(until([&] { return state_of(store, runs[0].key) == "done"; }));
    EXPECT_EQ(overrides.click({"slack", "UBOB", id, "pause_campaign", "", "", ""}).status, 409);
    overrides.stop();
    notifier.stop();
    EXPECT_EQ(executor_.wait_for(2).size(), 1U);  // never a second call
    std::vector<std::string> audited;
    for (const auto& e : store.load_audit(id, 100)) {
        audited.push_back(e.action + " " + e.result.substr(0, 8));
    }
    EXPECT_NE(std::find(audited.begin(), audited.end(), "pause_campaign awaiting"), audited.end());
}

TEST_F(OverridesTest, ResumesARunLeftPendingWithItsKey) {
    core::SqliteStore store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager alerts(store, notifier, telemetry_, clock_);
    alerts.on_finding(anomalous());
    const std::string id = alerts.list(AlertState::kFiring).at(0).id;
    Executions(store).put({"terrain-left-pending", id, "pause_campaign", "Ana", "pending", 0, "",
                         clock_.now_ms(), clock_.now_ms(), 0});
    Executions(store).put({"terrain-finished", id, "pause_campaign", "Ana", "failed", 1, "",
                         clock_.now_ms() - 1, clock_.now_ms(), 0});
    Overrides overrides(policy_, alerts, store, executor_, telemetry_, clock_);
    overrides.start();
    const auto runs = executor_.wait_for(1);
    ASSERT_EQ(runs.size(), 1U);
    EXPECT_EQ(runs[0].key, "terrain-left-pending");
    ASSERT_TRUE(
        until([&] { return state_of(store, "terrain-left-pending") == "done"; }));
    overrides.stop();
    notifier.stop();
}

}  // namespace
}  // namespace terrain::alerts
