#include "core/config.h"

#include <algorithm>
#include <set>

#include <re2/re2.h>

#include "core/config_reader.h"
#include "core/duration.h"
#include "core/matcher.h"
#include "core/template.h"
#include "core/time_zone.h"
#include "core/url.h"

namespace terrain::core {

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
        if (!Matcher::accepts(v, find_label(event.labels, k))) {
            return false;
        }
    }
    return true;
}

namespace config_reading {

namespace {

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
            const std::string at = s.child("labels") + "." + key;
            check_label(key, labels, at);
            std::string spec;
            if (kv.second.IsSequence() && kv.second.size() > 0) {
                // [a, b]: any of them, as one expression of the values quoted.
                for (const auto& v : kv.second) {
                    if (!v.IsScalar()) {
                        throw ConfigError(at + ": a list of values, each a string" + where(v));
                    }
                    spec += (spec.empty() ? "=~(?:" : "|") + RE2::QuoteMeta(v.Scalar());
                }
                spec += ")";
            } else if (kv.second.IsScalar()) {
                spec = kv.second.Scalar();
            } else {
                throw ConfigError(at + ": must be a value, a matcher (\"!=x\", \"=~x|y\", "
                                       "\"!~test-.*\") or a list of values" + where(kv.second));
            }
            if (auto bad = Matcher::error(spec)) {
                throw ConfigError(at + ": " + *bad + where(kv.second));
            }
            f.labels.emplace_back(key, std::move(spec));
        }
    }
    if (f.kinds.empty() && !f.side && f.labels.empty()) {
        s.fail("", "an empty filter would match every event; give at least 'kind'");
    }
    return f;
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
            d.where = " (line " + std::to_string(dets[i].Mark().line + 1) + "; metric " +
                      m.name + ")";
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

}  // namespace

MetricConfig parse_metric(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& labels) {
    Section s(node, path,
              {"name", "help", "aggregate", "filter", "numerator", "denominator", "group_by",
               "window", "span", "attribution", "horizon", "roll_up", "idle_after", "max_series",
               "team", "action", "detectors"});
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
    const std::string attribution = s.str("attribution", "window");
    if (attribution != "window" && attribution != "send") {
        s.fail("attribution", "'" + attribution + "' is not an attribution (use send or window)" +
                                  suggest(attribution, {"send", "window"}));
    }
    m.by_send = attribution == "send";
    if (m.by_send && m.aggregation != Aggregation::kRatio) {
        s.fail("attribution", "only a ratio is attributed to sends (its denominator is the send)");
    }
    if (s.has("horizon") && !m.by_send) {
        s.fail("horizon", "an attribution horizon needs 'attribution: send'");
    }
    if (m.by_send && s.has("span")) {
        s.fail("span", "a ratio attributed to sends is judged per send over its 'horizon', not a span");
    }
    m.horizon_ms = s.duration("horizon", m.horizon_ms);
    if (m.by_send && (m.horizon_ms < m.window_ms || m.horizon_ms > 30 * 86'400'000LL)) {
        s.fail("horizon", "must be between the window and 30d");
    }
    m.idle_after_ms = s.duration(
        "idle_after", std::max<std::int64_t>(m.by_send ? m.horizon_ms : m.span_ms, 3'600'000));
    if (auto levels = s.get("roll_up"); levels && !levels.IsNull()) {
        if (!levels.IsSequence()) {
            s.fail("roll_up", "must be a list of label lists, e.g. [[campaign], [provider]]");
        }
        for (std::size_t i = 0; i < levels.size(); ++i) {
            const std::string where = "roll_up[" + std::to_string(i) + "]";
            if (!levels[i].IsSequence()) {
                s.fail(where, "must be a list of labels, e.g. [campaign]");
            }
            std::vector<std::string> level;
            for (const auto& label : levels[i]) {
                const auto name = label.as<std::string>("");
                if (std::find(m.group_by.begin(), m.group_by.end(), name) == m.group_by.end()) {
                    s.fail(where, "'" + name + "' is not in group_by: a roll-up groups by fewer "
                                  "of the same labels");
                }
                level.push_back(name);
            }
            if (level.size() >= m.group_by.size()) {
                s.fail(where, "must group by fewer labels than group_by");
            }
            m.roll_up.push_back(std::move(level));
        }
    }
    m.max_series = static_cast<std::size_t>(s.integer("max_series", 10'000, 1, 10'000'000));
    m.team = s.str("team", m.team);
    m.action = s.str("action", "");
    if (m.team.empty() || m.team.size() > 64) {
        s.fail("team", "must be 1 to 64 characters");
    }
    parse_detectors(s, m);
    return m;
}

MetricConfig parse_pair(const YAML::Node& node, const std::string& path,
                        const std::vector<MetricConfig>& metrics,
                        const std::vector<std::string>& labels) {
    Section s(node, path,
              {"name", "title", "map", "customer", "on", "window", "span", "attribution", "horizon",
               "worse", "across", "action", "team", "max_series", "detectors"});
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
    pair.action = m.action = s.str("action", "");
    const std::string worse = s.str("worse", "above");
    if (worse != "above" && worse != "below") {
        s.fail("worse", "'" + worse + "' is not a direction (use above: customer signals rising "
                        "is bad, or below: falling is bad)");
    }
    pair.worse_below = worse == "below";
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
    // Customer signals that trail the mail they are about (complaints, tickets) are joined to
    // its send, as for a ratio metric; the MAP's figure is then its send's.
    const std::string attribution = s.str("attribution", "window");
    if (attribution != "window" && attribution != "send") {
        s.fail("attribution", "'" + attribution + "' is not an attribution (use send or window)");
    }
    m.by_send = attribution == "send";
    if (m.by_send && s.has("span")) {
        s.fail("span", "a pair attributed to sends is judged per send over its 'horizon', not a span");
    }
    if (s.has("horizon") && !m.by_send) {
        s.fail("horizon", "an attribution horizon needs 'attribution: send'");
    }
    m.horizon_ms = s.duration("horizon", m.horizon_ms);
    if (m.by_send && (m.horizon_ms < m.window_ms || m.horizon_ms > 30 * 86'400'000LL)) {
        s.fail("horizon", "must be between the window and 30d");
    }
    pair.across = s.str("across", "");
    if (!pair.across.empty()) {
        if (!m.by_send) {
            s.fail("across", "comparing within a send needs 'attribution: send'");
        }
        if (std::find(m.group_by.begin(), m.group_by.end(), pair.across) == m.group_by.end() ||
            m.group_by.size() < 2) {
            s.fail("across", "'" + pair.across + "' must be one of the pair's 'on' labels, beside "
                             "at least one other that names the send (campaign)");
        }
    }
    m.idle_after_ms = std::max<std::int64_t>(m.by_send ? m.horizon_ms : m.span_ms, 3'600'000);
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

}  // namespace config_reading
}  // namespace terrain::core
