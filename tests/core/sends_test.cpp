#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <vector>

#include <cmath>

#include "core/aggregator.h"
#include "core/binary.h"
#include "core/sends.h"
#include "detectors/evaluator.h"
#include "core/store.h"
#include "tests/support/builders.h"
#include "tests/support/temp_dir.h"

namespace terrain::core {
namespace {

using testing::EventBuilder;
using testing::TempDir;
using testing::ratio_metric;

constexpr std::int64_t kT0 = 1'700'000'100'000 / 300'000 * 300'000;  // a window boundary
constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kHour = 60 * kMin;
constexpr std::int64_t kDay = 24 * kHour;

// A message hash as adapters make them (hex); the index keys on its first 64 bits.
std::string message(int n) {
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016x%016x", n * 2654435761U, n);
    return buf;
}

TEST(SendIndexTest, JoinsLaterEventsOfAMessageToItsSendAndFillsTheSendsLabels) {
    SendIndex index(3 * kDay, 100);
    EXPECT_FALSE(index.observe(EventBuilder().kind("email.processed").at(kT0).message(message(1))));
    // The open names no campaign: it learns its send's.
    auto open = EventBuilder().kind("email.open").at(kT0 + kHour).message(message(1))
                    .label("campaign", "none").build();
    auto send = index.observe(open);
    ASSERT_TRUE(send);
    EXPECT_EQ(send->sent_ms, kT0);
    EXPECT_EQ(send->campaign, "spring");
    EXPECT_EQ(send->provider, "gmail.com");
    EXPECT_EQ(index.joined(), 1U);
    // Without a message, or for a message never sent, nothing is joined.
    EXPECT_FALSE(index.observe(EventBuilder().kind("email.complaint").at(kT0 + kHour)));
    EXPECT_FALSE(index.observe(EventBuilder().kind("email.complaint").side(Side::kCustomer)
                                   .at(kT0 + kHour).message(message(2))));
    // A customer's signal is not a send: the message stays unknown.
    EXPECT_FALSE(index.observe(EventBuilder().kind("email.complaint").side(Side::kCustomer)
                                   .at(kT0 + 2 * kHour).message(message(2))));
    EXPECT_EQ(index.size(), 1U);
}

TEST(SendIndexTest, ForgetsSendsPastTheHorizonAndTheOldestBeyondItsCapacity) {
    SendIndex index(kDay, 2);
    for (int i = 1; i <= 3; ++i) {
        index.observe(EventBuilder().kind("email.processed").at(kT0 + i * kMin).message(message(i)));
    }
    EXPECT_EQ(index.size(), 2U);
    EXPECT_EQ(index.evicted(), 1U);
    EXPECT_FALSE(index.observe(EventBuilder().kind("email.open").at(kT0 + kHour).message(message(1))));
    EXPECT_TRUE(index.observe(EventBuilder().kind("email.open").at(kT0 + kHour).message(message(3))));
    // A day after, the sends are forgotten.
    EXPECT_FALSE(
        index.observe(EventBuilder().kind("email.open").at(kT0 + kDay + 10 * kMin).message(message(3))));
    EXPECT_EQ(index.size(), 0U);
}

TEST(SendIndexTest, SurvivesACheckpoint) {
    SendIndex index(3 * kDay, 100);
    index.observe(EventBuilder().kind("email.processed").at(kT0).message(message(7)));
    std::string saved;
    index.save(saved);
    SendIndex back(3 * kDay, 100);
    binary::Reader r(saved);
    back.restore(r);
    EXPECT_TRUE(r.done());
    auto send = back.observe(EventBuilder().kind("email.bounce").at(kT0 + kMin).message(message(7)));
    ASSERT_TRUE(send);
    EXPECT_EQ(send->sent_ms, kT0);
    EXPECT_EQ(send->campaign, "spring");
    // Cut short anywhere, the data is refused and nothing changes.
    for (std::size_t cut = 0; cut < saved.size(); cut += 7) {
        binary::Reader bad(std::string_view(saved).substr(0, cut));
        SendIndex other(3 * kDay, 100);
        EXPECT_THROW(other.restore(bad), std::runtime_error) << cut;
        EXPECT_EQ(other.size(), 0U);
    }
}

TEST(ArrivalCurveTest, PriorRisesToOneAtTheHorizonAndLearningMovesIt) {
    ArrivalCurve curve;
    const std::int64_t now = kT0 + 4 * kDay;
    double before = 0;
    for (std::int64_t age : {kMin, 15 * kMin, kHour, 6 * kHour, kDay, 2 * kDay}) {
        const double share = curve.arrived(age, 3 * kDay, now);
        EXPECT_GT(share, before) << age;
        before = share;
    }
    EXPECT_EQ(curve.arrived(3 * kDay, 3 * kDay, now), 1.0);
    const double prior_15 = curve.arrived(15 * kMin, 3 * kDay, now);
    // Signals that all come within ten minutes, over four days: by 15 minutes nearly all have
    // arrived.
    for (int i = 0; i < 5000; ++i) {
        curve.learn((i % 10) * kMin, kT0 + i * (4 * kDay / 5000));
    }
    EXPECT_GT(curve.arrived(15 * kMin, 3 * kDay, now), 0.95);
    EXPECT_GT(curve.arrived(15 * kMin, 3 * kDay, now), prior_15);
}

// A steady stream of sends whose signals trail on a log-normal delay (median 90 minutes; not
// the prior's shape): learned over its first hours, the curve must not take every signal for
// a young one. Without the weighting for the ages a young history cannot yet have seen, after
// eight hours it put 54% of the signals within an hour and 86% within three, against a true
// 44% and 78% (of those within the eight hours, the part of the curve it can know).
TEST(ArrivalCurveTest, AYoungHistoryDoesNotTakeEverySignalForAYoungOne) {
    std::mt19937_64 rng(11);
    std::lognormal_distribution<double> delay(std::log(90.0 * kMin), 1.4);
    ArrivalCurve curve;
    const std::int64_t now = kT0 + 8 * kHour;
    std::vector<std::int64_t> within;  // every delay of mail sent in the history, within it
    for (std::int64_t sent = kT0; sent < now; sent += kMin) {
        for (int k = 0; k < 40; ++k) {
            const auto age = static_cast<std::int64_t>(delay(rng));
            if (sent + age < now) {
                curve.learn(age, sent + age);
            }
            if (age < 8 * kHour) {
                within.push_back(age);
            }
        }
    }
    auto truth = [&](std::int64_t age) {
        return static_cast<double>(std::count_if(within.begin(), within.end(),
                                                 [&](std::int64_t a) { return a < age; })) /
               static_cast<double>(within.size());
    };
    for (std::int64_t age : {15 * kMin, kHour, 3 * kHour}) {
        EXPECT_NEAR(curve.arrived(age, 8 * kHour, now), truth(age), 0.06) << age;
    }
}

MetricConfig by_send_metric() {
    MetricConfig m = ratio_metric();
    m.by_send = true;
    m.horizon_ms = 3 * kDay;
    m.idle_after_ms = 3 * kDay;
    return m;
}

struct SendPoint {
    std::int64_t window_end;
    std::int64_t send_start;
    double num;
    double exposure;
    double sent;
};

// The points of the series under test (campaign spring at gmail.com); events of other
// campaigns only move event time on.
std::vector<SendPoint> drain(Aggregator& a) {
    std::vector<SendPoint> out;
    a.close_windows(
        [&](const Point& p) {
            if (*p.series_key == "spring\x1fgmail.com\x1f") {
                out.push_back({p.window_end_ms, p.send_start_ms, p.numerator, p.denominator, p.sent});
            }
        },
        [](const MetricConfig&, const std::string&, const Labels&, SeriesAttachment*) {});
    return out;
}

// A send of `n` messages in one burst at `at` (ids from `first`), each delivered a second later.
void send(Aggregator& a, std::int64_t at, int first, int n) {
    for (int i = 0; i < n; ++i) {
        a.add(EventBuilder().kind("email.processed").at(at + i).message(message(first + i)));
        a.add(EventBuilder().kind("email.delivered").at(at + 1000 + i).message(message(first + i)));
    }
}

TEST(AggregatorSendsTest, ALateComplaintCountsTowardsItsOwnSendNotTheLatest) {
    Aggregator a({by_send_metric()}, 2 * kMin);
    send(a, kT0, 0, 1000);                 // this morning's send
    send(a, kT0 + 5 * kHour, 1000, 1000);  // the afternoon's
    // A complaint about the morning's mail arrives in the afternoon.
    a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + 5 * kHour + kMin)
              .message(message(5)));
    a.add(EventBuilder().kind("email.delivered").at(kT0 + 5 * kHour + 20 * kMin).label("campaign", "x"));
    auto points = drain(a);
    ASSERT_FALSE(points.empty());
    const auto& last = points.back();
    // The series reports the send with the evidence: the morning's, with its exposure at five
    // hours old (about half of a send's complaints are usually in by then).
    EXPECT_EQ(last.send_start, kT0);
    EXPECT_EQ(last.num, 1);
    EXPECT_EQ(last.sent, 1000);
    EXPECT_GT(last.exposure, 400);
    EXPECT_LT(last.exposure, 900);
    EXPECT_EQ(a.sends().joined(), 2001U);  // every delivery and the complaint
}

