#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detectors/detector.h"
#include "detectors/condition.h"
#include "detectors/cusum.h"
#include "detectors/disagreement.h"
#include "detectors/knn.h"
#include "detectors/rate.h"
#include "detectors/seasonal.h"
#include "detectors/spot.h"
#include "detectors/ewma.h"
#include "detectors/threshold.h"
#include "core/duration.h"

namespace terrain::detectors {

using core::ConfigError;

nlohmann::json Detector::save() const {
    const auto c = condition_.state();
    return {{"detector", save_state()},
            {"condition", {c.recent, c.firing, c.since_fire, c.normal_run}}};
}

void Detector::restore(const nlohmann::json& state) {
    const auto& c = state.at("condition");
    const Condition::State cs{c.at(0).get<std::uint64_t>(), c.at(1).get<bool>(),
                              c.at(2).get<int>(), c.at(3).get<int>()};
    restore_state(state.at("detector"));
    condition_.restore(cs);
}

void Registry::add(const std::string& type, Entry entry) { entries_[type] = std::move(entry); }

namespace {

class ConditionedFactory final : public DetectorFactory {
public:
    ConditionedFactory(std::unique_ptr<DetectorFactory> inner, const ConditionConfig& c)
        : inner_(std::move(inner)), condition_(c) {}
    std::unique_ptr<Detector> create(const core::MetricConfig& metric) const override {
        auto d = inner_->create(metric);
        d->set_condition(condition_);
        return d;
    }

private:
    std::unique_ptr<DetectorFactory> inner_;
    ConditionConfig condition_;
};

}  // namespace

std::unique_ptr<DetectorFactory> Registry::make(const core::DetectorConfig& config) const {
    try {
        return make_unplaced(config);
    } catch (const ConfigError& e) {
        // Where in the file, and which metric: "metrics[3].detectors[0]" alone names neither.
        const std::string message = e.what();
        throw ConfigError(message.find(" (line ") == std::string::npos ? message + config.where
                                                                        : message);
    }
}

std::unique_ptr<DetectorFactory> Registry::make_unplaced(const core::DetectorConfig& config) const {
    auto it = entries_.find(config.type);
    if (it == entries_.end()) {
        throw ConfigError(config.path + ".type: unknown detector '" + config.type + "'" +
                          core::suggest(config.type, types()));
    }
    if (it->second.ratio_only && config.aggregation != core::Aggregation::kRatio) {
        throw ConfigError(config.path + ".type: '" + config.type +
                          "' judges proportions and needs a ratio metric (aggregate: ratio)");
    }
    if (it->second.pair_only && !config.pair) {
        throw ConfigError(config.path + ".type: '" + config.type +
                          "' watches pairs; declare it under `pairs`, not on a metric");
    }
    auto keys = core::key_names(it->second.keys);
    for (const auto& key : condition_keys()) {
        keys.push_back(key.name);
    }
    Params params(config.params, config.path, keys, {"type", "name", "severity"});
    params.set_ratio(config.aggregation == core::Aggregation::kRatio || config.pair);
    return std::make_unique<ConditionedFactory>(it->second.make(params), parse_condition(params));
}

const Registry::Entry* Registry::find(const std::string& type) const {
    auto it = entries_.find(type);
    return it == entries_.end() ? nullptr : &it->second;
}

std::vector<std::string> Registry::types() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : entries_) {
        out.push_back(name);
    }
    return out;
}

void register_builtin_detectors(Registry& registry) {
    register_threshold(registry);
    register_ewma(registry);
    register_knn(registry);
    register_seasonal(registry);
    register_volume(registry);
    register_cusum(registry);
    register_rate(registry);
    register_spot(registry);
    register_disagreement(registry);
}

}  // namespace terrain::detectors
