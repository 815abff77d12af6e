#include <gtest/gtest.h>

#include <random>

#include "detectors/detector.h"
#include "tests/support/builders.h"
#include "tests/support/detectors.h"

namespace terrain::detectors {
namespace {

std::unique_ptr<Detector> make_ewma(const core::MetricConfig& metric, nlohmann::json params) {
    return testing::make_detector("ewma", metric, std::move(params));
}

Verdict feed(Detector& d, const core::MetricConfig& m, double value) {
    core::Point p;
    p.metric = &m;
    p.value = value;
    return d.observe(p);
}

TEST(EwmaTest, WarmsUpBeforeJudging) {
    auto m = testing::count_metric();
    auto d = make_ewma(m, {{"warmup", 10}});
    for (int i = 0; i < 10; ++i) {
        EXPECT_FALSE(feed(*d, m, i == 5 ? 100000 : 1000).evaluated) << i;
    }
    EXPECT_TRUE(feed(*d, m, 1000).evaluated);
}

TEST(EwmaTest, FlagsASpikeButNotNoise) {
    auto m = testing::count_metric();
    auto d = make_ewma(m, {{"z", 5}, {"warmup", 20}});
    std::mt19937 rng(7);
    std::poisson_distribution<int> noise(1000);
    int false_alarms = 0;
    for (int i = 0; i < 500; ++i) {
        auto v = feed(*d, m, noise(rng));
        false_alarms += v.anomalous ? 1 : 0;
    }
    EXPECT_EQ(false_alarms, 0);
    auto spike = feed(*d, m, 5000);
    EXPECT_TRUE(spike.anomalous);
    EXPECT_NEAR(spike.expected, 1000, 50);
    EXPECT_GT(spike.score, 0.5);
    EXPECT_LT(spike.score, 1.0);
}

TEST(EwmaTest, DoesNotLearnTheSpikeAsNormal) {
    auto m = testing::count_metric();
    auto d = make_ewma(m, {{"z", 4}, {"warmup", 10}, {"alpha", 0.3}});
    for (int i = 0; i < 50; ++i) {
        feed(*d, m, 1000);
    }
    int flagged = 0;
    for (int i = 0; i < 3; ++i) {
        flagged += feed(*d, m, 10'000).anomalous ? 1 : 0;
    }
    EXPECT_EQ(flagged, 3);  // a runaway send stays anomalous for several windows
}

TEST(EwmaTest, DirectionUpIgnoresDrops) {
    auto m = testing::count_metric();
    auto d = make_ewma(m, {{"direction", "up"}, {"warmup", 5}});
    for (int i = 0; i < 30; ++i) {
        feed(*d, m, 1000);
    }
    EXPECT_FALSE(feed(*d, m, 0).anomalous);
    EXPECT_TRUE(feed(*d, m, 3000).anomalous);
}

TEST(EwmaTest, MinValueSkipsTinySeries) {
    auto m = testing::count_metric();
    auto d = make_ewma(m, {{"min_value", 100}, {"warmup", 3}});
    for (int i = 0; i < 10; ++i) {
        feed(*d, m, 2);
    }
    EXPECT_FALSE(feed(*d, m, 40).evaluated);
}

}  // namespace
}  // namespace terrain::detectors
