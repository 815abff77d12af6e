#include "alerts/alert.h"

#include <cmath>
#include <cstdio>

#include "core/duration.h"
#include "core/hash.h"
#include "core/matcher.h"

namespace terrain::alerts {

std::string_view to_string(AlertState state) {
    return state == AlertState::kFiring ? "firing" : "resolved";
}

namespace {

nlohmann::json number(double v) {
    if (!std::isfinite(v)) {
        return nullptr;
    }
    return v;
}

double from_number(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    return it == j.end() || it->is_null() ? std::nan("") : it->get<double>();
}

std::string time_or_null_str(std::int64_t ms) { return core::format_rfc3339_ms(ms); }

nlohmann::json optional_time(std::int64_t ms) {
    return ms != 0 ? nlohmann::json(core::format_rfc3339_ms(ms)) : nlohmann::json(nullptr);
}

}  // namespace

nlohmann::json labels_json(const core::Labels& labels) {
    nlohmann::json out = nlohmann::json::object();
    for (const auto& [k, v] : labels) {
        out[k] = v;
    }
    return out;
}

nlohmann::json to_json(const Alert& a) {
    const nlohmann::json labels = labels_json(a.labels);
    nlohmann::json j = {
        {"id", a.id},
        {"fingerprint", a.fingerprint},
        {"status", to_string(a.state)},
        {"metric", a.metric},
        {"detector", a.detector},
        {"detector_type", a.detector_type},
        {"severity", a.severity},
        {"team", a.team},
        {"labels", labels},
        {"summary", a.summary},
        {"reason", a.reason},
        {"observed", number(a.observed)},
        {"expected", number(a.expected)},
        {"band", {{"lower", number(a.lower)}, {"upper", number(a.upper)}}},
        {"score", number(a.score)},
        {"numerator", number(a.numerator)},
        {"denominator", number(a.denominator)},
        {"since", time_or_null_str(a.since_ms)},
        {"since_ms", a.since_ms},
        {"last_window_end", time_or_null_str(a.last_window_ms)},
        {"last_window_end_ms", a.last_window_ms},
        {"fired_at", time_or_null_str(a.fired_at_ms)},
        {"fired_at_ms", a.fired_at_ms},
        {"updated_at", time_or_null_str(a.updated_at_ms)},
        {"updated_at_ms", a.updated_at_ms},
        {"resolved_at", optional_time(a.resolved_at_ms)},
        {"resolved_at_ms", a.resolved_at_ms},
        {"resolved_by", a.resolved_by},
        {"acknowledged_at", optional_time(a.acknowledged_at_ms)},
        {"acknowledged_at_ms", a.acknowledged_at_ms},
        {"acknowledged_by", a.acknowledged_by},
        {"snoozed_until", optional_time(a.snoozed_until_ms)},
        {"snoozed_until_ms", a.snoozed_until_ms},
        {"first_action_at_ms", a.first_action_at_ms},
        {"feedback", a.feedback},
        {"feedback_reason", a.feedback_reason},
        {"held_until_recovery", a.held_until_recovery},
    };
    j["fired_window_end"] = time_or_null_str(a.fired_window_end_ms);
    j["fired_window_end_ms"] = a.fired_window_end_ms;
    j["fired"] = {{"observed", number(a.fired.observed)},
                  {"expected", number(a.fired.expected)},
                  {"band", {{"lower", number(a.fired.lower)}, {"upper", number(a.fired.upper)}}},
                  {"numerator", number(a.fired.numerator)},
                  {"denominator", number(a.fired.denominator)},
                  {"reason", a.fired.reason}};
    if (a.send_start_ms != 0) {
        j["send"] = {{"start", time_or_null_str(a.send_start_ms)},
                     {"start_ms", a.send_start_ms},
                     {"end", time_or_null_str(a.send_end_ms)},
                     {"end_ms", a.send_end_ms},
                     {"sent", number(a.sent)}};
    }
    if (!a.family.empty()) {
        j["family"] = a.family;
    }
    if (!a.family.empty() || !a.also.empty()) {
        j["also"] = a.also;
    }
    j["escalated_at_ms"] = a.escalated_at_ms;
    j["reminded_at_ms"] = a.reminded_at_ms;
    j["unsnoozed_at_ms"] = a.unsnoozed_at_ms;
    j["held_by"] = a.held_by;
    j["on_duty"] = a.on_duty;
    j["notified"] = a.notified;
    j["overrides"] = nlohmann::json::array();
    for (const auto& o : a.overrides) {
        j["overrides"].push_back({{"action", o.action},
                                  {"label", o.label},
                                  {"state", o.state},
                                  {"by", o.by},
                                  {"at", optional_time(o.at_ms)},
                                  {"at_ms", o.at_ms},
                                  {"detail", o.detail}});
    }
    // The chart's points as [end_ms, observed, lower, upper, anomalous] (null where none).
    j["trail"] = nlohmann::json::array();
    for (const auto& t : a.trail) {
        j["trail"].push_back({t.end_ms, number(t.observed), number(t.lower), number(t.upper),
                              t.anomalous});
    }
    j["impact"] = nlohmann::json::array();
    for (const auto& i : a.impact) {
        j["impact"].push_back(
            {{"send_ms", i.send_ms}, {"signals", i.signals}, {"reached", i.reached}});
    }
    const auto [signals, reached] = affected(a);
    j["affected"] = {{"signals", signals}, {"reached", reached}, {"excess", number(a.excess)}};
    j["signals"] = nlohmann::json::array();
    for (const auto& s : a.signals) {
        j["signals"].push_back({{"time", time_or_null_str(s.time_ms)},
                                {"time_ms", s.time_ms},
                                {"source", s.source},
                                {"kind", s.kind},
                                {"id", s.id}});
    }
    if (a.pair) {
        const auto& p = *a.pair;
        j["pair"] = {{"map_metric", p.map_metric},
                     {"customer_metric", p.customer_metric},
                     {"map_says", p.map_says},
                     {"customer_says", p.customer_says},
                     {"claim_is_ratio", p.claim_is_ratio},
                     {"map_value", number(a.claim)},
                     {"map_usual", number(a.claim_expected)},
                     {"customer_value", number(a.observed)},
                     {"customer_usual", number(a.expected)},
                     {"customer_signals", number(a.numerator)},
                     {"map_exposure", number(a.denominator)},
                     {"quadrant", a.quadrant},
                     {"action", p.action}};
    }
    return j;
}

Alert alert_from_json(const nlohmann::json& j) {
    Alert a;
    a.id = j.at("id").get<std::string>();
    a.fingerprint = j.at("fingerprint").get<std::string>();
    a.metric = j.at("metric").get<std::string>();
    a.detector = j.at("detector").get<std::string>();
    a.detector_type = j.value("detector_type", "");
    a.severity = j.value("severity", "warning");
    for (const auto& [k, v] : j.at("labels").items()) {
        a.labels.emplace_back(k, v.get<std::string>());
    }
    a.state = j.at("status").get<std::string>() == "firing" ? AlertState::kFiring
                                                             : AlertState::kResolved;
    a.summary = j.value("summary", "");
    a.reason = j.value("reason", "");
    a.observed = from_number(j, "observed");
    a.expected = from_number(j, "expected");
    a.lower = from_number(j.at("band"), "lower");
    a.upper = from_number(j.at("band"), "upper");
    a.score = from_number(j, "score");
    a.numerator = from_number(j, "numerator");
    a.denominator = from_number(j, "denominator");
    a.since_ms = j.value("since_ms", std::int64_t{0});
    a.fired_window_end_ms = j.value("fired_window_end_ms", std::int64_t{0});
    if (auto fired = j.find("fired"); fired != j.end() && fired->is_object()) {
        a.fired.observed = from_number(*fired, "observed");
        a.fired.expected = from_number(*fired, "expected");
        if (auto band = fired->find("band"); band != fired->end() && band->is_object()) {
            a.fired.lower = from_number(*band, "lower");
            a.fired.upper = from_number(*band, "upper");
        }
        a.fired.numerator = from_number(*fired, "numerator");
        a.fired.denominator = from_number(*fired, "denominator");
        a.fired.reason = fired->value("reason", "");
    }
    if (auto send = j.find("send"); send != j.end() && send->is_object()) {
        a.send_start_ms = send->value("start_ms", std::int64_t{0});
        a.send_end_ms = send->value("end_ms", std::int64_t{0});
        a.sent = from_number(*send, "sent");
    }
    a.last_window_ms = j.value("last_window_end_ms", std::int64_t{0});
    a.fired_at_ms = j.value("fired_at_ms", std::int64_t{0});
    a.updated_at_ms = j.value("updated_at_ms", std::int64_t{0});
    a.resolved_at_ms = j.value("resolved_at_ms", std::int64_t{0});
    a.resolved_by = j.value("resolved_by", "");
    a.team = j.value("team", "unassigned");
    a.acknowledged_at_ms = j.value("acknowledged_at_ms", std::int64_t{0});
    a.acknowledged_by = j.value("acknowledged_by", "");
    a.snoozed_until_ms = j.value("snoozed_until_ms", std::int64_t{0});
    a.first_action_at_ms = j.value("first_action_at_ms", std::int64_t{0});
    a.feedback = j.value("feedback", "");
    a.feedback_reason = j.value("feedback_reason", "");
    a.held_until_recovery = j.value("held_until_recovery", false);
    a.escalated_at_ms = j.value("escalated_at_ms", std::int64_t{0});
    a.reminded_at_ms = j.value("reminded_at_ms", std::int64_t{0});
    a.unsnoozed_at_ms = j.value("unsnoozed_at_ms", std::int64_t{0});
    a.held_by = j.value("held_by", "");
    a.family = j.value("family", "");
    a.also = j.value("also", std::vector<std::string>{});
    a.on_duty = j.value("on_duty", std::vector<std::string>{});
    a.notified = j.value("notified", true);  // alerts saved before holds existed were told
    if (auto o = j.find("overrides"); o != j.end() && o->is_array()) {
        for (const auto& x : *o) {
            a.overrides.push_back({x.value("action", ""), x.value("label", ""),
                                   x.value("state", ""), x.value("by", ""),
                                   x.value("at_ms", std::int64_t{0}), x.value("detail", "")});
        }
    }
    auto at = [](const nlohmann::json& x, std::size_t i) {
        return x.at(i).is_null() ? std::nanf("") : x.at(i).get<float>();
    };
    for (const auto& t : j.value("trail", nlohmann::json::array())) {
        a.trail.push_back({t.at(0).get<std::int64_t>(), at(t, 1), at(t, 2), at(t, 3),
                           t.at(4).get<bool>()});
    }
    for (const auto& i : j.value("impact", nlohmann::json::array())) {
        a.impact.push_back({i.value("send_ms", std::int64_t{0}), i.value("signals", 0.0),
                            i.value("reached", 0.0)});
    }
    if (auto affected = j.find("affected"); affected != j.end() && affected->is_object()) {
        a.excess = from_number(*affected, "excess");
        if (std::isnan(a.excess)) {
            a.excess = 0;
        }
    }
    for (const auto& s : j.value("signals", nlohmann::json::array())) {
        a.signals.push_back({s.value("time_ms", std::int64_t{0}), s.value("source", ""),
                             s.value("kind", ""), s.value("id", "")});
    }
    if (auto p = j.find("pair"); p != j.end() && p->is_object()) {
        PairEvidence e;
        e.map_metric = p->value("map_metric", "");
        e.customer_metric = p->value("customer_metric", "");
        e.map_says = p->value("map_says", "");
        e.customer_says = p->value("customer_says", "");
        e.claim_is_ratio = p->value("claim_is_ratio", false);
        a.claim = from_number(*p, "map_value");
        a.claim_expected = from_number(*p, "map_usual");
        a.quadrant = p->value("quadrant", "");
        e.action = p->value("action", "");
        a.pair = std::move(e);
    }
    return a;
}

std::pair<double, double> affected(const Alert& a) {
    double signals = 0;
    double reached = 0;
    for (const auto& i : a.impact) {
        signals += i.signals;
        reached += i.reached;
    }
    return {signals, reached};
}

std::string plain_value(double v, bool ratio) {
    char buf[64];
    if (std::isnan(v)) {
        return "n/a";
    }
    if (ratio) {
        std::snprintf(buf, sizeof buf, "%.2f%%", v * 100.0);
    } else {
        std::snprintf(buf, sizeof buf, "%.4g", v);
    }
    return buf;
}

std::string percent_text(double v) {
    if (!std::isfinite(v)) {
        return "n/a";
    }
    char buf[48];
    std::snprintf(buf, sizeof buf, "%.3g%%", v * 100.0);
    return buf;
}

std::string count_text(double v) {
    if (!std::isfinite(v)) {
        return "n/a";
    }
    const long long n = std::llround(v);
    const std::string digits = std::to_string(n < 0 ? -n : n);
    std::string out = n < 0 ? "-" : "";
    for (std::size_t i = 0; i < digits.size(); ++i) {
        if (i > 0 && (digits.size() - i) % 3 == 0) {
            out += ',';
        }
        out += digits[i];
    }
    return out;
}

const std::string* label_value(const Alert& alert, const std::string& key) {
    return key == "severity"   ? &alert.severity
           : key == "team"     ? &alert.team
           : key == "metric"   ? &alert.metric
           : key == "detector" ? &alert.detector
                               : core::find_label(alert.labels, key);
}

bool route_matches(const core::Labels& match, const Alert& alert) {
    for (const auto& [k, v] : match) {
        if (!core::Matcher::accepts(v, label_value(alert, k))) {
            return false;
        }
    }
    return true;
}

std::string fingerprint(const std::string& metric, const std::string& detector,
                        const core::Labels& labels) {
    static constexpr core::HashKey kKey = {'t', 'e', 'r', 'r', 'a', 'i', 'n', '-',
                                              'a', 'l', 'e', 'r', 't', '-', 'f', 'p'};
    core::Labels sorted = labels;
    std::sort(sorted.begin(), sorted.end());
    std::string text = metric + '\x1e' + detector;
    for (const auto& [k, v] : sorted) {
        text += '\x1e' + k + '=' + v;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx",
                  static_cast<unsigned long long>(core::siphash24(kKey, text)));
    return buf;
}

}  // namespace terrain::alerts
