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
#include "monitor/duration.h"

namespace terrain::detectors {

using monitor::ConfigError;

namespace {
std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}
}  // namespace

Params::Params(const nlohmann::json& params, std::string path, std::vector<std::string> allowed)
    : params_(params), path_(std::move(path)) {
    for (const auto& [key, value] : params_.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            allowed.insert(allowed.end(), {"type", "name", "severity"});
            throw ConfigError(path_ + "." + key + ": unknown key" +
                              monitor::suggest(key, allowed));
        }
    }
}

std::optional<double> Params::optional_number(const std::string& key) const {
    auto it = params_.find(key);
    if (it == params_.end() || it->is_null()) {
        return std::nullopt;
    }
    if (!it->is_number()) {
        throw ConfigError(path_ + "." + key + ": '" +
                          (it->is_string() ? it->get<std::string>() : it->dump()) +
                          "' is not a number");
    }
    return it->get<double>();
}

std::int64_t Params::duration(const std::string& key, std::int64_t fallback_ms) const {
    auto it = params_.find(key);
    if (it == params_.end() || it->is_null()) {
        return fallback_ms;
    }
    const std::string text = it->is_string() ? it->get<std::string>() : it->dump();
    auto ms = monitor::parse_duration_ms(text);
    if (!ms || *ms <= 0) {
        throw ConfigError(path_ + "." + key + ": '" + text +
                          "' is not a duration (e.g. 30m, 1h, 1d, 1w)");
    }
    return *ms;
}

double Params::number(const std::string& key, double fallback, double lo, double hi) const {
    double v = optional_number(key).value_or(fallback);
    if (!(v >= lo && v <= hi)) {
        throw ConfigError(path_ + "." + key + ": " + num(v) + " is out of range [" + num(lo) +
                          ", " + num(hi) + "]");
    }
    return v;
}

std::string Params::choice(const std::string& key, const std::string& fallback,
                           const std::vector<std::string>& choices) const {
    auto it = params_.find(key);
    if (it == params_.end() || it->is_null()) {
        return fallback;
    }
    std::string v = it->is_string() ? it->get<std::string>() : it->dump();
    if (std::find(choices.begin(), choices.end(), v) == choices.end()) {
        std::string list;
        for (const auto& c : choices) {
            list += (list.empty() ? "" : ", ") + c;
        }
        throw ConfigError(path_ + "." + key + ": '" + v + "' is not one of " + list +
                          monitor::suggest(v, choices));
    }
    return v;
}

void Params::fail(const std::string& key, const std::string& why) const {
    throw ConfigError(path_ + (key.empty() ? "" : "." + key) + ": " + why);
}

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
    std::unique_ptr<Detector> create(const monitor::MetricConfig& metric) const override {
        auto d = inner_->create(metric);
        d->set_condition(condition_);
        return d;
    }

private:
    std::unique_ptr<DetectorFactory> inner_;
    ConditionConfig condition_;
};

}  // namespace

std::unique_ptr<DetectorFactory> Registry::make(const monitor::DetectorConfig& config) const {
    auto it = entries_.find(config.type);
    if (it == entries_.end()) {
        throw ConfigError(config.path + ".type: unknown detector '" + config.type + "'" +
                          monitor::suggest(config.type, types()));
    }
    if (it->second.ratio_only && config.aggregation != monitor::Aggregation::kRatio) {
        throw ConfigError(config.path + ".type: '" + config.type +
                          "' judges proportions and needs a ratio metric (aggregate: ratio)");
    }
    if (it->second.pair_only && !config.pair) {
        throw ConfigError(config.path + ".type: '" + config.type +
                          "' watches pairs; declare it under `pairs`, not on a metric");
    }
    auto keys = it->second.keys;
    keys.insert(keys.end(),
                {"direction", "fire_after", "of_last", "recover_after", "hold", "min_volume"});
    Params params(config.params, config.path, keys);
    return std::make_unique<ConditionedFactory>(it->second.make(params), parse_condition(params));
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
