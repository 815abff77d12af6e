#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/aggregator.h"
#include "monitor/config.h"

namespace terrain::detectors {

// A detector's judgement of one point. `score` is in [0, 1): 0.5 exactly at the detector's
// threshold, above it anomalous; it keeps full resolution far into the tail (see score_of). `evaluated` is false while warming up or when the
// point carries too little volume to judge (2 complaints out of 40 deliveries); such points
// neither raise nor resolve an alert. `lower`/`upper` are the band of normal values (NaN for
// an open side), `expected` the centre of that band.
struct Verdict {
    bool evaluated = false;
    bool anomalous = false;
    double expected = 0;
    double lower = 0;
    double upper = 0;
    double score = 0;
    std::string reason;
};

// One detector instance watches one series. Called only from the pipeline thread, one point
// at a time in window order; keeps whatever state it needs (O(1) or O(season) per series).
class Detector {
public:
    virtual ~Detector() = default;
    virtual Verdict observe(const monitor::Point& point) = 0;
    // The learned state, for snapshots; restore() accepts what save() wrote for a detector of
    // the same type and parameters and throws std::exception on anything else.
    virtual nlohmann::json save() const = 0;
    virtual void restore(const nlohmann::json& state) = 0;
};

// Maps a test statistic (a z-score, a ratio to a limit) onto the anomaly score: 0 for
// statistic <= 0, exactly 0.5 at `threshold`, approaching 1 without saturating.
inline double score_of(double statistic, double threshold) {
    if (!(statistic > 0)) {
        return 0.0;  // also NaN
    }
    const double s = statistic / (statistic + threshold);
    return std::isfinite(s) && s < 1.0 ? s : std::nextafter(1.0, 0.0);
}

// Built once per configured detector from its validated parameters; creates one Detector per
// series. Thread-safe const.
class DetectorFactory {
public:
    virtual ~DetectorFactory() = default;
    virtual std::unique_ptr<Detector> create(const monitor::MetricConfig& metric) const = 0;
};

// The factory of a detector type built from its settings and the series' metric.
template <typename DetectorType, typename Settings>
class FactoryOf final : public DetectorFactory {
public:
    explicit FactoryOf(Settings settings) : settings_(std::move(settings)) {}
    std::unique_ptr<Detector> create(const monitor::MetricConfig& metric) const override {
        return std::make_unique<DetectorType>(settings_, metric);
    }

private:
    Settings settings_;
};

// Reads a detector's parameters, refusing unknown keys and out-of-range values with a
// ConfigError that names the key path.
class Params final {
public:
    Params(const nlohmann::json& params, std::string path, std::vector<std::string> allowed);
    double number(const std::string& key, double fallback, double lo, double hi) const;
    std::optional<double> optional_number(const std::string& key) const;
    // A duration such as "1d" or "1w", in milliseconds.
    std::int64_t duration(const std::string& key, std::int64_t fallback_ms) const;
    std::string choice(const std::string& key, const std::string& fallback,
                       const std::vector<std::string>& choices) const;
    [[noreturn]] void fail(const std::string& key, const std::string& why) const;

private:
    const nlohmann::json& params_;
    std::string path_;
};

// Maps a detector type name to a factory maker. Filled once at start-up by
// register_builtin_detectors; read-only afterwards.
class Registry final {
public:
    using Maker = std::function<std::unique_ptr<DetectorFactory>(const Params&)>;
    struct Entry {
        std::vector<std::string> keys;  // parameter names the detector accepts
        Maker make;
    };

    void add(const std::string& type, Entry entry);
    // Validates `config` (its own keys and the alert condition's, see condition.h) and builds
    // its factory, whose detectors apply the condition; throws monitor::ConfigError.
    std::unique_ptr<DetectorFactory> make(const monitor::DetectorConfig& config) const;
    std::vector<std::string> types() const;

private:
    std::map<std::string, Entry> entries_;
};

// The one list of built-in detectors. Adding a detector: one .h/.cpp pair, one line here.
void register_builtin_detectors(Registry& registry);

}  // namespace terrain::detectors