TEST(AggregatorSendsTest, ASettledSendIsNoLongerJudged) {
    Aggregator a({by_send_metric()}, 2 * kMin);
    send(a, kT0, 0, 1000);
    a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + kHour)
              .message(message(5)));
    // Two days on, nearly all of its complaints are usually in: its verdict was given. (Time
    // passes as it does live, with other mail every half hour: a send is judged as of the
    // latest event time counted, so one event two days on would close every window as of then.)
    std::vector<SendPoint> points;
    for (std::int64_t t = kT0 + kHour; t <= kT0 + 2 * kDay; t += 30 * kMin) {
        a.add(EventBuilder().kind("email.delivered").at(t).label("campaign", "other"));
        for (const auto& p : drain(a)) {
            points.push_back(p);
        }
    }
    ASSERT_FALSE(points.empty());
    EXPECT_LT(points.back().window_end, kT0 + kDay + kHour);
}

TEST(AggregatorSendsTest, AYoungSendIsJudgedAgainstWhatHasUsuallyArrivedAtItsAge) {
    Aggregator a({by_send_metric()}, 2 * kMin);
    send(a, kT0, 0, 2000);
    for (int i = 0; i < 10; ++i) {  // ten complaints within minutes
        a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + 5 * kMin)
                  .message(message(i)));
    }
    a.add(EventBuilder().kind("email.delivered").at(kT0 + 17 * kMin).label("campaign", "other"));
    auto points = drain(a);
    ASSERT_FALSE(points.empty());
    const auto& last = points.back();
    EXPECT_EQ(last.num, 10);
    EXPECT_EQ(last.sent, 2000);
    // Seventeen minutes old as of its counts (the window ending at 15 minutes closes when the
    // watermark passes it, the allowed lateness later): the exposure is the share of a send's
    // complaints usually in by then (the prior's tenth, moved by the ten early complaints it has
    // just learned from), about half of what was sent.
    EXPECT_LT(last.exposure, 2000 * 0.55);
    EXPECT_GT(last.num / last.exposure, 10.0 / 2000 * 1.8);
}

