#include "core/config_reader.h"

#include <algorithm>
#include <regex>
#include <set>

#include "core/config_reader.h"
#include "core/duration.h"
#include "core/matcher.h"
#include "core/template.h"
#include "core/time_zone.h"
#include "core/url.h"

namespace terrain::core {

namespace {

std::size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<std::size_t> row(b.size() + 1);
    for (std::size_t j = 0; j <= b.size(); ++j) {
        row[j] = j;
    }
    for (std::size_t i = 1; i <= a.size(); ++i) {
        std::size_t prev = row[0];
        row[0] = i;
        for (std::size_t j = 1; j <= b.size(); ++j) {
            std::size_t cur = row[j];
            row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
            prev = cur;
        }
    }
    return row[b.size()];
}

}  // namespace

std::string suggest(std::string_view word, const std::vector<std::string>& candidates) {
    std::string best;
    std::size_t best_d = std::max<std::size_t>(2, word.size() / 3) + 1;
    for (const auto& c : candidates) {
        std::size_t d = edit_distance(word, c);
        if (d < best_d) {
            best_d = d;
            best = c;
        }
    }
    return best.empty() ? "" : "; did you mean '" + best + "'?";
}

namespace config_reading {

std::string where(const YAML::Node& node) {
    const auto mark = node.Mark();
    if (mark.line < 0) {
        return "";
    }
    return " (line " + std::to_string(mark.line + 1) + ")";
}

nlohmann::json to_json(const YAML::Node& n) {
    if (!n || n.IsNull()) {
        return nullptr;
    }
    if (n.IsScalar()) {
        const auto& s = n.Scalar();
        if (n.Tag() == "!") {  // quoted: keep as a string
            return s;
        }
        if (s == "true" || s == "false") {
            return s == "true";
        }
        try {
            std::size_t used = 0;
            double d = std::stod(s, &used);
            if (used == s.size()) {
                return d;
            }
        } catch (const std::exception&) {
        }
        return s;
    }
    if (n.IsSequence()) {
        auto arr = nlohmann::json::array();
        for (const auto& item : n) {
            arr.push_back(to_json(item));
        }
        return arr;
    }
    auto obj = nlohmann::json::object();
    for (const auto& kv : n) {
        obj[kv.first.as<std::string>()] = to_json(kv.second);
    }
    return obj;
}

Section open_section(const YAML::Node& node, const std::string& path,
                     std::vector<std::string> shared, nlohmann::json& params) {
    params = nlohmann::json::object();
    if (node.IsMap()) {
        for (const auto& kv : node) {
            const auto key = kv.first.as<std::string>();
            if (std::find(shared.begin(), shared.end(), key) == shared.end()) {
                params[key] = to_json(kv.second);
                shared.push_back(key);
            }
        }
    }
    return Section(node, path, std::move(shared));
}

void check_label(const std::string& label, const std::vector<std::string>& labels,
                 const std::string& path) {
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
        throw ConfigError(path + ": unknown label '" + label + "'" + suggest(label, labels) +
                          " (declare custom labels under the top-level 'labels' key)");
    }
}

std::string snake_case_name(const Section& s) {
    std::string name = s.required_str("name");
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        })) {
        s.fail("name", "'" + name + "' must be lower_snake_case ([a-z0-9_]+)");
    }
    return name;
}

SecretRef parse_secret(const Section& parent, std::string_view key) {
    SecretRef ref;
    ref.path = parent.child(key);
    auto node = parent.get(key);
    if (!node || node.IsNull()) {
        return ref;
    }
    if (node.IsScalar()) {
        parent.fail(key, "secrets are not written in the configuration; use {env: VARIABLE} or "
                         "{file: /path/to/secret}");
    }
    Section s(node, ref.path, {"env", "file"});
    ref.env = s.str("env", "");
    ref.file = s.str("file", "");
    if (ref.env.empty() == ref.file.empty()) {
        s.fail("", "give exactly one of 'env' or 'file'");
    }
    return ref;
}

