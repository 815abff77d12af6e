#pragma once

#include <cmath>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "detectors/condition.h"
#include "detectors/verdict.h"
#include "core/aggregator.h"
#include "core/config.h"
#include "core/params.h"

namespace terrain::detectors {

// One detector instance watches one series. Called only from the pipeline thread, one point
// at a time in window order; keeps whatever state it needs (O(1) or O(season) per series).
//
// observe() judges the point (evaluate(), the detector's own part) and applies the alert
// condition, so `anomalous` in what it returns means "the series is firing". The condition
// lives in the detector object itself: one object per series, one indirection per point.
class Detector {
public:
    virtual ~Detector() = default;

    Verdict observe(const core::Point& point) {
        Verdict v = evaluate(point);
        if (v.evaluated && condition_.too_little(point)) {
            v.evaluated = v.anomalous = false;
            v.reason.clear();
        }
        if (v.evaluated) {
            condition_.apply(v, point.value);
        }
        return v;
    }
    // The learned state and the condition's, for snapshots; restore() accepts what save()
    // wrote for a detector of the same type and parameters and throws std::exception on
    // anything else.
    nlohmann::json save() const;
    void restore(const nlohmann::json& state);
    void set_condition(const ConditionConfig& c) { condition_ = Condition(c); }

protected:
    virtual Verdict evaluate(const core::Point& point) = 0;
    virtual nlohmann::json save_state() const = 0;
    virtual void restore_state(const nlohmann::json& state) = 0;

private:
    Condition condition_{ConditionConfig{}};
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
    virtual std::unique_ptr<Detector> create(const core::MetricConfig& metric) const = 0;
};

// The factory of a detector type built from its settings and the series' metric.
template <typename DetectorType, typename Settings>
class FactoryOf final : public DetectorFactory {
public:
    explicit FactoryOf(Settings settings) : settings_(std::move(settings)) {}
    std::unique_ptr<Detector> create(const core::MetricConfig& metric) const override {
        return std::make_unique<DetectorType>(settings_, metric);
    }

private:
    Settings settings_;
};

using core::Params;

// Maps a detector type name to a factory maker. Filled once at start-up by
// register_builtin_detectors; read-only afterwards.
class Registry final {
public:
    using Maker = std::function<std::unique_ptr<DetectorFactory>(const Params&)>;
    struct Entry {
        std::string help;                // one line: what it judges
        std::vector<core::KeyDoc> keys;  // the parameters the detector accepts
        Maker make;
        bool ratio_only = false;        // judges proportions: refused on count and sum metrics
        bool pair_only = false;         // needs a pair's MAP-side figure: refused on metrics
    };

    void add(const std::string& type, Entry entry);
    // Validates `config` (its own keys and the alert condition's, see condition.h) and builds
    // its factory, whose detectors apply the condition; throws core::ConfigError.
    std::unique_ptr<DetectorFactory> make(const core::DetectorConfig& config) const;

private:
    std::unique_ptr<DetectorFactory> make_unplaced(const core::DetectorConfig& config) const;

public:
    std::vector<std::string> types() const;
    const Entry* find(const std::string& type) const;

private:
    std::map<std::string, Entry> entries_;
};

// The one list of built-in detectors. Adding a detector: one .h/.cpp pair, one line here.
void register_builtin_detectors(Registry& registry);

}  // namespace terrain::detectors
