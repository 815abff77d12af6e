#pragma once

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "monitor/aggregator.h"
#include "monitor/config.h"

namespace terrain::detectors {

// A detector's judgement of one point. `evaluated` is false while warming up or when the
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
};

// Built once per configured detector from its validated parameters; creates one Detector per
// series. Thread-safe const.
class DetectorFactory {
public:
    virtual ~DetectorFactory() = default;
    virtual std::unique_ptr<Detector> create(const monitor::MetricConfig& metric) const = 0;
};

// Reads a detector's parameters, refusing unknown keys and out-of-range values with a
// ConfigError that names the key path.
class Params final {
public:
    Params(const nlohmann::json& params, std::string path, std::vector<std::string> allowed);
    double number(const std::string& key, double fallback, double lo, double hi) const;
    std::optional<double> optional_number(const std::string& key) const;
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
    // Validates `config` and builds its factory; throws monitor::ConfigError.
    std::unique_ptr<DetectorFactory> make(const monitor::DetectorConfig& config) const;
    std::vector<std::string> types() const;

private:
    std::map<std::string, Entry> entries_;
};

// The one list of built-in detectors. Adding a detector: one .h/.cpp pair, one line here.
void register_builtin_detectors(Registry& registry);

}  // namespace terrain::detectors
