#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/config.h"

namespace terrain::core {

// One key a kind (a detector, a source, a receiver) accepts in its configuration section: its
// name, the form of its value and what it does. The kinds' registries hold these; validation
// refuses any other key, and the configuration reference is generated from them.
struct KeyDoc {
    std::string name;
    std::string form;  // "duration", "secret", "URL", "number", "true/false", "list of ..."
    std::string help;
};

std::vector<std::string> key_names(const std::vector<KeyDoc>& keys);

// Reads a kind's own parameters (the keys the core's configuration leaves opaque), refusing
// unknown keys and bad values with a ConfigError that names the key path.
class Params final {
public:
    // `also`: the section's shared keys, read by the core, named in "did you mean" hints.
    Params(const nlohmann::json& params, std::string path, std::vector<std::string> allowed,
           const std::vector<std::string>& also = {});
    // Reads parameters a kind has already validated (no key check).
    Params(const nlohmann::json& params, std::string path);

    // The metric judged is a proportion (a ratio or a pair): limits are fractions in [0, 1].
    void set_ratio(bool ratio) { ratio_ = ratio; }
    bool ratio() const { return ratio_; }
    bool has(const std::string& key) const;
    double number(const std::string& key, double fallback, double lo, double hi) const;
    std::optional<double> optional_number(const std::string& key) const;
    // A duration such as "1d" or "1w", in milliseconds.
    std::int64_t duration(const std::string& key, std::int64_t fallback_ms) const;
    std::string choice(const std::string& key, const std::string& fallback,
                       const std::vector<std::string>& choices) const;
    std::string str(const std::string& key, const std::string& fallback) const;
    bool boolean(const std::string& key, bool fallback) const;
    // A string or a list of strings.
    std::vector<std::string> strings(const std::string& key) const;
    // An http:// or https:// URL, without trailing slashes.
    std::string url(const std::string& key, const std::string& fallback) const;
    // {env: VARIABLE} or {file: /path}; empty when absent.
    SecretRef secret(const std::string& key) const;
    // The secret's value (resolve_secret), or "" when absent.
    std::string resolved(const std::string& key) const;
    // Checks a key's value against the form its KeyDoc declares (secret, URL, duration,
    // true/false, list of ...); an absent key passes.
    void check(const KeyDoc& key) const;
    std::string child(const std::string& key) const { return path_ + "." + key; }
    const std::string& path() const { return path_; }
    [[noreturn]] void fail(const std::string& key, const std::string& why) const;

private:
    const nlohmann::json* find(const std::string& key) const;

    nlohmann::json params_;
    std::string path_;
    bool ratio_ = false;
};

}  // namespace terrain::core
