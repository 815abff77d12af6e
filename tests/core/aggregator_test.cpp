#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <tuple>

#include "core/aggregator.h"
#include "tests/support/builders.h"

namespace terrain::core {
namespace {

using testing::count_metric;
using testing::EventBuilder;
using testing::ratio_metric;

constexpr std::int64_t kT0 = 1'700'000'100'000 / 300'000 * 300'000;  // a window boundary
constexpr std::int64_t kMin = 60'000;

struct Recorded {
    std::string metric;
    std::string series;
    std::int64_t start;
    double value;
    double num;
    double den;
};

struct Recorder {
    std::vector<Recorded> points;
    std::vector<std::string> evicted;
    void drain(Aggregator& a) {
        a.close_windows(
            [this](const Point& p) {
                points.push_back({p.metric->name, *p.series_key, p.window_start_ms, p.value,
                                  p.numerator, p.denominator});
            },
            [this](const MetricConfig&, const std::string& key, const Labels&, SeriesAttachment*) {
                evicted.push_back(key);
            });
    }
};

TEST(AggregatorTest, WindowClosesOnlyWhenWatermarkPassesItsEnd) {
    Aggregator a({count_metric()}, 2 * kMin);
    Recorder r;
    a.add(EventBuilder().at(kT0 + kMin));
    a.add(EventBuilder().at(kT0 + 2 * kMin));
    r.drain(a);
    EXPECT_TRUE(r.points.empty());
    a.add(EventBuilder().at(kT0 + 6 * kMin));  // watermark = 4m: window [0,5m) still open
    r.drain(a);
    EXPECT_TRUE(r.points.empty());
    a.add(EventBuilder().at(kT0 + 7 * kMin));  // watermark = 5m: closes [0,5m)
    r.drain(a);
    ASSERT_EQ(r.points.size(), 1U);
    EXPECT_EQ(r.points[0].start, kT0);
    EXPECT_EQ(r.points[0].value, 2);
    EXPECT_EQ(r.points[0].series, "spring\x1f");
}

TEST(AggregatorTest, OutOfOrderWithinLatenessCountsLateBeyondIt) {
    Aggregator a({count_metric()}, 2 * kMin);
    Recorder r;
    a.add(EventBuilder().at(kT0 + 4 * kMin));
    EXPECT_TRUE(a.add(EventBuilder().at(kT0 + 1 * kMin)));  // earlier, same open window
    a.add(EventBuilder().at(kT0 + 8 * kMin));
    r.drain(a);
    ASSERT_EQ(r.points.size(), 1U);
    EXPECT_EQ(r.points[0].value, 2);
    EXPECT_FALSE(a.add(EventBuilder().at(kT0 + 3 * kMin)));  // its window already closed
    EXPECT_EQ(a.stats(0).late, 1U);
}

TEST(AggregatorTest, RatioOverSpanLetsLateNumeratorMeetItsDenominator) {
    // Complaints arrive an hour after the deliveries they belong to; a 24h span still sees
    // them against those deliveries, where a 5-minute ratio would report 0 then infinity.
    Aggregator a({ratio_metric(24 * 60 * kMin)}, 0);
    Recorder r;
    for (int i = 0; i < 1000; ++i) {
        a.add(EventBuilder().at(kT0 + i));
    }
    for (int i = 0; i < 5; ++i) {
        a.add(EventBuilder().kind("email.complaint").at(kT0 + 60 * kMin + i));
    }
    a.add(EventBuilder().kind("email.delivered").label("campaign", "other").at(kT0 + 70 * kMin));
    r.drain(a);
    ASSERT_FALSE(r.points.empty());
    const auto& last_spring = [&] {
        Recorded last{};
        for (const auto& p : r.points) {
            if (p.series == "spring\x1fgmail.com\x1f") {
                last = p;
            }
        }
        return last;
    }();
    EXPECT_EQ(last_spring.num, 5);
    EXPECT_EQ(last_spring.den, 1000);
    EXPECT_DOUBLE_EQ(last_spring.value, 0.005);
}

// What a card shows of what customers said: the latest customer signals the metric counts in
// that series, newest first; not the MAP's events, not another series', not events without
// an id; the last kSignalsPerKind of each kind.
TEST(AggregatorTest, RecentSignalsAreTheSeriesOwnCustomerSignalsNewestFirst) {
    Aggregator a({ratio_metric(24 * 60 * kMin)}, 0);
    a.add(EventBuilder().id("d-1").at(kT0));  // the MAP's side
    for (int i = 0; i < 40; ++i) {
        a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer)
                  .id("c-" + std::to_string(i)).at(kT0 + i * kMin));
    }
    a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + 50 * kMin));
    a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).label("campaign", "autumn")
              .id("other").at(kT0 + 51 * kMin));
    const auto shown = a.recent_signals(0, {{"campaign", "spring"}, {"provider", "gmail.com"}}, 3);
    ASSERT_EQ(shown.size(), 3U);
    EXPECT_EQ(shown[0].id, "c-39");
    EXPECT_EQ(shown[1].id, "c-38");
    EXPECT_EQ(shown[2].id, "c-37");
    EXPECT_EQ(shown[0].source, "test");
    EXPECT_EQ(shown[0].kind, "email.complaint");
    // The kind's ring holds the last 32 complaints: autumn's and 31 of spring's.
    EXPECT_EQ(a.recent_signals(0, {{"campaign", "spring"}, {"provider", "gmail.com"}}, 100).size(),
              Aggregator::kSignalsPerKind - 1);
    const auto autumn = a.recent_signals(0, {{"campaign", "autumn"}, {"provider", "gmail.com"}}, 5);
    ASSERT_EQ(autumn.size(), 1U);
    EXPECT_EQ(autumn[0].id, "other");
}

