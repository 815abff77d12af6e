// Humans in the loop, timed end to end over loopback HTTP against a local stand-in for Slack's
// Web API and a MAP's REST API (tests/support/chat_stand_in.h):
//   build/terrain_humans_bench
// - BM_FindingToChatMessage: an anomalous finding for a new series, through the alert manager
//   (stored in SQLite), the notifier and the Slack receiver (Block Kit, chat.postMessage), until
//   the stand-in has the message.
// - BM_TickWithOpenAlerts/N: the alert manager's once-a-second tick with N firing alerts, half
//   of them critical, under an inhibit rule (a critical alert holds warnings of its campaign)
//   and an override hold: each alert's holds are looked up in the stages' indexes, so the
//   tick grows linearly with N.
// - BM_ClickToMapCall: a click on "Pause campaign" by an allowed person, authorised, recorded
//   as a pending run with its idempotency key and audited, then sent by the overrides worker,
//   until the stand-in MAP has the request.
#include <benchmark/benchmark.h>
#include <stdlib.h>

#include <filesystem>

#include "alerts/manager.h"
#include "alerts/overrides.h"
#include "alerts/policy.h"
#include "core/clock.h"
#include "tests/support/chat_stand_in.h"
#include "alerts/action_executor.h"
#include "alerts/slack/receiver.h"

namespace terrain {
namespace {

core::Finding anomalous(int series) {
    core::Finding f;
    f.metric = "spam_complaint_rate";
    f.detector = "threshold";
    f.severity = "critical";
    f.labels = {{"campaign", "c" + std::to_string(series)}, {"provider", "gmail.com"}};
    f.window_start_ms = 0;
    f.window_end_ms = 300'000;
    f.evaluated = true;
    f.anomalous = true;
    f.observed = 0.005;
    f.expected = 0.003;
    f.numerator = 50;
    f.denominator = 10'000;
    f.reason = "0.50% is above the limit of 0.30%";
    return f;
}

// A data directory, the stand-in, a Slack receiver, and a pause action against the MAP.
struct Setup {
    std::string dir = [] {
        char tmpl[] = "/tmp/terrain-bench-XXXXXX";
        return std::string(::mkdtemp(tmpl));
    }();
    testing::ChatStandIn chat;
    core::SystemClock clock;
    core::Telemetry telemetry;
    core::SqliteStore store{dir + "/terrain.db"};
    core::Config config = [this] {
        ::setenv("BENCH_SLACK_TOKEN", "xoxb-bench", 1);
        ::setenv("BENCH_SLACK_SIGNING_SECRET", "bench-secret", 1);
        return core::parse_config(R"(
receivers:
  - name: slack
    type: slack
    url: )" + chat.base() + R"(/api
    channel: C0BENCH
    token: {env: BENCH_SLACK_TOKEN}
people:
  - name: Ana
    roles: [owner]
    inbox: local
actions:
  - name: pause_campaign
    label: Pause campaign
    roles: [owner]
    confirm: "Stops every send of {{labels.campaign}}."
    executor: http
    call:
      url: )" + chat.base() + R"(/map/campaigns/{{labels.campaign}}/pause
      body: '{"campaign": "{{labels.campaign}}"}'
interact:
  slack_signing_secret: {env: BENCH_SLACK_SIGNING_SECRET}
)", "bench");
    }();
    alerts::Policy policy{config.people, config.actions, config.interact};
    alerts::HttpExecutor executor{config.actions};

    ~Setup() { std::filesystem::remove_all(dir); }

    std::vector<alerts::Notifier::Route> slack_route() {
        std::vector<alerts::Notifier::Route> routes(1);
        routes[0].config = config.receivers[0];
        routes[0].receiver = std::make_unique<alerts::SlackReceiver>(config.receivers[0],
                                                                        policy, store);
        return routes;
    }
};

void BM_FindingToChatMessage(benchmark::State& state) {
    Setup s;
    alerts::Notifier notifier(s.slack_route(), s.telemetry, &s.store);
    alerts::AlertManager manager(s.store, notifier, s.telemetry, s.clock);
    int series = 0;
    for (auto _ : state) {
        manager.on_finding(anomalous(series++));
        if (!s.chat.wait_for("/api/chat.postMessage", static_cast<std::size_t>(series))) {
            state.SkipWithError("the stand-in did not get the message");
            break;
        }
    }
    notifier.stop();
}
BENCHMARK(BM_FindingToChatMessage)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_ClickToMapCall(benchmark::State& state) {
    Setup s;
    alerts::Notifier notifier({}, s.telemetry, &s.store);
    alerts::AlertManager manager(s.store, notifier, s.telemetry, s.clock);
    alerts::Overrides overrides(s.policy, manager, s.store, s.executor, s.telemetry, s.clock);
    overrides.start();
    int series = 0;
    for (auto _ : state) {
        state.PauseTiming();
        const core::Finding f = anomalous(series);
        manager.on_finding(f);
        const std::string id = alerts::fingerprint(f.metric, f.detector, f.labels);
        state.ResumeTiming();
        auto r = overrides.click({"inbox", "local", id, "pause_campaign", "", "", ""});
        const std::string path = "/map/campaigns/c" + std::to_string(series++) + "/pause";
        if (r.status != 200 || !s.chat.wait_for(path, 1)) {
            state.SkipWithError("the click did not reach the MAP");
            break;
        }
    }
    overrides.stop();
    notifier.stop();
}
BENCHMARK(BM_ClickToMapCall)->UseRealTime()->Unit(benchmark::kMillisecond);

void BM_TickWithOpenAlerts(benchmark::State& state) {
    const int n = static_cast<int>(state.range(0));
    char tmpl[] = "/tmp/terrain-bench-XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    {
        core::SystemClock clock;
        core::Telemetry telemetry;
        core::SqliteStore store(dir + "/terrain.db");
        alerts::Notifier notifier({}, telemetry, &store);
        alerts::HoldRules rules;
        rules.holds["pause_campaign"] = {"campaign"};
        core::InhibitRuleConfig inhibit;
        inhibit.source_match = {{"severity", "critical"}};
        inhibit.target_match = {{"severity", "warning"}};
        inhibit.equal = {"campaign"};
        rules.inhibit.push_back(inhibit);
        alerts::AlertManager manager(store, notifier, telemetry, clock, {}, std::move(rules));
        for (int i = 0; i < n; ++i) {
            core::Finding f = anomalous(i / 2);
            f.detector = i % 2 == 0 ? "threshold" : "ewma";
            f.severity = i % 2 == 0 ? "critical" : "warning";
            manager.on_finding(f);
        }
        for (auto _ : state) {
            manager.tick();
        }
        state.counters["alerts"] = n;
    }
    std::filesystem::remove_all(dir);
}
BENCHMARK(BM_TickWithOpenAlerts)->Arg(250)->Arg(1000)->Arg(4000)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace terrain

BENCHMARK_MAIN();
