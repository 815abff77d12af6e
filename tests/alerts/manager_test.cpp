#include <gtest/gtest.h>

#include "alerts/manager.h"
#include "tests/support/capture_receiver.h"
#include "tests/support/temp_dir.h"

namespace terrain::alerts {
namespace {

monitor::Finding finding(bool anomalous, double observed, std::int64_t window_start) {
    monitor::Finding f;
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

class AlertManagerTest : public ::testing::Test {
protected:
    testing::TempDir dir_;
    monitor::FakeClock clock_{1'800'000'000'000};
    monitor::Telemetry telemetry_;
    std::vector<Notification> sent_;
};

TEST_F(AlertManagerTest, FiresOnceWhileAnomalousThenResolves) {
    monitor::Store store(dir_.file("t.db"));
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
    m.on_finding(finding(false, 0.002, 1'200'000));
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
    monitor::Store store(dir_.file("t.db"));
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
        monitor::Store store(dir_.file("t.db"));
        Notifier notifier(testing::capture_routes(&sent_), telemetry_);
        AlertManager m(store, notifier, telemetry_, clock_);
        m.on_finding(finding(true, 0.005, 0));
        id = m.list(std::nullopt).at(0).id;
    }
    sent_.clear();
    monitor::Store store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    auto a = m.get(id);
    ASSERT_TRUE(a);
    EXPECT_EQ(a->state, AlertState::kFiring);
    m.on_finding(finding(true, 0.006, 300'000));  // same incident continues
    m.on_finding(finding(false, 0.001, 600'000));
    notifier.stop();
    ASSERT_EQ(sent_.size(), 1U);
    EXPECT_EQ(sent_[0].transition, "resolved");
    EXPECT_EQ(sent_[0].alert.id, id);
}

TEST_F(AlertManagerTest, IdleSeriesResolves) {
    monitor::Store store(dir_.file("t.db"));
    Notifier notifier(testing::capture_routes(&sent_), telemetry_);
    AlertManager m(store, notifier, telemetry_, clock_);
    m.on_finding(finding(true, 0.005, 0));
    m.on_series_idle("spam_complaint_rate", {{"campaign", "spring"}, {"provider", "gmail.com"}});
    auto all = m.list(std::nullopt);
    ASSERT_EQ(all.size(), 1U);
    EXPECT_EQ(all[0].resolved_by, "series idle");
}

TEST_F(AlertManagerTest, NotifierRetriesRecoverableFailures) {
    monitor::Store store(dir_.file("t.db"));
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

TEST(FingerprintTest, StableAndLabelOrderIndependent) {
    auto a = fingerprint("m", "d", {{"campaign", "x"}, {"provider", "y"}});
    auto b = fingerprint("m", "d", {{"provider", "y"}, {"campaign", "x"}});
    EXPECT_EQ(a, b);
    EXPECT_EQ(a.size(), 16U);
    EXPECT_NE(a, fingerprint("m", "d2", {{"campaign", "x"}, {"provider", "y"}}));
}

}  // namespace
}  // namespace terrain::alerts
