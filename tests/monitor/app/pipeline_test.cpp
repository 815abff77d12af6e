#include <gtest/gtest.h>

#include "alerts/manager.h"
#include "monitor/app/pipeline.h"
#include "tests/support/builders.h"
#include "tests/support/capture_receiver.h"
#include "tests/support/temp_dir.h"

namespace terrain::app {
namespace {

using testing::EventBuilder;

constexpr std::int64_t kMin = 60'000;
constexpr std::int64_t kT0 = 1'750'000'000'000 / 300'000 * 300'000;

// A day of deliveries with a complaint burst at gmail.com in the afternoon, then recovery,
// delivered slightly out of order.
std::vector<monitor::Event> scenario() {
    std::vector<monitor::Event> out;
    for (int minute = 0; minute < 24 * 60; ++minute) {
        const std::int64_t t = kT0 + minute * kMin;
        for (int i = 0; i < 20; ++i) {
            out.push_back(EventBuilder().at(t + i * 1000 - (i % 3) * 30'000));
        }
        const bool burst = minute >= 600 && minute < 660;
        if (burst || minute % 30 == 0) {
            out.push_back(EventBuilder()
                              .kind("email.complaint")
                              .side(monitor::Side::kCustomer)
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
    monitor::Config config = monitor::parse_config(R"(
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
    monitor::FakeClock clock;
    monitor::Telemetry telemetry;
    monitor::Store store(dir.file("t.db"));
    std::vector<alerts::Notification> sent;
    alerts::Notifier notifier(testing::capture_routes(&sent), telemetry);
    alerts::AlertManager alerts(store, notifier, telemetry, clock);
    monitor::Intake intake(1'000'000, 1'000'000, telemetry);
    Pipeline pipeline(config, registry, alerts, intake, telemetry, clock);
    auto events = scenario();
    for (std::size_t i = 0; i < events.size(); i += batch) {
        std::vector<monitor::Event> chunk(
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

}  // namespace
}  // namespace terrain::app