TEST(AggregatorSendsTest, ASignalOfAnUnseenSendIsNotPutOnTheLatestOne) {
    Aggregator a({by_send_metric()}, 2 * kMin);
    send(a, kT0, 0, 100);
    a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + kMin)
              .message(message(999)));
    // A signal that names no message (a ticket that names the campaign) goes to the latest.
    a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + 2 * kMin));
    a.add(EventBuilder().kind("email.delivered").at(kT0 + 12 * kMin).label("campaign", "other"));
    auto points = drain(a);
    ASSERT_FALSE(points.empty());
    EXPECT_EQ(points.back().num, 1);
    EXPECT_EQ(a.stats(0).unattributed, 1U);
}

TEST(AggregatorSendsTest, BurstsAreSendsOfTheirOwnAndAQuietSeriesKeepsItsPlace) {
    Aggregator a({by_send_metric()}, 2 * kMin);
    send(a, kT0, 0, 100);
    send(a, kT0 + 5 * kMin, 100, 100);  // the next window: the same send
    send(a, kT0 + 5 * kHour, 200, 100);  // hours later: a send of its own
    a.add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + 5 * kHour + kMin)
              .message(message(3)));
    a.add(EventBuilder().kind("email.delivered").at(kT0 + 5 * kHour + 12 * kMin).label("campaign", "x"));
    auto points = drain(a);
    ASSERT_FALSE(points.empty());
    EXPECT_EQ(points.back().send_start, kT0);
    EXPECT_EQ(points.back().sent, 200);
    // Between the bursts the series reported its first send every window: nothing is forgotten.
    int between = 0;
    for (const auto& p : points) {
        between += p.window_end > kT0 + kHour && p.window_end < kT0 + 5 * kHour ? 1 : 0;
    }
    EXPECT_EQ(between, 4 * 12 - 1);
}

TEST(AggregatorSendsTest, SendsAndArrivalsSurviveACheckpoint) {
    Aggregator a({by_send_metric()}, 2 * kMin);
    send(a, kT0, 0, 500);
    a.add(EventBuilder().kind("email.delivered").at(kT0 + 20 * kMin).label("campaign", "x"));
    drain(a);
    Aggregator b({by_send_metric()}, 2 * kMin);
    EXPECT_TRUE(b.restore(a.save()).empty());
    for (auto* agg : {&a, &b}) {
        agg->add(EventBuilder().kind("email.complaint").side(Side::kCustomer).at(kT0 + 25 * kMin)
                     .message(message(4)));
        agg->add(EventBuilder().kind("email.delivered").at(kT0 + 40 * kMin).label("campaign", "x"));
    }
    auto pa = drain(a);
    auto pb = drain(b);
    ASSERT_EQ(pa.size(), pb.size());
    ASSERT_FALSE(pa.empty());
    EXPECT_EQ(pb.back().num, 1);
    EXPECT_EQ(pb.back().exposure, pa.back().exposure);
    EXPECT_EQ(b.sends().joined(), a.sends().joined());
}

