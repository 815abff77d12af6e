// Known answers for each detector on synthetic series, and one contract every registered
// detector must keep.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

#include "detectors/detector.h"
#include "tests/support/builders.h"
#include "tests/support/detectors.h"

namespace terrain::detectors {
namespace {

constexpr std::int64_t kWindow = 300'000;          // 5 minutes
constexpr int kPerDay = 288;

// A series of counts with a daily cycle: quiet nights, busy office hours.
double daily_count(int i, std::mt19937& rng) {
    const double hour = (i % kPerDay) / 12.0;
    const double level = 200 + 800 * std::exp(-std::pow((hour - 13) / 3.5, 2));
    return std::poisson_distribution<int>(level)(rng);
}

struct Feed {
    Detector& d;
    const core::MetricConfig& m;
    int i = 0;
    double claim = std::nan("");  // pairs: the MAP side's figure for the next points
    Verdict operator()(double value, double denominator = 0) {
        core::Point p;
        p.claim = claim;
        p.metric = &m;
        p.window_start_ms = static_cast<std::int64_t>(i) * kWindow;
        p.window_end_ms = p.window_start_ms + kWindow;
        p.value = value;
        p.numerator = denominator > 0 ? value * denominator : value;
        p.denominator = denominator;
        ++i;
        return d.observe(p);
    }
};

TEST(SeasonalTest, LearnsTheDailyCycleFlagsASpikeAndKeepsItOutOfTheBaseline) {
    auto m = testing::count_metric();
    auto d = testing::make_detector("seasonal", m, {{"period", "1d"}, {"cycles", 4}});
    Feed feed{*d, m};
    std::mt19937 rng(11);
    int alarms = 0;
    for (int i = 0; i < 5 * kPerDay; ++i) {
        alarms += feed(daily_count(i, rng)).anomalous ? 1 : 0;
    }
    EXPECT_LE(alarms, 2) << "a normal daily cycle should stay quiet";
    // 13:00 on day 6: three times the usual.
    for (int i = 5 * kPerDay; i < 5 * kPerDay + 156; ++i) {
        feed(daily_count(i, rng));
    }
    auto spike = feed(3000);
    EXPECT_TRUE(spike.anomalous);
    EXPECT_NEAR(spike.expected, 1000, 60);
    EXPECT_GT(spike.score, 0.5);
    // The next day at the same time, normal traffic is normal: the spike was not learned.
    for (int i = 5 * kPerDay + 157; i < 6 * kPerDay + 156; ++i) {
        feed(daily_count(i, rng));
    }
    auto next = feed(1000);
    EXPECT_FALSE(next.anomalous);
    EXPECT_NEAR(next.expected, 1000, 60);
}

// A campaign that sends only on weekdays, 10:00-10:40, and nothing in between: the pipeline
// feeds its detectors the windows that have data (an empty window is no data, not zero), so
// the seasonal baseline sees a series with gaps of a day and of a weekend. Weekly and daily
// periods alike learn the send's shape from the sends themselves.
TEST(SeasonalTest, LearnsABurstySendPatternAcrossTheGapsBetweenSends) {
    for (const char* period : {"1w", "1d"}) {
        SCOPED_TRACE(period);
        auto m = testing::count_metric();
        auto d = testing::make_detector("seasonal", m, {{"period", period}, {"cycles", 4}});
        std::mt19937 rng(23);
        // The send ramps up and down over its 8 windows.
        const double shape[8] = {400, 1500, 2600, 3000, 2800, 2000, 900, 300};
        auto feed = [&](int day, int w, double value) {
            core::Point p;
            p.metric = &m;
            p.window_start_ms = (static_cast<std::int64_t>(day) * kPerDay + 120 + w) * kWindow;
            p.window_end_ms = p.window_start_ms + kWindow;
            p.value = value;
            p.numerator = value;
            return d->observe(p);
        };
        int alarms = 0;
        int judged = 0;
        for (int day = 0; day < 35; ++day) {
            if (day % 7 >= 5) {
                continue;  // the weekend: no send, no point
            }
            const bool last_week = day >= 28;
            for (int w = 0; w < 8; ++w) {
                const double usual = std::poisson_distribution<int>(shape[w])(rng);
                if (last_week && day == 30 && w == 3) {
                    // Wednesday of week five: the peak window sends four times the usual.
                    const auto v = feed(day, w, 4 * shape[w]);
                    EXPECT_TRUE(v.anomalous) << v.reason;
                    EXPECT_NEAR(v.expected, shape[w], 0.1 * shape[w]);
                    continue;
                }
                const auto v = feed(day, w, usual);
                alarms += v.anomalous ? 1 : 0;
                if (last_week && !std::isnan(v.expected)) {
                    ++judged;
                    EXPECT_NEAR(v.expected, shape[w], 0.1 * shape[w]) << "day " << day << " w " << w;
                }
            }
        }
        EXPECT_EQ(judged, 39) << "every send window of the last week has a baseline";
        EXPECT_LE(alarms, 1) << "usual sends stay quiet across the gaps";
    }
}

TEST(VolumeTest, FlagsRunawayAndStalledSendsButNotQuietNights) {
    auto m = testing::count_metric();
    auto d = testing::make_detector("volume", m, {{"min_cycles", 2}});
    Feed feed{*d, m};
    std::mt19937 rng(5);
    for (int i = 0; i < 3 * kPerDay; ++i) {
        const int slot = i % kPerDay;
        const bool campaign = slot >= 120 && slot < 132;  // 10:00-11:00
        EXPECT_FALSE(feed(campaign ? 5000 : (slot < 72 ? 0 : 50)).anomalous) << i;
    }
    // Day 4: the night stays at zero (nothing expected), the campaign hour stalls, and then a
    // loop mails ten times the usual.
    for (int slot = 0; slot < 72; ++slot) {
        EXPECT_FALSE(feed(0).anomalous);
    }
    for (int slot = 72; slot < 120; ++slot) {
        feed(50);
    }
    auto stalled = feed(0);
    EXPECT_TRUE(stalled.anomalous);
    EXPECT_NE(stalled.reason.find("stalled"), std::string::npos) << stalled.reason;
    for (int slot = 121; slot < 140; ++slot) {
        feed(slot < 132 ? 5000 : 50);
    }
    auto runaway = feed(600);
    EXPECT_TRUE(runaway.anomalous) << runaway.reason;
    EXPECT_NE(runaway.reason.find("runaway"), std::string::npos) << runaway.reason;
}

TEST(CusumTest, CatchesASlowDriftThatEwmaMisses) {
    auto m = testing::ratio_metric();
    auto cusum = testing::make_detector("cusum", m, {});
    auto ewma = testing::make_detector("ewma", m, {});
    Feed c{*cusum, m};
    Feed e{*ewma, m};
    std::mt19937 rng(9);
    std::normal_distribution<double> noise(0, 0.0004);
    int quiet_alarms = 0;
    for (int i = 0; i < 300; ++i) {
        const double x = 0.02 + noise(rng);
        quiet_alarms += c(x, 5000).anomalous ? 1 : 0;
        e(x, 5000);
    }
    EXPECT_EQ(quiet_alarms, 0);
    // The bounce rate creeps up by a fifth of a deviation per window.
    int cusum_at = -1;
    int ewma_alarms = 0;
    for (int i = 0; i < 60; ++i) {
        const double x = 0.02 + 0.0001 * i + noise(rng);
        if (c(x, 5000).anomalous && cusum_at < 0) {
            cusum_at = i;
        }
        ewma_alarms += e(x, 5000).anomalous ? 1 : 0;
    }
    EXPECT_GE(cusum_at, 0) << "cusum should catch the drift";
    EXPECT_LT(cusum_at, 40);
    EXPECT_EQ(ewma_alarms, 0) << "the drift never leaves an EWMA band at one point";
}

TEST(RateTest, SmallDenominatorsAreWeakEvidenceLargeOnesStrong) {
    auto m = testing::ratio_metric();
    auto d = testing::make_detector("rate", m, {});
    Feed feed{*d, m};
    for (int i = 0; i < 50; ++i) {
        feed(0.001, 10000);  // 0.1% complaints
    }
    auto small = feed(2.0 / 40, 40);
    EXPECT_TRUE(small.evaluated);
    EXPECT_FALSE(small.anomalous) << "2 of 40 is weak evidence: " << small.reason;
    auto large = feed(200.0 / 40000, 40000);
    EXPECT_TRUE(large.anomalous) << large.reason;
    EXPECT_GT(large.score, small.score);
    EXPECT_NE(large.reason.find("200 of 40000"), std::string::npos) << large.reason;
    // The anomalous window was not learned: the baseline is still 0.1%.
    EXPECT_NEAR(feed(0.001, 10000).expected, 0.001, 1e-4);
}

TEST(SpotTest, KeepsToTheFalseAlarmBudgetAndFlagsExtremes) {
    auto m = testing::count_metric();
    // One false alarm per week at 5-minute windows: q = 1 / 2016.
    auto d = testing::make_detector("spot", m, {{"false_alarms", 1}, {"per", "1w"}});
    Feed feed{*d, m};
    std::mt19937 rng(21);
    std::exponential_distribution<double> noise(1.0);
    for (int i = 0; i < 2016; ++i) {
        feed(noise(rng));  // a week to learn
    }
    int alarms = 0;
    for (int i = 0; i < 4 * 2016; ++i) {
        alarms += feed(noise(rng)).anomalous ? 1 : 0;
    }
    EXPECT_LE(alarms, 12) << "about 4 expected over 4 weeks";
    auto extreme = feed(30);
    EXPECT_TRUE(extreme.anomalous) << extreme.reason;
    EXPECT_NEAR(extreme.upper, std::log(2016.0), 2.0);  // exponential tail: -ln q
}

TEST(KnnTest, RepeatingShapesAreQuietANewShapeIsNot) {
    core::MetricConfig m = testing::count_metric();
    m.aggregation = core::Aggregation::kSum;
    auto d = testing::make_detector("knn", m, {});
    Feed feed{*d, m};
    std::mt19937 rng(2);
    std::normal_distribution<double> noise(0, 1);
    auto wave = [&](int i) { return 50 + 20 * std::sin(2 * M_PI * i / 96.0) + noise(rng); };
    int alarms = 0;
    for (int i = 0; i < 1500; ++i) {
        alarms += feed(wave(i)).anomalous ? 1 : 0;
    }
    EXPECT_EQ(alarms, 0);
    // The series flattens where it used to swing.
    bool flagged = false;
    for (int i = 1500; i < 1560; ++i) {
        flagged = feed(50 + noise(rng) * 0.1).anomalous || flagged;
    }
    EXPECT_TRUE(flagged);
}

core::MetricConfig pair_metric(bool claim_is_ratio) {
    auto m = testing::ratio_metric();
    m.pair = core::PairConfig{};
    m.pair->claim_is_ratio = claim_is_ratio;
    return m;
}

TEST(DisagreementTest, CustomersWorseWhileTheMapLooksFineIsTheDangerousQuadrant) {
    const auto m = pair_metric(true);
    auto d = testing::make_detector("disagreement", m, {});
    Feed feed{*d, m};
    std::mt19937 rng(3);
    feed.claim = 0.99;  // "delivered 99%"
    int quiet = 0;
    for (int i = 0; i < 200; ++i) {
        const double n = 4000;
        auto v = feed(std::binomial_distribution<int>(4000, 0.0005)(rng) / n, n);
        quiet += v.anomalous ? 1 : 0;
        if (v.evaluated) {
            EXPECT_EQ(v.quadrant, "good_for_both");
        }
    }
    EXPECT_EQ(quiet, 0);
    // Tickets about missing mail: 0.05% -> 0.6% of delivered, the MAP still says 99%.
    auto v = feed(24.0 / 4000, 4000);
    ASSERT_TRUE(v.anomalous) << v.reason;
    EXPECT_EQ(v.quadrant, "good_for_company_bad_for_customer");
    EXPECT_NEAR(v.claim_expected, 0.99, 1e-6);
    EXPECT_GT(v.score, 0.5);
    // The same, with the MAP's own figure down as well.
    feed.claim = 0.90;
    v = feed(24.0 / 4000, 4000);
    ASSERT_TRUE(v.anomalous);
    EXPECT_EQ(v.quadrant, "bad_for_both");
}

TEST(DisagreementTest, FewerCustomerSignalsIsNotADisagreementAndSmallCountsAreWeak) {
    const auto m = pair_metric(false);
    auto d = testing::make_detector("disagreement", m, {});
    Feed feed{*d, m};
    std::mt19937 rng(5);
    for (int i = 0; i < 200; ++i) {
        feed.claim = 3000;  // sends per window: a count claim
        feed(std::binomial_distribution<int>(3000, 0.01)(rng) / 3000.0, 3000);
    }
    auto fewer = feed(0.0 / 3000, 3000);
    EXPECT_TRUE(fewer.evaluated);
    EXPECT_FALSE(fewer.anomalous) << "no opt-outs at all is good news";
    auto small = feed(2.0 / 30, 30);
    EXPECT_FALSE(small.anomalous) << "2 of 30 is weak evidence: " << small.reason;
    // A runaway: four times the sends, opt-outs per send tripled.
    feed.claim = 12000;
    auto runaway = feed(360.0 / 12000, 12000);
    EXPECT_TRUE(runaway.anomalous);
    EXPECT_EQ(runaway.quadrant, "good_for_company_bad_for_customer");
}

TEST(DisagreementTest, JudgesOnlyAfterMinHistoryWhileLearningFromTheStart) {
    // A lagging signal: the first windows hold the exposure but not yet its signals, so a
    // young baseline is too low. Nothing is judged before 12 hours of history (the default).
    const auto m = pair_metric(true);
    auto d = testing::make_detector("disagreement", m, {});
    Feed feed{*d, m};
    feed.claim = 0.99;
    constexpr int kHalfDay = 12 * 12;  // 5-minute windows
    for (int i = 0; i < kHalfDay; ++i) {
        const double rate = i < 24 ? 0.0 : 0.01;  // two hours before the signals catch up
        auto v = feed(rate, 5000);
        EXPECT_FALSE(v.evaluated) << i;
    }
    auto v = feed(0.01, 5000);
    EXPECT_TRUE(v.evaluated);
    EXPECT_FALSE(v.anomalous) << v.reason;
    auto set = testing::make_detector("disagreement", m, {{"min_history", "1h"}});
    Feed early{*set, m};
    early.claim = 0.99;
    for (int i = 0; i < 12; ++i) {
        EXPECT_FALSE(early(0.01, 5000).evaluated) << i;
    }
    EXPECT_TRUE(early(0.01, 5000).evaluated);
}

TEST(DisagreementTest, RefusedOutsidePairs) {
    EXPECT_THROW(testing::make_detector("disagreement", testing::ratio_metric(), {}),
                 core::ConfigError);
}

// ---- the contract -------------------------------------------------------------------------

struct ContractCase {
    std::string type;
    nlohmann::json params;
    bool ratio = false;
    bool pair = false;
};

std::ostream& operator<<(std::ostream& os, const ContractCase& c) { return os << c.type; }

const std::vector<ContractCase>& contract_cases() {
    static const std::vector<ContractCase> cases = {
        {"threshold", {{"above", 2000}}, false},
        {"ewma", nlohmann::json::object(), false},
        {"knn", nlohmann::json::object(), false},
        {"seasonal", {{"min_cycles", 1}}, false},
        {"volume", {{"min_cycles", 1}}, false},
        {"cusum", nlohmann::json::object(), false},
        {"rate", nlohmann::json::object(), true},
        {"spot", {{"quantile", 0.9}}, false},
        {"disagreement", nlohmann::json::object(), true, true},
    };
    return cases;
}

TEST(DetectorContractTest, EveryRegisteredDetectorHasAContractCase) {
    Registry r;
    register_builtin_detectors(r);
    std::set<std::string> covered;
    for (const auto& c : contract_cases()) {
        covered.insert(c.type);
    }
    for (const auto& type : r.types()) {
        EXPECT_TRUE(covered.count(type)) << type << " needs a case in contract_cases()";
    }
}

class DetectorContract : public ::testing::TestWithParam<ContractCase> {
protected:
    core::MetricConfig metric() const {
        return GetParam().pair    ? pair_metric(false)
               : GetParam().ratio ? testing::ratio_metric()
                                  : testing::count_metric();
    }
    std::unique_ptr<Detector> make(const core::MetricConfig& m) const {
        return testing::make_detector(GetParam().type, m, GetParam().params);
    }
    // Day-shaped counts, or a complaint rate around 0.2% of ~5000 deliveries.
    std::pair<double, double> point(int i, std::mt19937& rng) const {
        if (GetParam().ratio) {
            const double n = 5000;
            return {std::binomial_distribution<int>(5000, 0.002)(rng) / n, n};
        }
        return {daily_count(i, rng), 0};
    }
};

TEST_P(DetectorContract, ScoresAreInRangeAndJudgedConsistently) {
    auto m = metric();
    auto d = make(m);
    Feed feed{*d, m};
    std::mt19937 rng(1);
    for (int i = 0; i < 3 * kPerDay; ++i) {
        auto [x, n] = point(i, rng);
        auto v = feed(x, n);
        EXPECT_TRUE(v.score >= 0 && v.score < 1) << i << ": " << v.score;
        if (!v.evaluated) {
            EXPECT_FALSE(v.anomalous) << i;
        } else {
            EXPECT_EQ(v.anomalous, v.score > 0.5 || v.anomalous) << i;
        }
    }
}

TEST_P(DetectorContract, SurvivesHostileValues) {
    auto m = metric();
    auto d = make(m);
    Feed feed{*d, m};
    std::mt19937 rng(1);
    for (int i = 0; i < kPerDay; ++i) {
        auto [x, n] = point(i, rng);
        feed(x, n);
    }
    const double nan = std::nan("");
    const double inf = std::numeric_limits<double>::infinity();
    for (double bad : {nan, inf, -inf}) {
        auto v = feed(bad, GetParam().ratio ? 100 : 0);
        EXPECT_FALSE(v.evaluated) << bad;
    }
    for (double huge : {1e300, -1e300, 0.0}) {
        auto v = feed(huge, GetParam().ratio ? 1e12 : 0);
        EXPECT_FALSE(std::isnan(v.score)) << huge;
    }
    // Still judging sensibly afterwards.
    for (int i = 0; i < kPerDay; ++i) {
        auto [x, n] = point(i, rng);
        EXPECT_FALSE(std::isnan(feed(x, n).score));
    }
}

TEST_P(DetectorContract, FlagsAGrossAnomalyAfterLearningNormal) {
    auto m = metric();
    auto d = make(m);
    Feed feed{*d, m};
    std::mt19937 rng(4);
    for (int i = 0; i < 4 * kPerDay + 156; ++i) {
        auto [x, n] = point(i, rng);
        feed(x, n);
    }
    bool flagged = false;
    for (int i = 0; i < 6 && !flagged; ++i) {
        flagged = GetParam().ratio ? feed(0.05, 5000).anomalous : feed(100000).anomalous;
    }
    EXPECT_TRUE(flagged);
}

TEST_P(DetectorContract, ASnapshotRestoresTheSameJudgement) {
    auto m = metric();
    auto original = make(m);
    Feed a{*original, m};
    std::mt19937 rng(8);
    for (int i = 0; i < 3 * kPerDay; ++i) {
        auto [x, n] = point(i, rng);
        a(x, n);
    }
    // Through text, as the store keeps it.
    auto restored = make(m);
    restored->restore(nlohmann::json::parse(original->save().dump()));
    Feed b{*restored, m, a.i};
    int anomalous = 0;
    for (int i = 0; i < kPerDay; ++i) {
        auto [x, n] = point(i, rng);
        if (i == 100) {
            x = GetParam().ratio ? 0.05 : 100000;
        }
        auto va = a(x, n);
        auto vb = b(x, n);
        ASSERT_EQ(va.evaluated, vb.evaluated) << i;
        ASSERT_EQ(va.anomalous, vb.anomalous) << i;
        ASSERT_DOUBLE_EQ(va.score, vb.score) << i;
        anomalous += va.anomalous ? 1 : 0;
    }
    EXPECT_GT(anomalous, 0) << "the comparison should include an anomaly";
    // A snapshot of another shape is refused, not half-applied.
    EXPECT_ANY_THROW(make(m)->restore(nlohmann::json::parse(R"({"unrelated": true})")));
}

INSTANTIATE_TEST_SUITE_P(Detectors, DetectorContract, ::testing::ValuesIn(contract_cases()),
                         [](const auto& info) { return info.param.type; });

}  // namespace
}  // namespace terrain::detectors