// A metric's label filter reads as matchers do everywhere else, from the configuration as
// people write it: a value, "!=", "=~" (the whole value), "!~", and a list of values.
TEST(AggregatorTest, LabelFiltersAreMatchersAsWrittenInTheConfiguration) {
    const auto config = parse_config(R"(
metrics:
  - name: listed
    filter: {kind: email.complaint, labels: {campaign: [autumn-sale, winback-q4]}}
  - name: expression
    filter: {kind: email.complaint, labels: {campaign: "=~autumn-sale|winback-q4"}}
  - name: not_test
    filter: {kind: email.complaint, labels: {campaign: "!~test-.*"}}
  - name: not_one
    filter: {kind: email.complaint, labels: {campaign: "!=autumn-sale"}}
  - name: dotted
    filter: {kind: email.complaint, labels: {campaign: [a.b]}}
)", "test.yaml");
    auto matched = [&](const std::string& metric, const std::string& campaign) {
        for (const auto& m : config.metrics) {
            if (m.name == metric) {
                return m.filter.matches(
                    EventBuilder().kind("email.complaint").label("campaign", campaign));
            }
        }
        ADD_FAILURE() << metric;
        return false;
    };
    for (const char* metric : {"listed", "expression"}) {
        EXPECT_TRUE(matched(metric, "autumn-sale")) << metric;
        EXPECT_TRUE(matched(metric, "winback-q4")) << metric;
        EXPECT_FALSE(matched(metric, "autumn-sale-2")) << metric;  // the whole value
        EXPECT_FALSE(matched(metric, "spring")) << metric;
    }
    EXPECT_TRUE(matched("not_test", "spring"));
    EXPECT_FALSE(matched("not_test", "test-seed"));
    EXPECT_TRUE(matched("not_one", "winback-q4"));
    EXPECT_FALSE(matched("not_one", "autumn-sale"));
    EXPECT_TRUE(matched("dotted", "a.b"));
    EXPECT_FALSE(matched("dotted", "axb"));  // list values are literal
}

TEST(AggregatorTest, RatioWithNoDenominatorIsNaN) {
    Aggregator a({ratio_metric()}, 0);
    Recorder r;
    a.add(EventBuilder().kind("email.complaint").at(kT0));
    a.add(EventBuilder().kind("email.complaint").at(kT0 + 6 * kMin));
    r.drain(a);
    ASSERT_FALSE(r.points.empty());
    EXPECT_TRUE(std::isnan(r.points[0].value));
}

