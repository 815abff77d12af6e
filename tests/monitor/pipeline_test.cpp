#include <gtest/gtest.h>

#include <sstream>

#include "alerts/manager.h"
#include "monitor/pipeline.h"
#include "tests/support/builders.h"
#include "tests/support/capture_receiver.h"
#include "tests/support/temp_dir.h"

namespace terrain::monitor {
namespace {

using testing::EventBuilder;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kT0 = 1'750'000'000'000 / 300'000 * 300'000;

// A day of deliveries with a complaint burst at gmail.com in the afternoon, then recovery,
// delivered slightly out of order.
std::vector<core::Event> scenario() {
    std::vector<core::Event> out;
    for (int minute = 0; minute < 24 * 60; ++minute) {
        const std::int64_t t = kT0 + minute * kMin;
        for (int i = 0; i < 20; ++i) {
            out.push_back(EventBuilder().at(t + i * 1000 - (i % 3) * 30'000));
        }
        const bool burst = minute >= 600 && minute < 660;
        if (burst || minute % 30 == 0) {
            out.push_back(EventBuilder()
                              .kind("email.complaint")
                              .side(core::Side::kCustomer)
                              .at(t + 500));
        }
    }
    return out;
}

struct Replay {
    std::vector<std::string> ids;
    std::vector<std::string> transitions;
};

Replay run(std::size_t batch) {
    testing::TempDir dir;
    core::Config config = core::parse_config(R"(
metrics:
  - name: spam_complaint_rate
    aggregate: ratio
    numerator: {kind: email.complaint}
    denominator: {kind: email.delivered}
    group_by: [campaign, provider]
    window: 5m
    span: 1h
    detectors:
      - type: threshold
        above: 0.003
        min_denominator: 1000
)",
                                                   "test");
    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    core::FakeClock clock(kT0 + 60LL * 24 * 3'600'000);  // after every event
    core::Telemetry telemetry;
    core::SqliteStore store(dir.file("t.db"));
    std::vector<alerts::Notification> sent;
    alerts::Notifier notifier(testing::capture_routes(&sent), telemetry);
    alerts::AlertManager alerts(store, notifier, telemetry, clock);
    core::Intake intake(1'000'000, 1'000'000, telemetry);
    Pipeline pipeline(config, registry, alerts, intake, telemetry, clock);
    auto events = scenario();
    for (std::size_t i = 0; i < events.size(); i += batch) {
        std::vector<core::Event> chunk(
            events.begin() + static_cast<long>(i),
            events.begin() + static_cast<long>(std::min(events.size(), i + batch)));
        pipeline.process(chunk);
    }
    notifier.stop();
    Replay r;
    for (const auto& n : sent) {
        r.ids.push_back(n.alert.id);
        r.transitions.push_back(n.transition);
    }
    return r;
}

TEST(PipelineTest, ReplayGivesTheSameAlertsWhateverTheBatching) {
    Replay live = run(1);
    Replay replay = run(50'000);
    Replay odd = run(777);
    ASSERT_EQ(live.transitions, (std::vector<std::string>{"firing", "resolved"}));
    EXPECT_EQ(live.ids, replay.ids);
    EXPECT_EQ(live.ids, odd.ids);
}

// Series gauges are exported up to pipeline.export_series; the rest are counted, and a series
// that goes idle gives its place back.
TEST(PipelineExportTest, ExportsSeriesUpToTheLimit) {
    testing::TempDir dir;
    core::Config config = core::parse_config(R"(
pipeline: {export_series: 2, allowed_lateness: 1s}
metrics:
  - name: delivered
    filter: {kind: email.delivered}
    group_by: [campaign]
    window: 5m
    idle_after: 10m
    detectors:
      - type: ewma
        warmup: 1
)",
                                                   "test");
    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    core::FakeClock clock(kT0 + 60LL * 24 * 3'600'000);  // after every event
    core::Telemetry telemetry;
    core::SqliteStore store(dir.file("t.db"));
    std::vector<alerts::Notification> sent;
    alerts::Notifier notifier(testing::capture_routes(&sent), telemetry);
    alerts::AlertManager alerts(store, notifier, telemetry, clock);
    core::Intake intake(1000, 1000, telemetry);
    Pipeline pipeline(config, registry, alerts, intake, telemetry, clock);
    std::vector<core::Event> events;
    for (const char* campaign : {"a", "b", "c"}) {
        for (int i = 0; i < 7; ++i) {
            events.push_back(EventBuilder().label("campaign", campaign).at(kT0 + i * 1000));
        }
    }
    events.push_back(EventBuilder().label("campaign", "a").at(kT0 + 5 * kMin + 1000));  // closes window 1
    pipeline.process(events);
    auto text = telemetry.serialize();
    auto exported_values = [&] {
        std::vector<std::string> lines;
        std::istringstream in(text);
        for (std::string line; std::getline(in, line);) {
            if (line.rfind("terrain_series_value{", 0) == 0) {
                lines.push_back(line);
            }
        }
        return lines;
    };
    auto values = exported_values();
    ASSERT_EQ(values.size(), 2U) << text;
    for (const auto& line : values) {
        EXPECT_EQ(line.substr(line.size() - 2), " 7") << line;
    }
    EXPECT_NE(text.find("terrain_series_exported 2"), std::string::npos);
    EXPECT_NE(text.find("terrain_series_export_limit 2"), std::string::npos);
    EXPECT_NE(text.find("terrain_series_export_refused_total 1"), std::string::npos);
    EXPECT_NE(text.find(R"(terrain_series_expected_value{campaign=)"), std::string::npos);
    // b and c go quiet past idle_after while a keeps sending: their gauges are removed and a
    // (exported already, or now that a place is free) is the one series exported.
    std::vector<core::Event> later;
    for (int m = 5; m <= 30; m += 5) {
        later.push_back(EventBuilder().label("campaign", "a").at(kT0 + m * kMin));
    }
    pipeline.process(later);
    text = telemetry.serialize();
    values = exported_values();
    ASSERT_EQ(values.size(), 1U) << text;
    EXPECT_EQ(values[0].find(R"(terrain_series_value{campaign="a",metric="delivered"})"), 0U);
    EXPECT_NE(text.find("terrain_series_exported 1"), std::string::npos);
    EXPECT_NE(text.find("terrain_series_export_refused_total 1"), std::string::npos);
}

}  // namespace
}  // namespace terrain::monitor

namespace terrain::monitor {
namespace {

// Deliveries with a daily shape (busy 09:00-17:00) for days [first, last); `spike_day` gets
// ten times the traffic in its 13:00 window.
std::vector<core::Event> daily_traffic(int first, int last, int spike_day) {
    std::vector<core::Event> out;
    for (int day = first; day < last; ++day) {
        for (int w = 0; w < 288; ++w) {
            const int hour = w / 12;
            int n = hour >= 9 && hour < 17 ? 100 : 20;
            if (day == spike_day && w == 13 * 12) {
                n *= 10;
            }
            const std::int64_t t = kT0 + (day * 288LL + w) * 5 * kMin;
            for (int i = 0; i < n; ++i) {
                out.push_back(EventBuilder().at(t + i * 100));
            }
        }
    }
    return out;
}

// Runs one pipeline over `events` with the store at `db`, and returns the alerts it sent.
std::vector<std::string> run_days(const std::string& db, const std::vector<core::Event>& events) {
    static const core::Config config = core::parse_config(R"(
pipeline: {allowed_lateness: 1s}
metrics:
  - name: delivered
    filter: {kind: email.delivered}
    group_by: [campaign]
    window: 5m
    idle_after: 1d
    detectors:
      - type: seasonal
        period: 1d
        cycles: 2
)",
                                                                "test");
    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    core::FakeClock clock(kT0 + 60LL * 24 * 3'600'000);  // after every event
    core::Telemetry telemetry;
    core::SqliteStore store(db);
    std::vector<alerts::Notification> sent;
    alerts::Notifier notifier(testing::capture_routes(&sent), telemetry);
    alerts::AlertManager alerts(store, notifier, telemetry, clock);
    core::Intake intake(1000, 1000, telemetry);
    {
        Pipeline pipeline(config, registry, alerts, intake, telemetry, clock, nullptr, &store);
        pipeline.process(events);
        pipeline.checkpoint();
    }
    notifier.stop();
    std::vector<std::string> out;
    for (const auto& n : sent) {
        out.push_back(n.transition + " " + n.alert.reason);
    }
    return out;
}

TEST(PipelineSnapshotTest, ARestartKeepsTheLearnedDailyBaseline) {
    testing::TempDir dir;
    // Two days learned, then a restart; the third day's 13:00 spike is caught at once.
    EXPECT_TRUE(run_days(dir.file("t.db"), daily_traffic(0, 2, -1)).empty());
    ASSERT_EQ(core::SqliteStore(dir.file("t.db")).load_snapshots().size(), 1U);
    auto after_restart = run_days(dir.file("t.db"), daily_traffic(2, 3, 2));
    ASSERT_FALSE(after_restart.empty());
    EXPECT_EQ(after_restart.front().rfind("firing 1000 is above the usual 100", 0), 0U)
        << after_restart.front();
    // Without the snapshot the same day teaches the baseline from scratch: no judgement yet.
    testing::TempDir fresh;
    EXPECT_TRUE(run_days(fresh.file("t.db"), daily_traffic(2, 3, 2)).empty());
}

}  // namespace
}  // namespace terrain::monitor
