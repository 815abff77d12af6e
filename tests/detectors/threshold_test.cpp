#include <gtest/gtest.h>

#include <cmath>

#include "detectors/detector.h"
#include "tests/support/builders.h"
#include "tests/support/detectors.h"

namespace terrain::detectors {
namespace {

std::unique_ptr<Detector> make(const core::MetricConfig& metric, nlohmann::json params) {
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
    auto d = make(m, {{"above", 0.003}, {"min_denominator", 1000}});
    auto v = d->observe(ratio_point(m, 1, 3));  // 33% but out of 3 deliveries
    EXPECT_FALSE(v.evaluated);
    EXPECT_FALSE(v.anomalous);
}

TEST(ThresholdTest, AboveTheLimitWithEnoughVolume) {
    auto m = testing::ratio_metric();
    auto d = make(m, {{"above", 0.003}, {"min_denominator", 1000}});
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

TEST(ThresholdTest, AtTheLimitIsNotAbove) {
    auto m = testing::ratio_metric();
    auto d = make(m, {{"above", 0.003}});
    EXPECT_FALSE(d->observe(ratio_point(m, 3, 1000)).anomalous);
}

TEST(ThresholdTest, BelowForCounts) {
    auto m = testing::count_metric();
    auto d = make(m, {{"below", 10}});
    core::Point p;
    p.metric = &m;
    p.value = 0;
    auto v = d->observe(p);
    EXPECT_TRUE(v.anomalous);
    EXPECT_EQ(v.reason, "0 is below the limit of 10");
}

TEST(ThresholdTest, NaNIsNotJudged) {
    auto m = testing::ratio_metric();
    auto d = make(m, {{"above", 0.1}});
    EXPECT_FALSE(d->observe(ratio_point(m, 3, 0)).evaluated);
}

}  // namespace
}  // namespace terrain::detectors