void check_url(const Section& s, std::string_view key, const std::string& url) {
    if (url.rfind("http://", 0) != 0 && url.rfind("https://", 0) != 0) {
        s.fail(key, "'" + url + "' must start with http:// or https://");
    }
}

std::vector<std::string> matcher_keys(const std::vector<std::string>& labels) {
    std::vector<std::string> keys = labels;
    keys.insert(keys.end(), {"severity", "team", "metric", "detector"});
    return keys;
}

Labels parse_matchers(const Section& s,
                      std::string_view key,
                      const std::vector<std::string>& labels) {
    const std::vector<std::string> keys = matcher_keys(labels);
    Labels out;
    for (auto& [k, v] : s.pairs(key)) {
        check_label(k, keys, s.child(key) + "." + k);
        if (const auto why = Matcher::error(v)) {
            throw ConfigError(s.child(key) + "." + k + ": " + *why);
        }
        out.emplace_back(k, v);
    }
    return out;
}

int parse_clock(const Section& s, std::string_view key, int fallback) {
    if (!s.has(key)) {
        return fallback;
    }
    const std::string text = s.str(key, "");
    static const std::regex kClock(R"(^([01]?[0-9]|2[0-4]):([0-5][0-9])$)");
    std::smatch m;
    if (!std::regex_match(text, m, kClock) || (m[1] == "24" && m[2] != "00")) {
        s.fail(key, "'" + text + "' is not a time of day (HH:MM, 00:00 to 24:00)");
    }
    return std::stoi(m[1]) * 60 + std::stoi(m[2]);
}

std::vector<std::string> weekly_window_keys(std::vector<std::string> also) {
    also.insert(also.end(), {"name", "time_zone", "days", "from", "to", "match"});
    return also;
}

WeeklyWindowConfig parse_weekly_window(const YAML::Node& node,
                                       const std::string& path,
                                       const std::vector<std::string>& labels,
                                       const std::vector<std::string>& also) {
    Section s(node, path, weekly_window_keys(also));
    WeeklyWindowConfig q;
    q.path = path;
    q.name = s.required_str("name");
    q.time_zone = s.str("time_zone", q.time_zone);
    try {
        (void)TimeZone::load(q.time_zone);
    } catch (const std::runtime_error& e) {
        s.fail("time_zone", e.what());
    }
    static const std::vector<std::string> kDays = {"sun", "mon", "tue", "wed",
                                                   "thu", "fri", "sat"};
    static const std::vector<std::string> kFull = {"sunday",   "monday", "tuesday", "wednesday",
                                                   "thursday", "friday", "saturday"};
    std::vector<std::string> words = kDays;
    words.insert(words.end(), {"weekdays", "weekends", "every day"});
    std::set<int> days;
    for (const auto& d : s.has("days") ? s.strings("days") : std::vector<std::string>{"every day"}) {
        std::string w;
        for (char ch : d) {
            w.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(ch))));
        }
        if (w == "weekdays") {
            days.insert({1, 2, 3, 4, 5});
        } else if (w == "weekends") {
            days.insert({0, 6});
        } else if (w == "every day") {
            days.insert({0, 1, 2, 3, 4, 5, 6});
        } else {
            int day = -1;
            for (int k = 0; k < 7; ++k) {
                day = w == kDays[k] || w == kFull[k] ? k : day;
            }
            if (day < 0) {
                s.fail("days", "'" + d + "' is not a day (mon ... sun, weekdays, weekends or " +
                                   "every day)" + suggest(w, words));
            }
            days.insert(day);
        }
    }
    q.days.assign(days.begin(), days.end());
    q.from_minute = parse_clock(s, "from", 0);
    q.to_minute = parse_clock(s, "to", 24 * 60);
    if (q.from_minute == 24 * 60) {
        s.fail("from", "a window cannot start at 24:00 (use 00:00 of the next day)");
    }
    q.match = parse_matchers(s, "match", labels);
    return q;
}

}  // namespace config_reading
}  // namespace terrain::core