TEST(AggregatorTest, SeriesCapRefusesOnlyWhenEverySeriesHasHistory) {
    auto m = count_metric();
    m.max_series = 2;
    Aggregator a({m}, 0);
    Recorder r;
    // Two series with history: three windows with data each.
    for (int w = 0; w < 4; ++w) {
        a.add(EventBuilder().label("campaign", "a").at(kT0 + w * 5 * kMin));
        a.add(EventBuilder().label("campaign", "b").at(kT0 + w * 5 * kMin));
        r.drain(a);
    }
    a.add(EventBuilder().label("campaign", "c").at(kT0 + 20 * kMin));
    EXPECT_EQ(a.series_count(0), 2U);
    EXPECT_EQ(a.stats(0).refused, 1U);
    EXPECT_EQ(a.stats(0).evicted, 0U);
}

TEST(AggregatorTest, AFloodOfMadeUpSeriesDoesNotLockOutRealOnes) {
    auto m = count_metric();
    m.max_series = 100;
    Aggregator a({m}, 0);
    Recorder r;
    // A real campaign with history, then 10,000 made-up campaign ids, one event each.
    for (int w = 0; w < 4; ++w) {
        for (int i = 0; i < 50; ++i) {
            a.add(EventBuilder().label("campaign", "real").at(kT0 + w * 5 * kMin + i));
        }
        r.drain(a);
    }
    const std::int64_t t = kT0 + 20 * kMin;
    for (int i = 0; i < 10'000; ++i) {
        a.add(EventBuilder().label("campaign", "junk-" + std::to_string(i)).at(t));
    }
    // A new real campaign arriving during the flood gets in and keeps its place as the flood
    // goes on: made-up series with fewer events go first.
    for (int i = 0; i < 40; ++i) {
        a.add(EventBuilder().label("campaign", "new-real").at(t + i));
    }
    for (int i = 10'000; i < 20'000; ++i) {
        a.add(EventBuilder().label("campaign", "junk-" + std::to_string(i)).at(t));
    }
    EXPECT_EQ(a.stats(0).refused, 0U);
    EXPECT_GT(a.stats(0).evicted, 19'000U);
    a.add(EventBuilder().label("campaign", "real").at(t + 5 * kMin));
    r.drain(a);
    bool real = false;
    bool new_real = false;
    for (const auto& p : r.points) {
        real |= p.series.find("real") == 0 && p.start == t;
        new_real |= p.series.find("new-real") == 0 && p.start == t && p.value == 40;
    }
    EXPECT_TRUE(real);
    EXPECT_TRUE(new_real);
    // Evicted series are told, like idle ones.
    EXPECT_GT(r.evicted.size(), 19'000U);
}

TEST(AggregatorTest, OneEventStampedAheadCannotCloseWindowsEarly) {
    Aggregator a({count_metric()}, 2 * kMin);
    Recorder r;
    a.set_ceiling(kT0 + 10 * kMin);  // the wall clock
    a.add(EventBuilder().at(kT0 + 59 * kMin));  // a sender's clock an hour ahead, and first
    a.add(EventBuilder().at(kT0 + kMin));
    r.drain(a);
    // Only windows up to the wall clock less the lateness closed; the real events after the
    // stray one still count.
    EXPECT_LE(a.watermark_ms(), kT0 + 8 * kMin);
    for (int i = 0; i < 100; ++i) {
        EXPECT_TRUE(a.add(EventBuilder().at(kT0 + 6 * kMin + i))) << i;
    }
    // The stray event counts in its own window once its time comes.
    a.set_ceiling(kT0 + 70 * kMin);
    a.advance_idle(kT0 + 70 * kMin);
    r.drain(a);
    double at_59 = 0;
    double at_5 = 0;
    for (const auto& p : r.points) {
        at_59 += p.start == kT0 + 55 * kMin ? p.value : 0;
        at_5 += p.start == kT0 + 5 * kMin ? p.value : 0;
    }
    EXPECT_EQ(at_59, 1);
    EXPECT_EQ(at_5, 100);
}

TEST(AggregatorTest, AQuietSeriesGoesQuietAndKeepsItsPlace) {
    auto m = count_metric();
    m.idle_after_ms = 15 * kMin;
    Aggregator a({m}, 0);
    Recorder r;
    a.add(EventBuilder().at(kT0));
    a.add(EventBuilder().label("campaign", "other").at(kT0 + 60 * kMin));
    r.drain(a);
    std::vector<double> spring;
    for (const auto& p : r.points) {
        if (p.series == "spring\x1f") {
            spring.push_back(p.value);
        }
    }
    // 1 in the first window, zeros while it might still be alive, then no points (no data is
    // not zero); its owner is told once that it went quiet.
    ASSERT_GE(spring.size(), 3U);
    EXPECT_EQ(spring[0], 1);
    EXPECT_EQ(spring[1], 0);
    EXPECT_LE(spring.size(), 4U);
    ASSERT_EQ(r.evicted.size(), 1U);
    EXPECT_EQ(r.evicted[0], "spring\x1f");
    // It keeps its place (and whatever its detectors learned): data brings its points back.
    EXPECT_EQ(a.series_count(0), 2U);
    r.points.clear();
    a.add(EventBuilder().at(kT0 + 2 * 60 * kMin));
    a.add(EventBuilder().label("campaign", "other").at(kT0 + 2 * 60 * kMin + 10 * kMin));
    r.drain(a);
    bool back = false;
    for (const auto& p : r.points) {
        back |= p.series == "spring\x1f" && p.value == 1;
    }
    EXPECT_TRUE(back);
    EXPECT_EQ(std::count(r.evicted.begin(), r.evicted.end(), "spring\x1f"), 1);  // told once
}

TEST(AggregatorTest, LongGapsCostNothing) {
    // SendGrid's documentation examples span 2009 to 2017; a series does not emit a point for
    // every five minutes in between.
    Aggregator a({count_metric()}, 0);
    Recorder r;
    a.add(EventBuilder().at(1'249'948'800'000));
    a.add(EventBuilder().at(1'513'299'569'000));
    a.add(EventBuilder().at(1'513'299'569'000 + 10 * kMin));
    r.drain(a);
    EXPECT_LT(r.points.size(), 30U);
}

TEST(AggregatorTest, IdleAdvanceClosesWindowsWithoutEvents) {
    Aggregator a({count_metric()}, kMin);
    Recorder r;
    a.add(EventBuilder().at(kT0 + kMin));
    r.drain(a);
    EXPECT_TRUE(r.points.empty());
    a.advance_idle(kT0 + 10 * kMin);
    EXPECT_TRUE(a.window_due());
    r.drain(a);
    ASSERT_FALSE(r.points.empty());
    EXPECT_EQ(r.points[0].value, 1);
}

TEST(AggregatorTest, FilterOnLabelsAndSide) {
    auto m = count_metric("hard");
    m.filter.kinds = {"email.bounce"};
    m.filter.labels = {{"bounce_class", "hard"}};
    Aggregator a({m}, 0);
    Recorder r;
    a.add(EventBuilder().kind("email.bounce").label("bounce_class", "hard").at(kT0));
    a.add(EventBuilder().kind("email.bounce").label("bounce_class", "block").at(kT0));
    a.add(EventBuilder().kind("email.bounce").label("bounce_class", "hard").at(kT0 + 6 * kMin));
    r.drain(a);
    ASSERT_EQ(r.points.size(), 1U);
    EXPECT_EQ(r.points[0].value, 1);
}

TEST(AggregatorTest, SumAddsValues) {
    auto m = count_metric("csat");
    m.aggregation = Aggregation::kSum;
    m.filter.kinds = {"survey.response"};
    Aggregator a({m}, 0);
    Recorder r;
    a.add(EventBuilder().kind("survey.response").value(4).at(kT0));
    a.add(EventBuilder().kind("survey.response").value(2.5).at(kT0 + 1));
    a.add(EventBuilder().kind("survey.response").value(1).at(kT0 + 6 * kMin));
    r.drain(a);
    ASSERT_EQ(r.points.size(), 1U);
    EXPECT_DOUBLE_EQ(r.points[0].value, 6.5);
}

// Interrupting a stream with a checkpoint (save, restore into a new aggregator) changes none of
// the points: open windows, closed windows within a ratio's span, the watermark and the counts
// all come back.
TEST(AggregatorTest, ACheckpointRestoresEveryWindow) {
    auto events = [](int from, int to) {
        std::vector<Event> out;
        for (int i = from; i < to; ++i) {
            const auto at = kT0 + i * 7'000;
            out.push_back(EventBuilder().label("campaign", i % 3 ? "spring" : "fall").at(at));
            if (i % 11 == 0) {
                out.push_back(EventBuilder().kind("email.complaint").at(at - 3 * kMin));
            }
        }
        return out;
    };
    auto metrics = [] { return std::vector<MetricConfig>{count_metric(), ratio_metric(60 * kMin)}; };
    Aggregator straight(metrics(), 2 * kMin);
    Recorder all;
    for (const auto& e : events(0, 2000)) {
        straight.add(e);
        all.drain(straight);
    }

    Aggregator before(metrics(), 2 * kMin);
    Recorder split;
    for (const auto& e : events(0, 1000)) {
        before.add(e);
        split.drain(before);
    }
    Aggregator after(metrics(), 2 * kMin);
    EXPECT_TRUE(after.restore(before.save()).empty());
    EXPECT_EQ(after.watermark_ms(), before.watermark_ms());
    EXPECT_EQ(after.series_count(0), before.series_count(0));
    for (const auto& e : events(1000, 2000)) {
        after.add(e);
        split.drain(after);
    }
    ASSERT_EQ(split.points.size(), all.points.size());
    // Series within one window come in no particular order.
    auto by_window = [](const Recorded& x, const Recorded& y) {
        return std::tie(x.metric, x.start, x.series) < std::tie(y.metric, y.start, y.series);
    };
    std::sort(split.points.begin(), split.points.end(), by_window);
    std::sort(all.points.begin(), all.points.end(), by_window);
    for (std::size_t i = 0; i < all.points.size(); ++i) {
        EXPECT_EQ(split.points[i].series, all.points[i].series) << i;
        EXPECT_EQ(split.points[i].start, all.points[i].start) << i;
        EXPECT_EQ(split.points[i].num, all.points[i].num) << i;
        EXPECT_EQ(split.points[i].den, all.points[i].den) << i;
    }
    EXPECT_EQ(after.stats(0).added, straight.stats(0).added);
    EXPECT_EQ(after.stats(1).late, straight.stats(1).late);
}

TEST(AggregatorTest, AChangedMetricStartsEmptyAndBadDataIsRefused) {
    Aggregator a({count_metric(), ratio_metric()}, 0);
    for (int i = 0; i < 100; ++i) {
        a.add(EventBuilder().at(kT0 + i * 10'000));
    }
    const std::string saved = a.save();
    auto wider = ratio_metric();
    wider.window_ms = 600'000;
    wider.span_ms = 600'000;
    Aggregator b({count_metric(), wider}, 0);
    EXPECT_EQ(b.restore(saved), std::vector<std::string>{"complaint_rate"});
    EXPECT_EQ(b.series_count(0), 1U);
    EXPECT_EQ(b.series_count(1), 0U);

    Aggregator c({count_metric()}, 0);
    EXPECT_THROW(c.restore(saved.substr(0, saved.size() / 2)), std::runtime_error);
    EXPECT_THROW(c.restore("not a checkpoint"), std::runtime_error);
    EXPECT_EQ(c.series_count(0), 0U);  // nothing half-restored
}

}  // namespace
}  // namespace terrain::core