// A campaign that sends every few days: quiet past its horizon, its series leaves memory, but
// what its detectors learned is parked (and saved with every checkpoint) and comes back with
// its next send. Past the parking budget it is paged out to the store and read back from there.
class QuietSeries : public ::testing::Test {
protected:
    struct Quiet final : detectors::EvaluationSink {
        void on_verdict(const Point&, detectors::SeriesEvaluation&, std::size_t,
                        detectors::Verdict&) override {}
    } sink;
    detectors::Registry registry;
    std::unique_ptr<detectors::Evaluator> ev;

    void SetUp() override {
        MetricConfig m = by_send_metric();
        m.horizon_ms = m.idle_after_ms = kDay;
        DetectorConfig d;
        d.type = d.name = "ewma";
        d.severity = "warning";
        d.aggregation = Aggregation::kRatio;
        d.params = nlohmann::json::object();
        m.detectors = {d};
        detectors::register_builtin_detectors(registry);
        ev = std::make_unique<detectors::Evaluator>(std::vector<MetricConfig>{m}, 2 * kMin,
                                                    registry, sink);
    }
    // What the parked or live spring series has learned (-1: nothing in memory).
    int windows_seen() const {
        for (const auto& row : ev->snapshots()) {
            if (row.series_key == "spring\x1fgmail.com\x1f") {
                return nlohmann::json::parse(row.state)["ewma"]["state"]["detector"][2];
            }
        }
        return -1;
    }
    void send_at(std::int64_t at, int first) {
        for (int i = 0; i < 200; ++i) {
            ev->add(EventBuilder().kind("email.delivered").at(at + i).message(message(first + i)));
        }
        ev->add(EventBuilder().kind("email.delivered").at(at + 30 * kMin).label("campaign", "x"));
    }
    // Spring sends, then another campaign keeps event time going for two days.
    void send_then_go_quiet() {
        send_at(kT0, 0);
        learned = windows_seen();
        for (std::int64_t t = kT0 + kHour; t < kT0 + 2 * kDay; t += 10 * kMin) {
            ev->add(EventBuilder().kind("email.delivered").at(t).label("campaign", "x"));
            if (t < kT0 + kDay / 2) {
                learned = windows_seen();
            }
        }
    }
    int learned = -1;
};

TEST_F(QuietSeries, IsParkedAndItsNextSendResumesWhatItLearned) {
    send_then_go_quiet();
    EXPECT_GT(learned, 100);  // judged for half a day of windows before going quiet
    EXPECT_EQ(ev->aggregator().series_count(0), 1U);  // only x is in memory
    EXPECT_EQ(ev->pending_snapshots(), 1U);
    EXPECT_GE(windows_seen(), learned);
    // Its next send picks up where it left.
    const int parked = windows_seen();
    send_at(kT0 + 2 * kDay + kHour, 1000);
    EXPECT_EQ(ev->aggregator().series_count(0), 2U);
    EXPECT_EQ(ev->pending_snapshots(), 0U);
    EXPECT_GT(windows_seen(), parked);
}

TEST_F(QuietSeries, PastTheMemoryBudgetIsPagedToTheStoreAndReadBack) {
    TempDir dir;
    SqliteStore store(dir.path() + "/terrain.db");
    ev->set_parking(&store, 0);  // no memory for parked state at all
    send_then_go_quiet();
    EXPECT_EQ(ev->pending_snapshots(), 0U);
    EXPECT_EQ(ev->parked_bytes(), 0U);
    EXPECT_EQ(ev->paged_out(), 1U);
    ASSERT_EQ(store.paged_count(), 1U);
    const auto paged = store.paged("complaint_rate", "spring\x1fgmail.com\x1f");
    ASSERT_TRUE(paged.has_value());
    const int parked = nlohmann::json::parse(paged->state)["ewma"]["state"]["detector"][2];
    EXPECT_GT(parked, 100);

    send_at(kT0 + 2 * kDay + kHour, 1000);
    EXPECT_EQ(ev->paged_in(), 1U);
    EXPECT_EQ(ev->aggregator().series_count(0), 2U);
    EXPECT_GT(windows_seen(), parked);  // resumed from the paged state, not from scratch
    // The paged copy stays until a checkpoint holds the series again (a crash before it
    // replays from the last checkpoint, which still needs it), then it goes.
    EXPECT_EQ(store.paged_count(), 1U);
    store.save_checkpoint(Store::Checkpoint{}, ev->snapshots());
    EXPECT_EQ(store.paged_count(), 0U);
}

}  // namespace
}  // namespace terrain::core
