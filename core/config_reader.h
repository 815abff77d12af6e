#pragma once

// Reading the YAML configuration: the section walker and the parsers of each part, shared by
// core/config*.cpp. Not for use outside configuration parsing.

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

#include "core/config.h"
#include "core/duration.h"

namespace terrain::core::config_reading {

std::string where(const YAML::Node& node);

// Walks one YAML mapping, remembering the key path for messages and refusing unknown keys.
class Section final {
public:
    Section(YAML::Node node, std::string path, std::vector<std::string> allowed)
        : node_(std::move(node)), path_(std::move(path)), allowed_(std::move(allowed)) {
        if (node_ && !node_.IsNull() && !node_.IsMap()) {
            fail("", "must be a mapping of keys to values");
        }
        if (node_.IsMap()) {
            for (const auto& kv : node_) {
                auto key = kv.first.as<std::string>();
                if (std::find(allowed_.begin(), allowed_.end(), key) == allowed_.end()) {
                    throw ConfigError(child(key) + ": unknown key" + suggest(key, allowed_) +
                                      where(kv.first));
                }
            }
        }
    }

    std::string child(std::string_view key) const {
        return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
    }
    [[noreturn]] void fail(std::string_view key, const std::string& why) const {
        std::string p = key.empty() ? path_ : child(key);
        throw ConfigError(p + ": " + why + where(key.empty() ? node_ : get(key)));
    }
    YAML::Node get(std::string_view key) const {
        const YAML::Node& n = node_;  // const lookup never creates nodes
        if (!n.IsMap()) {
            return YAML::Node();
        }
        YAML::Node v = n[std::string(key)];
        return v.IsDefined() ? v : YAML::Node();  // a missing key reads as null, not invalid
    }
    bool has(std::string_view key) const {
        auto n = get(key);
        return n && !n.IsNull();
    }

    std::string str(std::string_view key, std::string fallback) const {
        auto n = get(key);
        if (!n || n.IsNull()) {
            return fallback;
        }
        if (!n.IsScalar()) {
            fail(key, "must be a string");
        }
        return n.as<std::string>();
    }
    bool boolean(std::string_view key, bool fallback) const {
        auto n = get(key);
        if (!n || n.IsNull()) {
            return fallback;
        }
        const auto text = n.IsScalar() ? n.as<std::string>() : std::string();
        if (text != "true" && text != "false") {
            fail(key, "must be true or false");
        }
        return text == "true";
    }
    std::string required_str(std::string_view key) const {
        if (!has(key)) {
            fail("", "missing required key '" + std::string(key) + "'");
        }
        return str(key, "");
    }
    std::int64_t duration(std::string_view key, std::int64_t fallback) const {
        auto n = get(key);
        if (!n || n.IsNull()) {
            return fallback;
        }
        auto text = n.IsScalar() ? n.as<std::string>() : std::string("<not a scalar>");
        auto ms = parse_duration_ms(text);
        if (!ms || *ms <= 0) {
            fail(key, "'" + text + "' is not a duration (use e.g. 30s, 5m, 1h, 1d)");
        }
        return *ms;
    }
    std::int64_t integer(std::string_view key, std::int64_t fallback, std::int64_t lo,
                         std::int64_t hi) const {
        auto n = get(key);
        if (!n || n.IsNull()) {
            return fallback;
        }
        std::int64_t v = 0;
        try {
            v = n.as<std::int64_t>();
        } catch (const YAML::Exception&) {
            fail(key, "'" + (n.IsScalar() ? n.as<std::string>() : std::string("?")) +
                          "' is not an integer");
        }
        if (v < lo || v > hi) {
            fail(key, std::to_string(v) + " is out of range [" + std::to_string(lo) + ", " +
                          std::to_string(hi) + "]");
        }
        return v;
    }
    // A mapping of names to scalar values, in the order written.
    std::vector<std::pair<std::string, std::string>> pairs(std::string_view key) const {
        auto n = get(key);
        std::vector<std::pair<std::string, std::string>> out;
        if (!n || n.IsNull()) {
            return out;
        }
        if (!n.IsMap()) {
            fail(key, "must be a mapping of names to values");
        }
        for (const auto& kv : n) {
            if (!kv.second.IsScalar()) {
                fail(key, "'" + kv.first.as<std::string>() + "' must have a single value");
            }
            out.emplace_back(kv.first.as<std::string>(), kv.second.as<std::string>());
        }
        return out;
    }
    std::vector<std::string> strings(std::string_view key) const {
        auto n = get(key);
        std::vector<std::string> out;
        if (!n || n.IsNull()) {
            return out;
        }
        if (n.IsScalar()) {
            out.push_back(n.as<std::string>());
            return out;
        }
        if (!n.IsSequence()) {
            fail(key, "must be a string or a list of strings");
        }
        for (const auto& item : n) {
            if (!item.IsScalar()) {
                fail(key, "must be a list of strings");
            }
            out.push_back(item.as<std::string>());
        }
        return out;
    }
    const std::string& path() const { return path_; }
    const YAML::Node& node() const { return node_; }

private:
    YAML::Node node_;
    std::string path_;
    std::vector<std::string> allowed_;
};

nlohmann::json to_json(const YAML::Node& n);

// A section whose shared keys the core reads and whose other keys belong to a kind (a source's
// vendor, a receiver's platform): those are returned as `params`, for the kind to validate.
Section open_section(const YAML::Node& node, const std::string& path,
                     std::vector<std::string> shared, nlohmann::json& params);

void check_label(const std::string& label, const std::vector<std::string>& labels,
                 const std::string& path);

// The section's `name`, which must be lower_snake_case (it becomes a Prometheus label value
// and part of alert fingerprints).
std::string snake_case_name(const Section& s);

SecretRef parse_secret(const Section& parent, std::string_view key);

void check_url(const Section& s, std::string_view key, const std::string& url);

// What matchers may name: the declared labels, severity, team, metric and detector.
std::vector<std::string> matcher_keys(const std::vector<std::string>& labels);

// Matchers on labels, severity, team, metric and detector (receivers, quiet windows, on-duty
// shifts, inhibit rules), each checked by Matcher::error.
Labels parse_matchers(const Section& s,
                      std::string_view key,
                      const std::vector<std::string>& labels);

// "HH:MM" as minutes after midnight; "24:00" is the end of the day.
int parse_clock(const Section& s, std::string_view key, int fallback);

// The keys of a weekly window, and `also` those of what holds one (an on-duty shift's people).
std::vector<std::string> weekly_window_keys(std::vector<std::string> also = {});

WeeklyWindowConfig parse_weekly_window(const YAML::Node& node,
                                       const std::string& path,
                                       const std::vector<std::string>& labels,
                                       const std::vector<std::string>& also = {});

MetricConfig parse_metric(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& labels);

// A pair: a MAP-side metric set against a customer-side one on shared labels. It becomes a
// ratio metric of its own (customer signals per unit of the MAP's exposure, over the span)
// that also carries what the MAP claims, watched by the `disagreement` detector by default.
MetricConfig parse_pair(const YAML::Node& node, const std::string& path,
                        const std::vector<MetricConfig>& metrics,
                        const std::vector<std::string>& labels);

ReceiverConfig parse_receiver(const YAML::Node& node, const std::string& path,
                              const std::vector<std::string>& labels);

InhibitRuleConfig parse_inhibit_rule(const YAML::Node& node, const std::string& path,
                                     const std::vector<std::string>& labels);

PersonConfig parse_person(const YAML::Node& node, const std::string& path);

ActionConfig parse_action(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& labels);

}  // namespace terrain::core::config_reading
