#include <gtest/gtest.h>

#include <string>

#include "detectors/condition.h"
#include "tests/support/builders.h"
#include "tests/support/detectors.h"

namespace terrain::detectors {
namespace {

// Feeds a pattern of judged points ('x' anomalous above, 'v' anomalous below, '.' normal) and
// returns the firing state after each as a string ('F' firing, '.' not).
std::string run(const ConditionConfig& c, const std::string& pattern) {
    Condition cond(c);
    std::string out;
    for (char ch : pattern) {
        Verdict v;
        v.evaluated = true;
        v.expected = 10;
        v.anomalous = ch != '.';
        cond.apply(v, ch == 'v' ? 1 : ch == 'x' ? 20 : 10);
        out += v.anomalous ? 'F' : '.';
    }
    return out;
}

TEST(ConditionTest, FiresOnTheFirstAnomalyAndRecoversOnTheFirstNormalPointByDefault) {
    EXPECT_EQ(run({}, "..xx.x.."), "..FF.F..");
}

TEST(ConditionTest, FiresWhenNOfTheLastMAreAnomalous) {
    ConditionConfig c;
    c.fire_after = 2;
    c.of_last = 3;
    EXPECT_EQ(run(c, "x..x.x...x..x"), ".....F.......");
}

TEST(ConditionTest, RecoversAfterConsecutiveNormalPoints) {
    ConditionConfig c;
    c.recover_after = 3;
    EXPECT_EQ(run(c, "x..x...."), "FFFFFF..");
}

TEST(ConditionTest, HoldKeepsAFiringOpenAndDebounces) {
    ConditionConfig c;
    c.hold = 4;
    EXPECT_EQ(run(c, "x.x.....x"), "FFFF....F");  // open for 4 points
}

TEST(ConditionTest, DirectionIgnoresDeviationsTheOtherWay) {
    ConditionConfig up;
    up.direction = 1;
    EXPECT_EQ(run(up, "vvx."), "..F.");
    ConditionConfig down;
    down.direction = -1;
    EXPECT_EQ(run(down, "vvx."), "FF..");
}

TEST(ConditionTest, MinVolumeLeavesSmallWindowsUnjudged) {
    auto m = testing::ratio_metric();
    auto d = testing::make_detector("threshold", m, {{"above", 0.01}, {"min_volume", 100}});
    core::Point p;
    p.metric = &m;
    p.value = 0.5;  // 20 of 40
    p.numerator = 20;
    p.denominator = 40;
    auto small = d->observe(p);
    EXPECT_FALSE(small.evaluated);
    EXPECT_FALSE(small.anomalous);
    p.numerator = 2000;
    p.denominator = 4000;
    EXPECT_TRUE(d->observe(p).anomalous);
}

TEST(ConditionTest, StateRoundTrips) {
    ConditionConfig c;
    c.fire_after = 2;
    c.of_last = 4;
    Condition a(c);
    Verdict v;
    v.evaluated = v.anomalous = true;
    a.apply(v, 1);
    Condition b(c);
    b.restore(a.state());
    v.anomalous = true;
    Verdict w = v;
    a.apply(v, 1);
    b.apply(w, 1);
    EXPECT_TRUE(v.anomalous);
    EXPECT_EQ(v.anomalous, w.anomalous);
}

}  // namespace
}  // namespace terrain::detectors
