// Detector updates per second per core with many live series: a flat open-addressing table
// keyed by pre-hashed series ids, one detector (with its alert condition) per series, points
// arriving for uniformly random series. Run: build/terrain_detector_bench
#include <benchmark/benchmark.h>

#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <vector>

#include "detectors/detector.h"

namespace {

using terrain::detectors::Detector;

class SeriesTable {
public:
    explicit SeriesTable(std::size_t series) {
        std::size_t capacity = 1;
        while (capacity < series * 2) {
            capacity <<= 1;
        }
        mask_ = capacity - 1;
        keys_.assign(capacity, 0);
        detectors_.resize(capacity);
    }
    // The detector for a (non-zero) pre-hashed key, created on first sight.
    template <typename Make>
    Detector& at(std::uint64_t key, Make make) {
        std::size_t i = key & mask_;
        while (keys_[i] != key) {
            if (keys_[i] == 0) {
                keys_[i] = key;
                detectors_[i] = make();
                break;
            }
            i = (i + 1) & mask_;
        }
        return *detectors_[i];
    }

private:
    std::size_t mask_ = 0;
    std::vector<std::uint64_t> keys_;
    std::vector<std::unique_ptr<Detector>> detectors_;
};

// The series table of one benchmark, built and warmed once (Google Benchmark calls the
// function several times while it calibrates the iteration count).
struct Fixture {
    std::unique_ptr<terrain::detectors::DetectorFactory> factory;
    terrain::core::MetricConfig metric;
    std::vector<std::uint64_t> keys;
    std::vector<double> values;
    std::unique_ptr<SeriesTable> table;
    terrain::core::Point p;
};

Fixture& fixture(const std::string& type, const nlohmann::json& params, bool ratio,
                 std::size_t series) {
    static std::map<std::pair<std::string, std::size_t>, std::unique_ptr<Fixture>> cache;
    auto& slot = cache[{type, series}];
    if (slot) {
        return *slot;
    }
    slot = std::make_unique<Fixture>();
    auto& f = *slot;
    terrain::detectors::Registry registry;
    terrain::detectors::register_builtin_detectors(registry);
    terrain::core::DetectorConfig config;
    config.type = config.name = type;
    config.path = "bench";
    config.params = params;
    config.aggregation = ratio ? terrain::core::Aggregation::kRatio
                               : terrain::core::Aggregation::kCount;
    f.factory = registry.make(config);
    auto& metric = f.metric;
    metric.name = "bench";
    metric.aggregation = ratio ? terrain::core::Aggregation::kRatio
                               : terrain::core::Aggregation::kCount;
    metric.window_ms = 300'000;

    // Pre-hashed keys and values, generated up front.
    std::mt19937_64 rng(42);
    std::vector<std::uint64_t> ids(series);
    for (auto& id : ids) {
        id = rng() | 1;
    }
    constexpr std::size_t kPoints = 1 << 20;
    auto& keys = f.keys;
    auto& values = f.values;
    keys.resize(kPoints);
    values.resize(kPoints);
    std::uniform_int_distribution<std::size_t> pick(0, series - 1);
    std::poisson_distribution<int> count(1000);
    for (std::size_t i = 0; i < kPoints; ++i) {
        keys[i] = ids[pick(rng)];
        values[i] = ratio ? count(rng) / 500000.0 : count(rng);
    }
    f.table = std::make_unique<SeriesTable>(series);
    auto make = [&] { return f.factory->create(metric); };
    // Every series past its warm-up before timing.
    auto& p = f.p;
    p.metric = &metric;
    p.denominator = ratio ? 500000 : 0;
    for (int round = 0; round < 30; ++round) {
        for (auto id : ids) {
            p.value = values[(id + static_cast<std::uint64_t>(round)) % kPoints];
            p.numerator = ratio ? p.value * p.denominator : p.value;
            f.table->at(id, make).observe(p);
        }
        p.window_start_ms += 300'000;
    }
    return f;
}

void run(benchmark::State& state, const std::string& type, const nlohmann::json& params,
         bool ratio) {
    auto& f = fixture(type, params, ratio, static_cast<std::size_t>(state.range(0)));
    auto make = [&] { return f.factory->create(f.metric); };
    auto& p = f.p;
    auto& table = *f.table;
    const auto& keys = f.keys;
    const auto& values = f.values;
    constexpr std::size_t kPoints = 1 << 20;
    std::size_t i = 0;
    for (auto _ : state) {
        p.value = values[i];
        p.numerator = ratio ? p.value * p.denominator : p.value;
        auto v = table.at(keys[i], make).observe(p);
        benchmark::DoNotOptimize(v.score);
        i = (i + 1) & (kPoints - 1);
    }
    state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
}

}  // namespace

BENCHMARK_CAPTURE(run, threshold, std::string("threshold"), nlohmann::json{{"above", 2000}}, false)
    ->Arg(100'000);
BENCHMARK_CAPTURE(run, ewma, std::string("ewma"), nlohmann::json::object(), false)
    ->Arg(1'000)
    ->Arg(100'000);
BENCHMARK_CAPTURE(run, cusum, std::string("cusum"), nlohmann::json::object(), false)->Arg(100'000);
BENCHMARK_CAPTURE(run, rate, std::string("rate"), nlohmann::json::object(), true)->Arg(100'000);
BENCHMARK_CAPTURE(run, seasonal, std::string("seasonal"), nlohmann::json{{"min_cycles", 1}}, false)
    ->Arg(100'000);
BENCHMARK_CAPTURE(run, volume, std::string("volume"), nlohmann::json{{"min_cycles", 1}}, false)
    ->Arg(100'000);
BENCHMARK_CAPTURE(run, spot, std::string("spot"), nlohmann::json{{"init", 20}, {"quantile", 0.9}}, false)
    ->Arg(100'000);
// O(history): fewer series (3000 values each) and a shorter history.
BENCHMARK_CAPTURE(run, knn, std::string("knn"), nlohmann::json{{"history", 500}}, false)
    ->Arg(1'000);

BENCHMARK_MAIN();
