#include <algorithm>
#include <cmath>
#include <cstdio>

#include "detectors/detector.h"
#include "detectors/ewma.h"
#include "detectors/threshold.h"

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

void Registry::add(const std::string& type, Entry entry) { entries_[type] = std::move(entry); }

std::unique_ptr<DetectorFactory> Registry::make(const monitor::DetectorConfig& config) const {
    auto it = entries_.find(config.type);
    if (it == entries_.end()) {
        throw ConfigError(config.path + ".type: unknown detector '" + config.type + "'" +
                          monitor::suggest(config.type, types()));
    }
    Params params(config.params, config.path, it->second.keys);
    return it->second.make(params);
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
}

}  // namespace terrain::detectors
