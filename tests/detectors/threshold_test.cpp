#include <gtest/gtest.h>

#include <cmath>

#include "detectors/detector.h"
#include "tests/support/builders.h"
#include "tests/support/detectors.h"

namespace terrain::detectors {
namespace {

std::unique_ptr<Detector> make_threshold(const core::MetricConfig& metric, nlohmann::json params) {
    return testing::make_detector("threshold", metric, std::move(params));
}

core::Point ratio_point(const core::MetricConfig& m, double num, double den) {
    core::Point p;
    p.metric = &m;
    p.numerator = num;
    p.denominator = den;
    p.value = den > 0 ? num / den : std::nan("");
    return p;
}

TEST(ThresholdTest, SmallDenominatorIsNoEvidence) {
    auto m = testing::ratio_metric();
    auto d = make_threshold(m, {{"above", 0.003}, {"min_denominator", 1000}});
    auto v = d->observe(ratio_point(m, 1, 3));  // 33% but out of 3 deliveries
    EXPECT_FALSE(v.evaluated);
    EXPECT_FALSE(v.anomalous);
}

TEST(ThresholdTest, AboveTheLimitWithEnoughVolume) {
    auto m = testing::ratio_metric();
    auto d = make_threshold(m, {{"above", 0.003}, {"min_denominator", 1000}});
    auto v = d->observe(ratio_point(m, 52, 10'000));
    EXPECT_TRUE(v.evaluated);
    EXPECT_TRUE(v.anomalous);
    EXPECT_DOUBLE_EQ(v.upper, 0.003);
    EXPECT_NEAR(v.score, detectors::score_of(0.0052 / 0.003, 1), 1e-9);
    EXPECT_GT(v.score, 0.5);
    EXPECT_EQ(v.reason, "0.52% is above the limit of 0.30%");
    auto ok = d->observe(ratio_point(m, 20, 10'000));
    EXPECT_TRUE(ok.evaluated);
    EXPECT_FALSE(ok.anomalous);
}

TEST(ThresholdTest, ARatioOverTheLimitByAFewSignalsIsNotYetEvidence) {
    auto m = testing::ratio_metric();
    auto d = make_threshold(m, {{"above", 0.003}});
    // 0.5% of 1,000: 5 complaints where the limit allows 3; likely enough at the limit.
    auto few = d->observe(ratio_point(m, 5, 1000));
    EXPECT_TRUE(few.evaluated);
    EXPECT_FALSE(few.anomalous);
    // The same 0.5% of 20,000 (100 where the limit allows 60) is.
    EXPECT_TRUE(d->observe(ratio_point(m, 100, 20'000)).anomalous);
    // 15 of 1,000 is too: P(X >= 15 | 3) is about 1e-6.
    EXPECT_TRUE(d->observe(ratio_point(m, 15, 1000)).anomalous);
    // The test can be turned off: then 5 of 1,000 is over the limit.
    auto plain = make_threshold(m, {{"above", 0.003}, {"p_value", 1}});
    EXPECT_TRUE(plain->observe(ratio_point(m, 5, 1000)).anomalous);
    // Below a lower limit likewise, and for large counts (the normal approximation).
    auto low = make_threshold(m, {{"below", 0.9}});
    EXPECT_FALSE(low->observe(ratio_point(m, 8, 10)).anomalous);
    EXPECT_TRUE(low->observe(ratio_point(m, 880'000, 1'000'000)).anomalous);
    EXPECT_FALSE(low->observe(ratio_point(m, 899'800, 1'000'000)).anomalous);
}

TEST(ThresholdTest, AtTheLimitIsNotAbove) {
    auto m = testing::ratio_metric();
    auto d = make_threshold(m, {{"above", 0.003}});
    EXPECT_FALSE(d->observe(ratio_point(m, 3, 1000)).anomalous);
}

TEST(ThresholdTest, BelowForCounts) {
    auto m = testing::count_metric();
    auto d = make_threshold(m, {{"below", 10}});
    core::Point p;
    p.metric = &m;
    p.value = 0;
    auto v = d->observe(p);
    EXPECT_TRUE(v.anomalous);
    EXPECT_EQ(v.reason, "0 is below the limit of 10");
}

TEST(ThresholdTest, NaNIsNotJudged) {
    auto m = testing::ratio_metric();
    auto d = make_threshold(m, {{"above", 0.1}});
    EXPECT_FALSE(d->observe(ratio_point(m, 3, 0)).evaluated);
}

}  // namespace
}  // namespace terrain::detectors
