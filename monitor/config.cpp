#include "monitor/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "monitor/duration.h"
#include "monitor/matcher.h"
#include "monitor/template.h"
#include "monitor/time_zone.h"
#include "monitor/url.h"

namespace terrain::monitor {

bool Filter::matches(const Event& event) const {
    if (!kinds.empty() &&
        std::find(kinds.begin(), kinds.end(), event.kind) == kinds.end()) {
        return false;
    }
    return matches_except_kind(event);
}

bool Filter::matches_except_kind(const Event& event) const {
    if (side && *side != event.side) {
        return false;
    }
    for (const auto& [k, v] : labels) {
        const std::string* got = find_label(event.labels, k);
        if (got == nullptr || *got != v) {
            return false;
        }
    }
    return true;
}

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

std::string where(const YAML::Node& node) {
    const auto mark = node.Mark();
    if (mark.line < 0) {
        return "";
    }
    return " (line " + std::to_string(mark.line + 1) + ")";
}

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

void check_label(const std::string& label, const std::vector<std::string>& labels,
                 const std::string& path) {
    if (std::find(labels.begin(), labels.end(), label) == labels.end()) {
        throw ConfigError(path + ": unknown label '" + label + "'" + suggest(label, labels) +
                          " (declare custom labels under the top-level 'labels' key)");
    }
}

Filter parse_filter(const YAML::Node& node, const std::string& path,
                    const std::vector<std::string>& labels) {
    Section s(node, path, {"kind", "side", "labels"});
    Filter f;
    f.kinds = s.strings("kind");
    if (s.has("side")) {
        auto side = s.str("side", "");
        if (side == "map") {
            f.side = Side::kMap;
        } else if (side == "customer") {
            f.side = Side::kCustomer;
        } else {
            s.fail("side", "'" + side + "' is not a side (use map or customer)");
        }
    }
    auto lnode = s.get("labels");
    if (lnode && !lnode.IsNull()) {
        if (!lnode.IsMap()) {
            s.fail("labels", "must be a mapping of label to value");
        }
        for (const auto& kv : lnode) {
            auto key = kv.first.as<std::string>();
            check_label(key, labels, s.child("labels") + "." + key);
            f.labels.emplace_back(key, kv.second.as<std::string>());
        }
    }
    if (f.kinds.empty() && !f.side && f.labels.empty()) {
        s.fail("", "an empty filter would match every event; give at least 'kind'");
    }
    return f;
}

// The section's `name`, which must be lower_snake_case (it becomes a Prometheus label value
// and part of alert fingerprints).
std::string snake_case_name(const Section& s) {
    std::string name = s.required_str("name");
    if (name.empty() || !std::all_of(name.begin(), name.end(), [](char c) {
            return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
        })) {
        s.fail("name", "'" + name + "' must be lower_snake_case ([a-z0-9_]+)");
    }
    return name;
}

// The `detectors` list of a metric or pair section.
void parse_detectors(const Section& s, MetricConfig& m) {
    auto dets = s.get("detectors");
    if (dets && !dets.IsNull()) {
        if (!dets.IsSequence()) {
            s.fail("detectors", "must be a list");
        }
        std::set<std::string> names;
        for (std::size_t i = 0; i < dets.size(); ++i) {
            std::string dpath = s.child("detectors") + "[" + std::to_string(i) + "]";
            if (!dets[i].IsMap()) {
                throw ConfigError(dpath + ": must be a mapping with at least 'type'");
            }
            DetectorConfig d;
            d.path = dpath;
            d.aggregation = m.aggregation;
            d.params = nlohmann::json::object();
            for (const auto& kv : dets[i]) {
                auto key = kv.first.as<std::string>();
                if (key == "type") {
                    d.type = kv.second.as<std::string>();
                } else if (key == "name") {
                    d.name = kv.second.as<std::string>();
                } else if (key == "severity") {
                    d.severity = kv.second.as<std::string>();
                } else {
                    d.params[key] = to_json(kv.second);
                }
            }
            if (d.type.empty()) {
                throw ConfigError(dpath + ": missing required key 'type'");
            }
            if (d.name.empty()) {
                d.name = d.type;
            }
            if (d.severity.empty()) {
                d.severity = "warning";
            }
            static const std::vector<std::string> kSeverities = {"critical", "warning", "info"};
            if (std::find(kSeverities.begin(), kSeverities.end(), d.severity) ==
                kSeverities.end()) {
                throw ConfigError(dpath + ".severity: '" + d.severity +
                                  "' is not a severity (use critical, warning or info)" +
                                  suggest(d.severity, kSeverities));
            }
            if (!names.insert(d.name).second) {
                throw ConfigError(dpath + ".name: '" + d.name +
                                  "' is used twice in this metric; give each detector a name");
            }
            m.detectors.push_back(std::move(d));
        }
    }
}

MetricConfig parse_metric(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& labels) {
    Section s(node, path,
              {"name", "help", "aggregate", "filter", "numerator", "denominator", "group_by",
               "window", "span", "idle_after", "max_series", "team", "detectors"});
    MetricConfig m;
    m.name = snake_case_name(s);
    m.help = s.str("help", m.name);
    auto agg = s.str("aggregate", "count");
    if (agg == "count") {
        m.aggregation = Aggregation::kCount;
    } else if (agg == "sum") {
        m.aggregation = Aggregation::kSum;
    } else if (agg == "ratio") {
        m.aggregation = Aggregation::kRatio;
    } else {
        s.fail("aggregate", "'" + agg + "' is not an aggregation (use count, sum or ratio)" +
                                suggest(agg, {"count", "sum", "ratio"}));
    }
    if (m.aggregation == Aggregation::kRatio) {
        if (s.has("filter")) {
            s.fail("filter", "a ratio takes 'numerator' and 'denominator' filters, not 'filter'");
        }
        if (!s.has("numerator") || !s.has("denominator")) {
            s.fail("", "a ratio needs both 'numerator' and 'denominator'");
        }
        m.numerator = parse_filter(s.get("numerator"), s.child("numerator"), labels);
        m.denominator = parse_filter(s.get("denominator"), s.child("denominator"), labels);
    } else {
        if (!s.has("filter")) {
            s.fail("", "missing required key 'filter'");
        }
        m.filter = parse_filter(s.get("filter"), s.child("filter"), labels);
    }
    m.group_by = s.strings("group_by");
    for (std::size_t i = 0; i < m.group_by.size(); ++i) {
        check_label(m.group_by[i], labels, s.child("group_by") + "[" + std::to_string(i) + "]");
    }
    m.window_ms = s.duration("window", 300'000);
    m.span_ms = s.duration("span", m.window_ms);
    if (m.span_ms % m.window_ms != 0) {
        s.fail("span", format_duration_ms(m.span_ms) + " is not a multiple of the window (" +
                           format_duration_ms(m.window_ms) + ")");
    }
    if (m.span_ms / m.window_ms > 4096) {
        s.fail("span", "more than 4096 windows per span; use a longer window");
    }
    m.idle_after_ms = s.duration("idle_after", std::max<std::int64_t>(m.span_ms, 3'600'000));
    m.max_series = static_cast<std::size_t>(s.integer("max_series", 10'000, 1, 10'000'000));
    m.team = s.str("team", m.team);
    if (m.team.empty() || m.team.size() > 64) {
        s.fail("team", "must be 1 to 64 characters");
    }
    parse_detectors(s, m);
    return m;
}

// A pair: a MAP-side metric set against a customer-side one on shared labels. It becomes a
// ratio metric of its own (customer signals per unit of the MAP's exposure, over the span)
// that also carries what the MAP claims, watched by the `disagreement` detector by default.
MetricConfig parse_pair(const YAML::Node& node, const std::string& path,
                        const std::vector<MetricConfig>& metrics,
                        const std::vector<std::string>& labels) {
    Section s(node, path,
              {"name", "title", "map", "customer", "on", "window", "span", "action", "team",
               "max_series", "detectors"});
    MetricConfig m;
    m.name = snake_case_name(s);
    std::vector<std::string> names;
    for (const auto& metric : metrics) {
        names.push_back(metric.name);
    }
    auto side = [&](const char* key) -> const MetricConfig& {
        const std::string name = s.required_str(key);
        for (const auto& metric : metrics) {
            if (metric.name == name) {
                if (metric.pair) {
                    s.fail(key, "'" + name + "' is a pair; name a metric");
                }
                return metric;
            }
        }
        s.fail(key, "no metric named '" + name + "'" + suggest(name, names));
    };
    const MetricConfig& map = side("map");
    const MetricConfig& customer = side("customer");
    PairConfig pair;
    pair.map_metric = map.name;
    pair.customer_metric = customer.name;
    pair.map_says = map.help;
    pair.customer_says = customer.help;
    pair.action = s.str("action", "");
    m.aggregation = Aggregation::kRatio;
    if (map.aggregation == Aggregation::kRatio) {
        m.denominator = map.denominator;
        pair.claim = map.numerator;
        pair.claim_is_ratio = true;
    } else if (map.aggregation == Aggregation::kCount) {
        m.denominator = map.filter;
    } else {
        s.fail("map", "'" + map.name + "' is a sum; a pair needs a count or a ratio on the MAP side");
    }
    if (customer.aggregation == Aggregation::kSum) {
        s.fail("customer", "'" + customer.name + "' is a sum; a pair needs customer signals counted");
    }
    m.numerator = customer.aggregation == Aggregation::kRatio ? customer.numerator : customer.filter;
    m.help = s.str("title", customer.help + ", per " + map.help);
    pair.title = m.help;
    m.group_by = s.strings("on");
    for (std::size_t i = 0; i < m.group_by.size(); ++i) {
        check_label(m.group_by[i], labels, s.child("on") + "[" + std::to_string(i) + "]");
    }
    m.window_ms = s.duration("window", map.window_ms);
    m.span_ms = s.duration("span", std::max(m.window_ms, 3'600'000L));
    if (m.span_ms % m.window_ms != 0 || m.span_ms / m.window_ms > 4096) {
        s.fail("span", format_duration_ms(m.span_ms) + " must be a multiple of the window (" +
                           format_duration_ms(m.window_ms) + "), at most 4096 windows");
    }
    m.idle_after_ms = std::max<std::int64_t>(m.span_ms, 3'600'000);
    m.max_series = static_cast<std::size_t>(s.integer("max_series", 10'000, 1, 10'000'000));
    m.team = s.str("team", customer.team);
    m.pair = std::move(pair);
    parse_detectors(s, m);
    for (auto& d : m.detectors) {
        d.pair = true;
    }
    if (m.detectors.empty()) {
        DetectorConfig d;
        d.type = d.name = "disagreement";
        d.severity = "critical";
        d.path = path + ".detectors[0]";
        d.aggregation = m.aggregation;
        d.pair = true;
        d.params = nlohmann::json::object();
        m.detectors.push_back(std::move(d));
    }
    return m;
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

// What matchers may name: the declared labels, severity, team, metric and detector.
std::vector<std::string> matcher_keys(const std::vector<std::string>& labels) {
    std::vector<std::string> keys = labels;
    keys.insert(keys.end(), {"severity", "team", "metric", "detector"});
    return keys;
}

// Matchers on labels, severity, team, metric and detector (receivers, quiet windows, on-duty
// shifts, inhibit rules), each checked by Matcher::error.
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

ReceiverConfig parse_receiver(const YAML::Node& node, const std::string& path,
                              const std::vector<std::string>& labels) {
    Section s(node, path,
              {"name", "type", "url", "channel", "token", "match", "escalate_after",
               "escalate_to", "remind_every", "timeout", "max_attempts", "initial_backoff",
               "max_backoff", "group_by"});
    ReceiverConfig r;
    r.path = path;
    r.name = s.required_str("name");
    r.type = s.required_str("type");
    static const std::vector<std::string> kTypes = {
        "log", "webhook", "alertmanager", "slack", "mattermost", "teams", "pagerduty"};
    if (std::find(kTypes.begin(), kTypes.end(), r.type) == kTypes.end()) {
        s.fail("type", "'" + r.type +
                           "' is not a receiver type (use log, webhook, alertmanager, slack, "
                           "mattermost, teams or pagerduty)" +
                           suggest(r.type, kTypes));
    }
    const bool chat = r.type == "slack" || r.type == "mattermost" || r.type == "teams";
    if (r.type == "slack") {
        r.url = s.str("url", "https://slack.com/api");
    } else if (r.type == "teams") {
        r.url = s.str("url", "https://smba.trafficmanager.net/teams");
    } else if (r.type == "pagerduty") {
        r.url = s.str("url", "https://events.pagerduty.com");
    } else if (r.type != "log") {
        r.url = s.required_str("url");
    }
    if (!r.url.empty()) {
        check_url(s, "url", r.url);
    }
    if (chat) {
        r.channel = s.required_str("channel");
    }
    r.token = parse_secret(s, "token");
    if ((chat || r.type == "pagerduty") && r.type != "teams" && r.token.empty()) {
        s.fail("", std::string("missing required key 'token' (") +
                       (r.type == "pagerduty" ? "the integration's routing key"
                                              : "the bot's access token") +
                       ", as {env: VARIABLE} or {file: PATH})");
    }
    r.match = parse_matchers(s, "match", labels);
    r.escalate_after_ms = s.duration("escalate_after", 0);
    r.escalate_to = s.str("escalate_to", "");
    if ((r.escalate_after_ms > 0) != !r.escalate_to.empty()) {
        s.fail("", "give 'escalate_after' and 'escalate_to' together");
    }
    r.remind_every_ms = s.duration("remind_every", 0);
    r.group_by = s.strings("group_by");
    if (!r.group_by.empty() && !chat) {
        s.fail("group_by", "only chat receivers (slack, mattermost, teams) group alerts");
    }
    for (std::size_t i = 0; i < r.group_by.size(); ++i) {
        check_label(r.group_by[i],
                    matcher_keys(labels),
                    s.child("group_by") + "[" + std::to_string(i) + "]");
    }
    r.timeout_ms = s.duration("timeout", r.timeout_ms);
    r.max_attempts = static_cast<int>(s.integer("max_attempts", r.max_attempts, 1, 100));
    r.initial_backoff_ms = s.duration("initial_backoff", r.initial_backoff_ms);
    r.max_backoff_ms = s.duration("max_backoff", r.max_backoff_ms);
    return r;
}

// "HH:MM" as minutes after midnight; "24:00" is the end of the day.
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

// The keys of a weekly window, and `also` those of what holds one (an on-duty shift's people).
std::vector<std::string> weekly_window_keys(std::vector<std::string> also = {}) {
    also.insert(also.end(), {"name", "time_zone", "days", "from", "to", "match"});
    return also;
}

WeeklyWindowConfig parse_weekly_window(const YAML::Node& node,
                                       const std::string& path,
                                       const std::vector<std::string>& labels,
                                       const std::vector<std::string>& also = {}) {
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

InhibitRuleConfig parse_inhibit_rule(const YAML::Node& node, const std::string& path,
                                     const std::vector<std::string>& labels) {
    Section s(node, path, {"source_match", "target_match", "equal"});
    InhibitRuleConfig r;
    r.path = path;
    r.source_match = parse_matchers(s, "source_match", labels);
    r.target_match = parse_matchers(s, "target_match", labels);
    if (r.source_match.empty() || r.target_match.empty()) {
        s.fail("", "give both source_match and target_match (an empty one would match every "
                   "alert)");
    }
    const std::vector<std::string> keys = matcher_keys(labels);
    r.equal = s.strings("equal");
    for (std::size_t i = 0; i < r.equal.size(); ++i) {
        check_label(r.equal[i], keys, s.child("equal") + "[" + std::to_string(i) + "]");
    }
    return r;
}

PersonConfig parse_person(const YAML::Node& node, const std::string& path) {
    static const std::vector<std::string> kPlatforms = {"slack", "mattermost", "teams", "inbox"};
    std::vector<std::string> keys = {"name", "roles", "mattermost_username", "inbox_token"};
    keys.insert(keys.end(), kPlatforms.begin(), kPlatforms.end());
    Section s(node, path, keys);
    PersonConfig p;
    p.name = s.required_str("name");
    p.roles = s.strings("roles");
    for (const auto& platform : kPlatforms) {
        if (s.has(platform)) {
            p.ids.emplace_back(platform, s.str(platform, ""));
        }
    }
    if (p.ids.empty()) {
        s.fail("", "give at least one identity (slack, mattermost, teams or inbox: the user id)");
    }
    p.inbox_token = parse_secret(s, "inbox_token");
    if (!p.inbox_token.empty() && !s.has("inbox")) {
        s.fail("inbox_token",
               "give the person's inbox identity too (inbox: ana): the inbox acts "
               "as it for whoever bears the token");
    }
    p.mattermost_username = s.str("mattermost_username", "");
    if (!p.mattermost_username.empty() && p.mattermost_username[0] == '@') {
        p.mattermost_username.erase(0, 1);
    }
    return p;
}

using TemplateCheck = std::function<void(const std::string&, const std::string&)>;

HttpCallConfig parse_call(const Section& parent, std::string_view key,
                          const TemplateCheck& check_template) {
    Section s(parent.get(key), parent.child(key), {"method", "url", "headers", "body"});
    HttpCallConfig c;
    c.method = s.str("method", "POST");
    static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (std::find(kMethods.begin(), kMethods.end(), c.method) == kMethods.end()) {
        s.fail("method", "'" + c.method + "' is not one of GET, POST, PUT, PATCH, DELETE");
    }
    c.url = s.required_str("url");
    check_url(s, "url", c.url);
    c.headers = s.pairs("headers");
    c.body = s.str("body", "");
    check_template(s.child("url"), c.url);
    for (const auto& [h, v] : c.headers) {
        check_template(s.child("headers") + "." + h, v);
    }
    check_template(s.child("body"), c.body);
    return c;
}

// Placeholders an action's templates may use; labels.* must be known labels and secret.* must
// be declared under the action's `secrets`. Labels used are remembered in needs_labels.
void check_action_template(ActionConfig& a, const std::vector<std::string>& labels,
                           const std::string& where, const std::string& text) {
    auto names = template_names(text);
    if (!names) {
        throw ConfigError(where + ": " + names.error().message);
    }
    static const std::vector<std::string> kFixed = {
        "alert.id", "alert.metric", "alert.fingerprint", "alert.severity", "alert.team",
        "alert.detector", "person", "idempotency_key"};
    for (const auto& n : names.value()) {
        if (n.rfind("labels.", 0) == 0) {
            const auto label = n.substr(7);
            check_label(label, labels, where + ": '{{" + n + "}}'");
            if (std::find(a.needs_labels.begin(), a.needs_labels.end(), label) ==
                a.needs_labels.end()) {
                a.needs_labels.push_back(label);
            }
        } else if (n.rfind("secret.", 0) == 0) {
            const auto name = n.substr(7);
            if (std::none_of(a.secrets.begin(), a.secrets.end(),
                             [&](const auto& x) { return x.first == name; })) {
                throw ConfigError(where + ": '{{" + n + "}}': no secret '" + name +
                                  "' under " + a.path + ".secrets");
            }
        } else if (std::find(kFixed.begin(), kFixed.end(), n) == kFixed.end()) {
            std::vector<std::string> known = kFixed;
            known.emplace_back("labels.campaign");
            known.emplace_back("secret.NAME");
            throw ConfigError(where + ": '{{" + n + "}}' is not a placeholder" +
                              suggest(n, known));
        }
    }
}

ActionConfig parse_action(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& labels) {
    Section s(node, path,
              {"name", "label", "roles", "confirm", "executor", "call", "revert", "revert_after",
               "secrets", "timeout", "max_attempts", "initial_backoff", "holds",
               "second_approver"});
    ActionConfig a;
    a.path = path;
    a.name = snake_case_name(s);
    const auto& builtins = builtin_actions();
    const bool builtin = std::find(builtins.begin(), builtins.end(), a.name) != builtins.end();
    a.executor = s.str("executor", builtin ? "builtin" : "");
    a.label = s.str("label", "");
    a.roles = s.strings("roles");
    a.confirm = s.str("confirm", "");
    if (builtin) {
        for (const char* key :
             {"call", "revert", "revert_after", "secrets", "holds", "second_approver"}) {
            if (s.has(key)) {
                s.fail(key, "'" + a.name + "' is built in; give it only roles, label or confirm");
            }
        }
        if (a.executor != "builtin") {
            s.fail("executor", "'" + a.name + "' is built in; give it only roles, label or confirm");
        }
        return a;
    }
    static const std::vector<std::string> kExecutors = {"http", "dry_run"};
    if (std::find(kExecutors.begin(), kExecutors.end(), a.executor) == kExecutors.end()) {
        s.fail("executor", "'" + a.executor + "' is not an executor (use http or dry_run)" +
                               suggest(a.executor, kExecutors));
    }
    if (a.label.empty()) {
        s.fail("", "missing required key 'label' (the button's text)");
    }
    a.revert_after_ms = s.duration("revert_after", 0);
    a.holds = s.strings("holds");
    a.second_approver = s.boolean("second_approver", false);
    for (std::size_t i = 0; i < a.holds.size(); ++i) {
        check_label(a.holds[i], labels, s.child("holds") + "[" + std::to_string(i) + "]");
    }
    a.timeout_ms = s.duration("timeout", a.timeout_ms);
    a.max_attempts = static_cast<int>(s.integer("max_attempts", a.max_attempts, 1, 20));
    a.initial_backoff_ms = s.duration("initial_backoff", a.initial_backoff_ms);
    auto secrets = s.get("secrets");
    if (secrets && !secrets.IsNull()) {
        if (!secrets.IsMap()) {
            s.fail("secrets", "must be a mapping of names to {env: VARIABLE} or {file: PATH}");
        }
        std::vector<std::string> names;
        for (const auto& kv : secrets) {
            names.push_back(kv.first.as<std::string>());
        }
        Section sec(secrets, s.child("secrets"), names);
        for (const auto& name : names) {
            a.secrets.emplace_back(name, parse_secret(sec, name));
        }
    }
    const TemplateCheck check = [&](const std::string& where, const std::string& text) {
        check_action_template(a, labels, where, text);
    };
    if (!s.has("call")) {
        s.fail("", "missing required key 'call' (the request that carries out '" + a.name + "')");
    }
    a.call = parse_call(s, "call", check);
    if (s.has("revert")) {
        a.revert = parse_call(s, "revert", check);
    }
    if (a.revert_after_ms > 0 && !a.revert) {
        s.fail("revert_after", "needs 'revert', the request that undoes the action");
    }
    check(s.child("confirm"), a.confirm);
    return a;
}

}  // namespace

const std::vector<std::string>& builtin_actions() {
    static const std::vector<std::string> kActions = {"acknowledge", "snooze", "resolve",
                                                      "not_a_problem", "confirm"};
    return kActions;
}

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

Config parse_config(std::string_view yaml, const std::string& origin) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        throw ConfigError(origin + ": not valid YAML: " + e.what());
    }
    Config c;
    try {
        Section top(root, "",
                    {"server", "sources", "api", "pipeline", "labels", "metrics", "pairs",
                     "receivers", "quiet_windows", "inhibit_rules", "people", "on_duty", "actions",
                     "interact"});
        auto sources = top.get("sources");
        if (sources && !sources.IsNull()) {
            if (!sources.IsMap()) {
                top.fail("sources", "must be a mapping of source name to its credentials");
            }
            for (const auto& kv : sources) {
                SourceConfig src;
                src.name = kv.first.as<std::string>();
                src.path = "sources." + src.name;
                Section s(kv.second, src.path,
                          {"token", "public_key", "signing_key", "verify_signature",
                           "cert_origins", "cert_url_pattern", "max_age"});
                src.token = parse_secret(s, "token");
                src.public_key = parse_secret(s, "public_key");
                src.signing_key = parse_secret(s, "signing_key");
                src.verify_sns = s.boolean("verify_signature", false);
                if (s.has("cert_url_pattern")) {
                    s.fail("cert_url_pattern", "replaced by cert_origins, a list of origins such "
                                               "as 'https://sns.*.amazonaws.com'");
                }
                if (s.has("cert_origins")) {
                    src.cert_origins = s.strings("cert_origins");
                }
                for (const auto& o : src.cert_origins) {
                    if (auto rule = OriginRule::parse(o); !rule.ok()) {
                        s.fail("cert_origins", "'" + o.substr(0, 200) + "': " +
                                                   rule.error().message);
                    }
                }
                src.max_age_ms = s.duration("max_age", src.max_age_ms);
                if (src.token.empty() && src.public_key.empty() && src.signing_key.empty() &&
                    !src.verify_sns) {
                    s.fail("", "give a 'token', a 'public_key' (sendgrid), a 'signing_key' "
                               "(mailgun, zendesk) or 'verify_signature: true' (ses) (or remove "
                               "the source to leave it open to loopback clients only)");
                }
                c.sources.push_back(std::move(src));
            }
        }
        Section api(top.get("api"), "api", {"token"});
        c.api.token = parse_secret(api, "token");
        Section server(top.get("server"), "server",
                       {"listen", "max_body_bytes", "max_events_per_request", "threads",
                        "max_connections", "hosts"});
        c.server.max_events_per_request = static_cast<std::size_t>(server.integer(
            "max_events_per_request", static_cast<std::int64_t>(c.server.max_events_per_request),
            1, 10'000'000));
        c.server.listen = server.str("listen", c.server.listen);
        c.server.max_body_bytes = static_cast<std::size_t>(
            server.integer("max_body_bytes", static_cast<std::int64_t>(c.server.max_body_bytes),
                           1024, 1LL << 30));
        c.server.threads = static_cast<int>(server.integer("threads", c.server.threads, 1, 64));
        c.server.max_connections = static_cast<std::size_t>(server.integer(
            "max_connections", static_cast<std::int64_t>(c.server.max_connections), 1, 1'000'000));
        c.server.hosts = server.strings("hosts");
        for (const auto& h : c.server.hosts) {
            if (h != "*" && !parse_url("http://" + h + "/").ok()) {
                server.fail("hosts", "'" + h.substr(0, 200) +
                                         "' is not a host name (no scheme, port or path)");
            }
        }

        Section pipe(top.get("pipeline"), "pipeline",
                     {"allowed_lateness", "idle_flush", "max_future", "max_past", "queue_events",
                      "dedup_capacity", "export_series", "fsync", "checkpoint_interval"});
        c.pipeline.allowed_lateness_ms =
            pipe.duration("allowed_lateness", c.pipeline.allowed_lateness_ms);
        c.pipeline.idle_flush_ms = pipe.duration("idle_flush", c.pipeline.idle_flush_ms);
        c.pipeline.max_future_ms = pipe.duration("max_future", c.pipeline.max_future_ms);
        c.pipeline.max_past_ms = pipe.duration("max_past", c.pipeline.max_past_ms);
        c.pipeline.checkpoint_interval_ms =
            pipe.duration("checkpoint_interval", c.pipeline.checkpoint_interval_ms);
        c.pipeline.queue_events = static_cast<std::size_t>(pipe.integer(
            "queue_events", static_cast<std::int64_t>(c.pipeline.queue_events), 1, 1LL << 32));
        c.pipeline.dedup_capacity = static_cast<std::size_t>(
            pipe.integer("dedup_capacity", static_cast<std::int64_t>(c.pipeline.dedup_capacity),
                         0, 1LL << 32));

        c.pipeline.export_series = static_cast<std::size_t>(
            pipe.integer("export_series", static_cast<std::int64_t>(c.pipeline.export_series), 0,
                         1'000'000));
        const auto fsync = pipe.str("fsync", "always");
        if (fsync != "always" && fsync != "never") {
            pipe.fail("fsync", "'" + fsync + "' is not always or never");
        }
        c.pipeline.fsync = fsync == "always";

        c.extra_labels = top.strings("labels");
        std::vector<std::string> labels = known_labels();
        labels.insert(labels.end(), c.extra_labels.begin(), c.extra_labels.end());

        auto metrics = top.get("metrics");
        if (metrics && !metrics.IsNull()) {
            if (!metrics.IsSequence()) {
                top.fail("metrics", "must be a list");
            }
            std::set<std::string> names;
            for (std::size_t i = 0; i < metrics.size(); ++i) {
                auto path = "metrics[" + std::to_string(i) + "]";
                auto m = parse_metric(metrics[i], path, labels);
                if (!names.insert(m.name).second) {
                    throw ConfigError(path + ".name: '" + m.name + "' is declared twice");
                }
                c.metrics.push_back(std::move(m));
            }
            auto pairs = top.get("pairs");
            if (pairs && !pairs.IsNull()) {
                if (!pairs.IsSequence()) {
                    top.fail("pairs", "must be a list");
                }
                for (std::size_t i = 0; i < pairs.size(); ++i) {
                    auto path = "pairs[" + std::to_string(i) + "]";
                    auto m = parse_pair(pairs[i], path, c.metrics, labels);
                    if (!names.insert(m.name).second) {
                        throw ConfigError(path + ".name: '" + m.name +
                                          "' is already the name of a metric or pair");
                    }
                    c.metrics.push_back(std::move(m));
                }
            }
        }
        auto list = [&](const char* key, auto parse) {
            auto node = top.get(key);
            if (!node || node.IsNull()) {
                return;
            }
            if (!node.IsSequence()) {
                top.fail(key, "must be a list");
            }
            std::set<std::string> names;
            for (std::size_t i = 0; i < node.size(); ++i) {
                const auto path = std::string(key) + "[" + std::to_string(i) + "]";
                const std::string name = parse(node[i], path);
                if (!names.insert(name).second) {
                    throw ConfigError(path + ".name: '" + name + "' is declared twice");
                }
            }
        };
        list("receivers", [&](const YAML::Node& n, const std::string& path) {
            c.receivers.push_back(parse_receiver(n, path, labels));
            return c.receivers.back().name;
        });
        std::vector<std::string> receiver_names;
        for (const auto& r : c.receivers) {
            receiver_names.push_back(r.name);
        }
        for (const auto& r : c.receivers) {
            if (!r.escalate_to.empty() &&
                (r.escalate_to == r.name ||
                 std::find(receiver_names.begin(), receiver_names.end(), r.escalate_to) ==
                     receiver_names.end())) {
                throw ConfigError(r.path + ".escalate_to: '" + r.escalate_to +
                                  "' is not another receiver" +
                                  suggest(r.escalate_to, receiver_names));
            }
        }
        list("quiet_windows", [&](const YAML::Node& n, const std::string& path) {
            c.quiet_windows.push_back(parse_weekly_window(n, path, labels));
            return c.quiet_windows.back().name;
        });
        {
            auto rules = top.get("inhibit_rules");
            if (rules && !rules.IsNull() && !rules.IsSequence()) {
                top.fail("inhibit_rules", "must be a list");
            }
            for (std::size_t i = 0; rules && rules.IsSequence() && i < rules.size(); ++i) {
                c.inhibit_rules.push_back(parse_inhibit_rule(
                    rules[i], "inhibit_rules[" + std::to_string(i) + "]", labels));
            }
        }
        list("people", [&](const YAML::Node& n, const std::string& path) {
            c.people.push_back(parse_person(n, path));
            return c.people.back().name;
        });
        std::vector<std::string> people_names;
        for (const auto& p : c.people) {
            people_names.push_back(p.name);
        }
        list("on_duty", [&](const YAML::Node& n, const std::string& path) {
            OnDutyConfig d;
            d.shift = parse_weekly_window(n, path, labels, {"people"});
            const Section s(n, path, weekly_window_keys({"people"}));
            d.people = s.strings("people");
            if (d.people.empty()) {
                s.fail("people", "name at least one person on duty");
            }
            for (std::size_t i = 0; i < d.people.size(); ++i) {
                if (std::find(people_names.begin(), people_names.end(), d.people[i]) ==
                    people_names.end()) {
                    throw ConfigError(s.child("people") + "[" + std::to_string(i) + "]: '" +
                                      d.people[i] + "' is not one of the people" +
                                      suggest(d.people[i], people_names));
                }
            }
            c.on_duty.push_back(std::move(d));
            return c.on_duty.back().shift.name;
        });
        for (const auto& name : builtin_actions()) {
            ActionConfig a;
            a.name = name;
            a.executor = "builtin";
            a.path = "actions";
            c.actions.push_back(std::move(a));
        }
        list("actions", [&](const YAML::Node& n, const std::string& path) {
            ActionConfig a = parse_action(n, path, labels);
            auto same = std::find_if(c.actions.begin(), c.actions.end(),
                                     [&](const ActionConfig& x) { return x.name == a.name; });
            if (same != c.actions.end() && same->executor == "builtin") {
                *same = a;  // a built-in's roles or words, configured
            } else {
                c.actions.push_back(a);
            }
            return a.name;
        });
        Section interact(top.get("interact"), "interact",
                         {"slack_signing_secret", "mattermost_secret", "public_url", "max_age",
                          "not_a_problem_reasons", "teams_app_id", "teams_app_password",
                          "teams_openid_url", "teams_token_url"});
        c.interact.slack_signing_secret = parse_secret(interact, "slack_signing_secret");
        c.interact.mattermost_secret = parse_secret(interact, "mattermost_secret");
        c.interact.public_url = interact.str("public_url", "");
        if (!c.interact.public_url.empty()) {
            check_url(interact, "public_url", c.interact.public_url);
            while (!c.interact.public_url.empty() && c.interact.public_url.back() == '/') {
                c.interact.public_url.pop_back();
            }
        }
        c.interact.max_age_ms = interact.duration("max_age", c.interact.max_age_ms);
        c.interact.teams_app_id = interact.str("teams_app_id", "");
        c.interact.teams_app_password = parse_secret(interact, "teams_app_password");
        for (auto [key, url] : {std::pair{"teams_openid_url", &c.interact.teams_openid_url},
                                std::pair{"teams_token_url", &c.interact.teams_token_url}}) {
            *url = interact.str(key, *url);
            check_url(interact, key, *url);
        }
        if (interact.has("not_a_problem_reasons")) {
            c.interact.not_a_problem_reasons = interact.strings("not_a_problem_reasons");
        }
        for (const auto& r : c.receivers) {
            if (r.type == "slack" && c.interact.slack_signing_secret.empty()) {
                throw ConfigError(r.path + ": a slack receiver needs "
                                  "interact.slack_signing_secret to accept its buttons' clicks");
            }
            if (r.type == "mattermost" &&
                (c.interact.mattermost_secret.empty() || c.interact.public_url.empty())) {
                throw ConfigError(r.path + ": a mattermost receiver needs "
                                  "interact.mattermost_secret (to sign its buttons) and "
                                  "interact.public_url (where Mattermost sends their clicks)");
            }
            if (r.type == "teams" &&
                (c.interact.teams_app_id.empty() || c.interact.teams_app_password.empty())) {
                throw ConfigError(r.path + ": a teams receiver needs interact.teams_app_id and "
                                  "interact.teams_app_password (the bot it posts as and whose "
                                  "clicks it accepts)");
            }
        }
    } catch (const YAML::Exception& e) {
        throw ConfigError(origin + ": " + e.what());
    } catch (const ConfigError& e) {
        throw ConfigError(origin + ": " + e.what());
    }
    return c;
}

std::string resolve_secret(const SecretRef& ref) {
    std::string value;
    if (!ref.env.empty()) {
        const char* v = std::getenv(ref.env.c_str());
        if (v == nullptr || *v == '\0') {
            throw ConfigError(ref.path + ": environment variable " + ref.env + " is not set");
        }
        value = v;
    } else {
        std::ifstream in(ref.file, std::ios::binary);
        if (!in) {
            throw ConfigError(ref.path + ": cannot read secret file " + ref.file);
        }
        value.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
            value.pop_back();
        }
        if (value.empty()) {
            throw ConfigError(ref.path + ": secret file " + ref.file + " is empty");
        }
    }
    return value;
}

Config load_config_file(const std::string& path) {
    std::ifstream in(path);
    if (!in) {
        throw ConfigError(path + ": cannot open configuration file");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return parse_config(ss.str(), path);
}

Config default_config() { return parse_config(kDefaultConfigYaml, "<embedded default>"); }

}  // namespace terrain::monitor
