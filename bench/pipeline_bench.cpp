// Per-event costs of terrain's ingest path, without HTTP:
//   build/terrain_bench
#include <benchmark/benchmark.h>

#include <malloc.h>

#include <cstdio>
#include <filesystem>
#include <limits>

#include "monitor/default_config.h"
#include "alerts/manager.h"
#include "bench/sendgrid_payload.h"
#include "core/sends.h"
#include "monitor/pipeline.h"
#include "webhooks/sources/sendgrid/adapter.h"

namespace terrain {
namespace {

constexpr std::int64_t kStart = 1'763'900'000;

webhooks::AdapterContext context(const core::SubjectHasher& hasher,
                                 const std::vector<std::string>& labels) {
    webhooks::AdapterContext ctx;
    ctx.hasher = &hasher;
    ctx.now_ms = (kStart + 86400) * 1000;
    ctx.labels = &labels;
    return ctx;
}

void BM_SendgridParse(benchmark::State& state) {
    bench::SendgridPayload payload(static_cast<std::size_t>(state.range(0)), kStart);
    core::SubjectHasher hasher(core::HashKey{1});
    auto labels = core::known_labels();
    auto ctx = context(hasher, labels);
    std::uint64_t counter = 0;
    const std::string body = payload.next(counter);
    webhooks::SendgridAdapter adapter;
    for (auto _ : state) {
        auto r = adapter.parse(body, ctx);
        benchmark::DoNotOptimize(r);
    }
    state.SetItemsProcessed(state.iterations() * state.range(0));
    state.SetBytesProcessed(state.iterations() * static_cast<std::int64_t>(body.size()));
}
BENCHMARK(BM_SendgridParse)->Arg(1)->Arg(1000);

// Intake (dedup + queue) and pipeline (aggregation, window closes, detectors) per event with
// the embedded default configuration, time advancing so windows keep closing.
void BM_PipelinePerEvent(benchmark::State& state) {
    const auto dir = std::filesystem::temp_directory_path() / "terrain-bench";
    std::filesystem::remove_all(dir);
    std::filesystem::create_directories(dir);
    core::Config config = monitor::default_config();
    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    core::FakeClock clock(std::numeric_limits<std::int64_t>::max() / 2);  // after every event
    core::Telemetry telemetry;
    core::SqliteStore store((dir / "t.db").string());
    alerts::Notifier notifier({}, telemetry);
    alerts::AlertManager alerts(store, notifier, telemetry, clock);
    core::Intake intake(1 << 30, config.pipeline.dedup_capacity, telemetry);
    monitor::Pipeline pipeline(config, registry, alerts, intake, telemetry, clock);
    core::SubjectHasher hasher(core::HashKey{1});
    auto labels = core::known_labels();
    webhooks::SendgridAdapter adapter;
    bench::SendgridPayload payload(1000, kStart);
    std::uint64_t counter = 0;
    std::int64_t t = kStart;
    std::vector<core::Intake::Batch> batches;
    constexpr int kBatches = 5;  // 5000 events per round: above the intake's linger threshold
    for (auto _ : state) {
        state.PauseTiming();
        std::vector<std::vector<core::Event>> parsed_batches;
        for (int b = 0; b < kBatches; ++b) {
            auto ctx = context(hasher, labels);
            ctx.now_ms = t * 1000 + 86'400'000;
            auto parsed = adapter.parse(payload.next(counter), ctx).value();
            for (auto& e : parsed.events) {
                e.time_ms += (t - kStart) * 1000;
            }
            t += 6;  // ten minutes of event time per 100 batches
            parsed_batches.push_back(std::move(parsed.events));
        }
        state.ResumeTiming();
        for (auto& events : parsed_batches) {
            intake.submit("sendgrid", std::move(events));
        }
        batches.clear();
        intake.take(batches, std::chrono::milliseconds(0));
        for (const auto& b : batches) {
            pipeline.process(b.events);
            intake.mark_done(b.events.size());
        }
    }
    state.SetItemsProcessed(state.iterations() * kBatches * 1000);
    notifier.stop();
}
BENCHMARK(BM_PipelinePerEvent);

// The send index behind ratios attributed to sends: with `range(0)` sends tracked, the cost of
// one send recorded (the oldest forgotten at the capacity) and one late signal joined, and the
// heap each tracked send takes (measured, not estimated).
void BM_SendIndex(benchmark::State& state) {
    const auto tracked = static_cast<std::size_t>(state.range(0));
    auto message = [](std::uint64_t n) {
        char buf[33];
        const std::uint64_t h = n * 0x9E3779B97F4A7C15ULL;
        std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h),
                      static_cast<unsigned long long>(n));
        return std::string(buf);
    };
    core::Event send;
    send.kind = "email.processed";
    send.labels = {{"campaign", "spring-sale"}, {"provider", "gmail.com"}};
    core::Event signal = send;
    signal.kind = "email.open";
    const std::size_t heap_before = mallinfo2().uordblks;
    core::SendIndex index(3 * 86'400'000LL, tracked);
    std::uint64_t n = 0;
    for (; n < tracked; ++n) {
        send.message = message(n);
        send.time_ms = static_cast<std::int64_t>(n);
        index.observe(send);
    }
    const double bytes = static_cast<double>(mallinfo2().uordblks - heap_before) /
                         static_cast<double>(tracked);
    std::vector<std::string> late;
    for (std::uint64_t i = 0; i < 4096; ++i) {
        late.push_back(message(n - 1 - i * (tracked / 4096)));
    }
    std::size_t i = 0;
    for (auto _ : state) {
        send.message = message(n);
        send.time_ms = static_cast<std::int64_t>(n++);
        benchmark::DoNotOptimize(index.observe(send));
        signal.message = late[i++ & 4095];
        signal.time_ms = send.time_ms;
        benchmark::DoNotOptimize(index.observe(signal));
    }
    state.SetItemsProcessed(state.iterations() * 2);
    state.counters["bytes_per_send"] = bytes;
}
BENCHMARK(BM_SendIndex)->Arg(100'000)->Arg(1'000'000);

}  // namespace
}  // namespace terrain

BENCHMARK_MAIN();
