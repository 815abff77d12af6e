#include "core/params.h"

#include <algorithm>
#include <cstdio>

#include "core/duration.h"

namespace terrain::core {

namespace {

std::string num(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

std::string text_of(const nlohmann::json& v) {
    return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::vector<std::string> key_names(const std::vector<KeyDoc>& keys) {
    std::vector<std::string> out;
    for (const auto& k : keys) {
        out.push_back(k.name);
    }
    return out;
}

Params::Params(const nlohmann::json& params, std::string path, std::vector<std::string> allowed,
               const std::vector<std::string>& also)
    : params_(params.is_null() ? nlohmann::json::object() : params), path_(std::move(path)) {
    if (!params_.is_object()) {
        throw ConfigError(path_ + ": must be a mapping of keys to values");
    }
    for (const auto& [key, value] : params_.items()) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            allowed.insert(allowed.end(), also.begin(), also.end());
            std::string hint = suggest(key, allowed);
            if (hint.empty()) {
                hint = " (the keys here: ";
                for (std::size_t i = 0; i < allowed.size(); ++i) {
                    hint += (i == 0 ? "" : ", ") + allowed[i];
                }
                hint += ")";
            }
            throw ConfigError(child(key) + ": unknown key" + hint);
        }
    }
}

Params::Params(const nlohmann::json& params, std::string path)
    : params_(params.is_object() ? params : nlohmann::json::object()), path_(std::move(path)) {}

const nlohmann::json* Params::find(const std::string& key) const {
    auto it = params_.find(key);
    return it == params_.end() || it->is_null() ? nullptr : &*it;
}

bool Params::has(const std::string& key) const { return find(key) != nullptr; }

std::optional<double> Params::optional_number(const std::string& key) const {
    const auto* v = find(key);
    if (v == nullptr) {
        return std::nullopt;
    }
    if (!v->is_number()) {
        fail(key, "'" + text_of(*v) + "' is not a number");
    }
    return v->get<double>();
}

double Params::number(const std::string& key, double fallback, double lo, double hi) const {
    const double v = optional_number(key).value_or(fallback);
    if (!(v >= lo && v <= hi)) {
        fail(key, num(v) + " is out of range [" + num(lo) + ", " + num(hi) + "]");
    }
    return v;
}

std::int64_t Params::duration(const std::string& key, std::int64_t fallback_ms) const {
    const auto* v = find(key);
    if (v == nullptr) {
        return fallback_ms;
    }
    const std::string text = text_of(*v);
    auto ms = parse_duration_ms(text);
    if (!ms || *ms <= 0) {
        fail(key, "'" + text + "' is not a duration (e.g. 30s, 5m, 1h, 1d, 1w)");
    }
    return *ms;
}

std::string Params::choice(const std::string& key, const std::string& fallback,
                           const std::vector<std::string>& choices) const {
    const auto* v = find(key);
    if (v == nullptr) {
        return fallback;
    }
    const std::string text = text_of(*v);
    if (std::find(choices.begin(), choices.end(), text) == choices.end()) {
        std::string list;
        for (const auto& c : choices) {
            list += (list.empty() ? "" : ", ") + c;
        }
        fail(key, "'" + text + "' is not one of " + list + suggest(text, choices));
    }
    return text;
}

std::string Params::str(const std::string& key, const std::string& fallback) const {
    const auto* v = find(key);
    if (v == nullptr) {
        return fallback;
    }
    if (v->is_object() || v->is_array()) {
        fail(key, "must be a string");
    }
    return text_of(*v);
}

bool Params::boolean(const std::string& key, bool fallback) const {
    const auto* v = find(key);
    if (v == nullptr) {
        return fallback;
    }
    if (!v->is_boolean()) {
        fail(key, "must be true or false");
    }
    return v->get<bool>();
}

std::vector<std::string> Params::strings(const std::string& key) const {
    const auto* v = find(key);
    std::vector<std::string> out;
    if (v == nullptr) {
        return out;
    }
    if (!v->is_array()) {
        if (v->is_object()) {
            fail(key, "must be a string or a list of strings");
        }
        out.push_back(text_of(*v));
        return out;
    }
    for (const auto& item : *v) {
        if (item.is_object() || item.is_array()) {
            fail(key, "must be a list of strings");
        }
        out.push_back(text_of(item));
    }
    return out;
}

std::string Params::url(const std::string& key, const std::string& fallback) const {
    std::string u = str(key, fallback);
    if (u.empty()) {
        return u;
    }
    if (u.rfind("http://", 0) != 0 && u.rfind("https://", 0) != 0) {
        fail(key, "'" + u.substr(0, 200) + "' must start with http:// or https://");
    }
    while (u.size() > 1 && u.back() == '/') {
        u.pop_back();
    }
    return u;
}

SecretRef Params::secret(const std::string& key) const {
    SecretRef ref;
    ref.path = child(key);
    const auto* v = find(key);
    if (v == nullptr) {
        return ref;
    }
    if (!v->is_object()) {
        fail(key, "secrets are not written in the configuration; use {env: VARIABLE} or "
                  "{file: /path/to/secret}");
    }
    const Params s(*v, ref.path, {"env", "file"});
    ref.env = s.str("env", "");
    ref.file = s.str("file", "");
    if (ref.env.empty() == ref.file.empty()) {
        fail(key, "give exactly one of 'env' or 'file'");
    }
    return ref;
}

std::string Params::resolved(const std::string& key) const {
    const SecretRef ref = secret(key);
    return ref.empty() ? "" : resolve_secret(ref);
}

void Params::check(const KeyDoc& key) const {
    if (!has(key.name)) {
        return;
    }
    if (key.form == "secret") {
        secret(key.name);
    } else if (key.form == "URL") {
        url(key.name, "");
    } else if (key.form == "duration") {
        duration(key.name, 0);
    } else if (key.form == "true/false") {
        boolean(key.name, false);
    } else if (key.form.rfind("list", 0) == 0) {
        strings(key.name);
    } else {
        str(key.name, "");
    }
}

void Params::fail(const std::string& key, const std::string& why) const {
    throw ConfigError((key.empty() ? path_ : child(key)) + ": " + why);
}

}  // namespace terrain::core
