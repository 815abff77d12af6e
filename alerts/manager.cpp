#include "alerts/manager.h"

#include <algorithm>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "alerts/metrics.h"
#include "core/duration.h"
#include "core/hash.h"
#include "core/log.h"

namespace terrain::alerts {

namespace {

constexpr std::size_t kMaxResolvedKept = 10'000;
constexpr std::size_t kMaxAlso = 10;  // other levels of one incident named on its alert
// An alert that recovered and fires again within this much event time is reopened, not raised
// anew: one incident flapping around its limit is one card.
constexpr std::int64_t kReopenWithin = 2 * 3'600'000;
// A firing alert resolves once its series has been normal for this much event time (at least
// one window): a count that dips under its limit for one window does not end the incident.
constexpr std::int64_t kResolveAfter = 15 * 60'000;

std::string series_text(const core::Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        out += (out.empty() ? "" : " ") + k + "=" + v;
    }
    return out.empty() ? "all traffic" : out;
}

std::string quadrant_words(const std::string& q) {
    if (q == "good_for_company_bad_for_customer") {
        return "efficient for the company, bad for the customer: the automation's own figures "
               "look fine";
    }
    if (q == "bad_for_both") {
        return "bad for the company and for the customer";
    }
    if (q == "bad_for_company_good_for_customer") {
        return "costly for the company, fine for the customer";
    }
    return "fine for both";
}

// A pair's alert in business words: both sides' numbers with their usual values, where, since
// when, the quadrant and what to do.
void copy_pair_evidence(Alert& a, const core::Finding& f) {
    const auto& cfg = *f.pair;
    PairEvidence e;
    e.map_metric = cfg.map_metric;
    e.customer_metric = cfg.customer_metric;
    e.map_says = cfg.map_says;
    e.customer_says = cfg.customer_says;
    e.claim_is_ratio = cfg.claim_is_ratio;
    e.action = cfg.action;
    auto map_figure = [&](double v) { return e.claim_is_ratio ? percent_text(v) : count_text(v); };
    a.summary = cfg.title + " (" + series_text(f.labels) + ", since " +
                core::format_rfc3339_ms(a.since_ms) + "). Customers: " + cfg.customer_says +
                ": " + count_text(f.numerator) + " per " + count_text(f.denominator) + " (" +
                percent_text(f.observed) + ", usually " + percent_text(f.expected) + "). MAP: " +
                cfg.map_says + ": " + map_figure(f.claim) + " (usually " +
                map_figure(f.claim_expected) + "). " + quadrant_words(f.quadrant) + ".";
    if (!cfg.action.empty()) {
        a.summary += " Suggested: " + cfg.action;
    }
    a.pair = std::move(e);
}

void copy_evidence(Alert& a, const core::Finding& f) {
    std::string words = std::move(a.reason);
    static_cast<core::Evidence&>(a) = f;
    a.last_window_ms = f.window_end_ms;
    if (f.reason.empty() && f.anomalous) {
        a.reason = std::move(words);  // still firing on a point without words (hold, N of M):
        return;                       // keep the last ones
    }
    // Detectors word only anomalous points; a normal one says where the series is now.
    a.reason = !f.reason.empty() ? f.reason
                                 : "back to normal: now " + plain_value(f.observed, f.denominator > 0) +
                                       " (expected " + plain_value(f.expected, f.denominator > 0) + ")";
    a.summary = f.metric + " for " + series_text(f.labels) + ": " + a.reason;
    if (f.send_start_ms != 0) {
        // The send it is about: "mail sent 2026-11-23 10:00-10:40 UTC: 46 of 14474 so far".
        const std::string from = core::format_rfc3339_ms(f.send_start_ms);
        const std::string to = core::format_rfc3339_ms(f.send_end_ms);
        char buf[96];
        std::snprintf(buf, sizeof buf, ": %.0f of %.0f so far", f.numerator, f.sent);
        a.summary += " (mail sent " + from.substr(0, 10) + " " + from.substr(11, 5) + "-" +
                     to.substr(11, 5) + " UTC" + buf + ")";
    } else if (f.denominator > 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, " (%.0f of %.0f)", f.numerator, f.denominator);
        a.summary += buf;
    }
    if (f.pair != nullptr) {
        copy_pair_evidence(a, f);  // its own words, with the pair's suggested action
    } else if (f.anomalous && !f.action.empty()) {
        a.summary += ". Suggested: " + f.action;
    }
}


}  // namespace

const std::vector<std::string>& alert_actions() { return core::builtin_actions(); }

nlohmann::json to_json(const Silence& s) {
    return {{"id", s.id},
            {"matchers", labels_json(s.matchers)},
            {"starts_at", core::format_rfc3339_ms(s.starts_ms)},
            {"starts_ms", s.starts_ms},
            {"ends_at", core::format_rfc3339_ms(s.ends_ms)},
            {"ends_ms", s.ends_ms},
            {"created_by", s.created_by},
            {"comment", s.comment}};
}

Silence silence_from_json(const nlohmann::json& j) {
    Silence s;
    s.id = j.at("id").get<std::string>();
    for (const auto& [k, v] : j.at("matchers").items()) {
        s.matchers.emplace_back(k, v.get<std::string>());
    }
    s.starts_ms = j.value("starts_ms", std::int64_t{0});
    s.ends_ms = j.value("ends_ms", std::int64_t{0});
    s.created_by = j.value("created_by", "");
    s.comment = j.value("comment", "");
    return s;
}

std::optional<std::int64_t> parse_snooze(std::string_view text) {
    const auto ms = core::parse_duration_ms(text);
    if (!ms || *ms <= 0 || *ms > 30LL * 24 * 3'600'000) {
        return std::nullopt;
    }
    return ms;
}

AlertManager::AlertManager(core::Store& store, Notifier& notifier,
                           core::Telemetry& telemetry, const core::Clock& clock,
                           std::vector<core::ReceiverConfig> routes,
                           HoldRules rules,
                           DutyRoster roster)
    : store_(store),
      notifier_(notifier),
      telemetry_(telemetry),
      clock_(clock),
      routes_(std::move(routes)),
      roster_(std::move(roster)),
      holds_(std::move(rules), silences_) {
    for (const auto& doc : store_.load_silences()) {
        try {
            silences_.push_back(silence_from_json(nlohmann::json::parse(doc.body)));
        } catch (const std::exception& e) {
            core::log_warn("store: skipping unreadable silence " + doc.key + ": " + e.what());
        }
    }
    for (const auto& doc : store_.load_alerts()) {
        try {
            Alert a = alert_from_json(nlohmann::json::parse(doc.body));
            if (a.state == AlertState::kFiring) {
                open_[a.fingerprint] = a.id;
                a.last_anomalous_ms = a.last_window_ms;
            }
            if (a.held_until_recovery) {
                held_[a.fingerprint] = a.id;
            }
            auto& until = seen_until_[a.fingerprint];
            until = std::max(until, a.last_window_ms);
            holds_.track(a);
            by_id_[a.id] = std::move(a);
        } catch (const std::exception& e) {
            core::log_warn("store: skipping unreadable alert " + doc.key + ": " + e.what());
        }
    }
    update_gauges();
}

namespace {

// Whether a finding belongs to the incident of an alert with this series (its own or a
// member's). Related series of one rolled-up metric (same family and detector) agree on a label
// ({campaign=x} and {campaign=x, provider=y}; {campaign=x, provider=y} and {campaign=x,
// provider=z}: one campaign at two providers) or have none in common ({campaign=x} and
// {provider=y} meet in {campaign=x, provider=y}); not {campaign=x} and {campaign=z}. Another
// metric belongs when it is about the same series or a level of it (a campaign's unsubscribes
// beside its disagreement; not another campaign at the same provider). A pair's finding, which
// explains more, belongs only to a pair's incident.
bool belongs(const core::Finding& f, const core::Labels& labels, const std::string& metric,
             const std::string& family, const std::string& detector, bool pair) {
    bool shared = false;
    bool agree = false;
    bool differ = false;
    for (const auto& [k, v] : f.labels) {
        const std::string* other = core::find_label(labels, k);
        shared = shared || other != nullptr;
        agree = agree || (other != nullptr && *other == v);
        differ = differ || (other != nullptr && *other != v);
    }
    const bool same_family = !f.family.empty() && family == f.family && detector == f.detector;
    if (same_family) {
        return agree || !shared;
    }
    return metric != f.metric && agree && !differ && (f.pair == nullptr || pair);
}

// The alert's own series as a finding with evidence `e` (its latest, or what it fired on): how
// it joins another incident or becomes a member when another series heads its own.
core::Finding head_finding(const Alert& a, const core::Evidence& e) {
    core::Finding f;
    static_cast<core::Evidence&>(f) = e;
    f.metric = a.metric;
    f.family = a.family;
    f.detector = a.detector;
    f.detector_type = a.detector_type;
    f.severity = a.severity;
    f.labels = a.labels;
    return f;
}

std::int64_t last_anomalous(const Alert& a) {
    std::int64_t last = a.last_anomalous_ms;
    for (const auto& [fp, m] : a.members) {
        last = std::max(last, m.last_anomalous_ms);
    }
    return last;
}

}  // namespace

Alert* AlertManager::incident_of(const core::Finding& f) {
    const std::string team = f.team.empty() ? "unassigned" : f.team;
    for (const auto& [fp, id] : open_) {
        Alert& a = by_id_.at(id);
        if (a.team != team) {
            continue;
        }
        if (belongs(f, a.labels, a.metric, a.family, a.detector, a.pair.has_value())) {
            return &a;
        }
        for (const auto& [member_fp, m] : a.members) {
            if (belongs(f, m.labels, m.metric, m.family, m.detector, m.pair)) {
                return &a;
            }
        }
    }
    return nullptr;
}

void AlertManager::absorb_fresh(Alert& pair_alert, std::int64_t window_ms) {
    for (auto it = open_.begin(); it != open_.end();) {
        Alert& a = by_id_.at(it->second);
        core::Finding as_finding = head_finding(a, a);
        as_finding.window_end_ms = a.last_anomalous_ms;
        const bool fresh = a.fired_window_end_ms + window_ms >= pair_alert.fired_window_end_ms;
        if (&a == &pair_alert || a.pair || a.team != pair_alert.team || !fresh ||
            !belongs(as_finding, pair_alert.labels, pair_alert.metric, pair_alert.family,
                     pair_alert.detector, true)) {
            ++it;
            continue;
        }
        // Raised a window before the pair that explains it: it joins the pair's alert, and its
        // own card says so.
        const std::string fp = a.fingerprint;
        it = open_.erase(it);
        resolve(a, ("joined " + pair_alert.id).c_str());
        add_member(pair_alert, fp, as_finding);
    }
}

void AlertManager::add_member(Alert& a, const std::string& fp, const core::Finding& f) {
    auto [it, added] = a.members.try_emplace(fp);
    Alert::Member& m = it->second;
    if (added) {
        m.labels = f.labels;
        m.metric = f.metric;
        m.family = f.family;
        m.detector = f.detector;
        m.pair = f.pair != nullptr;
        m.first = f;
        if (a.also.size() < kMaxAlso) {
            m.line = static_cast<int>(a.also.size());
            a.also.emplace_back();
        }
        member_of_[fp] = a.id;
    }
    m.last_anomalous_ms = f.window_end_ms;
    m.latest = f;
    if (m.line >= 0) {
        a.also[static_cast<std::size_t>(m.line)] =
            f.metric + " " + series_text(f.labels) + ": " + f.reason;
    }
    if (added) {
        head_by_level(a);
    }
    store_.put_alert({a.id, "firing", to_json(a).dump(), a.updated_at_ms});
}

// The level that explains an incident of a rolled-up metric is the most specific one at which
// exactly one series is anomalous and whose excess (events beyond the expected) accounts for at
// least half of every broader anomalous level's: one campaign at one provider (a 12% bounce
// rate at gmail.com while the campaign reads 2.5%); the campaign when several of its providers
// are, or when the one that fired holds only a small part of its excess (a complaint spike
// across its list); the provider when several campaigns are (a provider-wide block). The alert
// keeps its id and card; its head moves there and the series it had becomes a member.
void AlertManager::head_by_level(Alert& a) {
    if (a.family.empty() || a.pair) {
        return;
    }
    struct Series {
        const std::string* fp;
        const core::Labels* labels;
        double excess;
    };
    auto excess = [](const core::Evidence& e) {
        return e.denominator > 0 ? e.numerator - e.expected * e.denominator
                                 : e.observed - e.expected;
    };
    std::vector<Series> fired{{&a.fingerprint, &a.labels, excess(a)}};
    for (const auto& [fp, m] : a.members) {
        if (m.family == a.family && m.detector == a.detector) {
            fired.push_back({&fp, &m.labels, excess(m.latest)});
        }
    }
    // Whether every label of `broad` is in `narrow` with the same value (and narrow has more).
    auto above = [](const core::Labels& broad, const core::Labels& narrow) {
        if (broad.size() >= narrow.size()) {
            return false;
        }
        for (const auto& [k, v] : broad) {
            const std::string* other = core::find_label(narrow, k);
            if (other == nullptr || *other != v) {
                return false;
            }
        }
        return true;
    };
    auto same_level = [](const core::Labels& x, const core::Labels& y) {
        if (x.size() != y.size()) {
            return false;
        }
        for (const auto& [k, v] : x) {
            if (core::find_label(y, k) == nullptr) {
                return false;
            }
        }
        return true;
    };
    const Series* head = nullptr;
    for (const auto& s : fired) {
        bool explains = true;
        for (const auto& other : fired) {
            if (&other == &s) {
                continue;
            }
            if (same_level(*other.labels, *s.labels) ||
                (above(*other.labels, *s.labels) && s.excess < 0.5 * other.excess)) {
                explains = false;
                break;
            }
        }
        if (!explains) {
            continue;
        }
        const bool better =
            head == nullptr || s.labels->size() > head->labels->size() ||
            (s.labels->size() == head->labels->size() && head->fp != &a.fingerprint &&
             (s.fp == &a.fingerprint || s.excess > head->excess));
        if (better) {
            head = &s;
        }
    }
    if (head == nullptr || head->fp == &a.fingerprint) {
        return;
    }
    const std::string fp = *head->fp;
    Alert::Member promoted = std::move(a.members.at(fp));
    a.members.erase(fp);
    // The series it had becomes a member, on the line the promoted one leaves.
    Alert::Member old;
    old.labels = a.labels;
    old.metric = a.metric;
    old.family = a.family;
    old.detector = a.detector;
    old.last_anomalous_ms = a.last_anomalous_ms;
    old.line = promoted.line;
    old.first = head_finding(a, a.fired);
    old.latest = head_finding(a, a);
    if (old.line >= 0) {
        a.also[static_cast<std::size_t>(old.line)] =
            a.metric + " " + series_text(a.labels) + ": " + a.reason;
    }
    const std::string old_fp = a.fingerprint;
    a.members.emplace(old_fp, std::move(old));
    member_of_[old_fp] = a.id;
    member_of_.erase(fp);
    open_.erase(old_fp);
    open_[fp] = a.id;

    a.fingerprint = fp;
    a.metric = promoted.latest.metric;
    a.labels = promoted.latest.labels;
    a.last_anomalous_ms = std::max(a.last_anomalous_ms, promoted.last_anomalous_ms);
    a.fired = promoted.first;
    copy_evidence(a, promoted.latest);
    a.trail = lead_in(fp);  // the chart follows the head
}

void AlertManager::remember(const std::string& fp, const core::Finding& f) {
    const std::uint64_t key = std::strtoull(fp.c_str(), nullptr, 16);
    auto it = lead_.find(key);
    if (it == lead_.end()) {
        if (lead_.size() >= kLeadSeries) {
            std::vector<std::int64_t> last;
            last.reserve(lead_.size());
            for (const auto& [k, l] : lead_) {
                last.push_back(l.last_ms());
            }
            auto middle = last.begin() + static_cast<std::ptrdiff_t>(last.size() / 2);
            std::nth_element(last.begin(), middle, last.end());
            const std::int64_t cut = *middle;
            std::erase_if(lead_, [&](const auto& kv) { return kv.second.last_ms() <= cut; });
        }
        it = lead_.try_emplace(key).first;
    }
    Lead& l = it->second;
    if (l.size > 0 && f.window_end_ms <= l.last_ms()) {
        return;  // replayed
    }
    l.points[l.next] = {f.window_end_ms, static_cast<float>(f.observed),
                        static_cast<float>(f.lower), static_cast<float>(f.upper), f.anomalous};
    l.next = static_cast<std::uint8_t>((l.next + 1) % kLeadPoints);
    l.size = static_cast<std::uint8_t>(std::min<std::size_t>(l.size + 1u, kLeadPoints));
}

std::vector<TrailPoint> AlertManager::lead_in(const std::string& fp) const {
    std::vector<TrailPoint> out;
    auto it = lead_.find(std::strtoull(fp.c_str(), nullptr, 16));
    if (it == lead_.end()) {
        return out;
    }
    const Lead& l = it->second;
    for (std::size_t i = 0; i < l.size; ++i) {
        out.push_back(l.points[(l.next + kLeadPoints - l.size + i) % kLeadPoints]);
    }
    return out;
}

void AlertManager::note(Alert& a, const core::Finding& f) {
    if (a.trail.empty() || a.trail.back().end_ms < f.window_end_ms) {
        a.trail.push_back({f.window_end_ms, static_cast<float>(f.observed),
                           static_cast<float>(f.lower), static_cast<float>(f.upper),
                           f.anomalous});
        if (a.trail.size() > Alert::kTrailPoints) {
            a.trail.erase(a.trail.begin());
        }
    }
    if (!f.anomalous) {
        return;
    }
    if (f.denominator > 0 || f.pair != nullptr) {
        const double reached = f.send_start_ms != 0 ? f.sent : f.denominator;
        auto it = std::find_if(a.impact.begin(), a.impact.end(),
                               [&](const Impact& i) { return i.send_ms == f.send_start_ms; });
        if (it == a.impact.end() && a.impact.size() < Alert::kImpactSends) {
            a.impact.push_back({f.send_start_ms, f.numerator, reached});
        } else if (it == a.impact.end()) {
            a.impact.back().signals += f.numerator;  // past the cap: the sends add up
            a.impact.back().reached += reached;
        } else {
            it->signals = std::max(it->signals, f.numerator);
            it->reached = std::max(it->reached, reached);
        }
    } else if (std::isfinite(f.expected) && f.observed > f.expected) {
        a.excess = std::max(a.excess, f.observed - f.expected);
    }
    for (const auto& s : f.signals) {
        const bool known = std::any_of(a.signals.begin(), a.signals.end(), [&](const auto& x) {
            return x.source == s.source && x.id == s.id;
        });
        if (!known) {
            a.signals.push_back(s);
        }
    }
    std::sort(a.signals.begin(), a.signals.end(),
              [](const core::Signal& x, const core::Signal& y) { return x.time_ms > y.time_ms; });
    if (a.signals.size() > Alert::kSignalsKept) {
        a.signals.resize(Alert::kSignalsKept);
    }
}

void AlertManager::on_finding(const core::Finding& f) {
    if (!f.evaluated) {
        return;
    }
    const std::string fp = fingerprint(f.metric, f.detector, f.labels);
    std::lock_guard lock(mutex_);
    if (auto seen = seen_until_.find(fp); seen != seen_until_.end()) {
        if (f.window_end_ms <= seen->second) {
            return;
        }
        seen->second = f.window_end_ms;
    } else if (f.anomalous) {
        seen_until_[fp] = f.window_end_ms;
    }
    remember(fp, f);
    auto open = open_.find(fp);
    if (auto held = held_.find(fp); held != held_.end()) {
        // Closed by a person while still anomalous: wait for the series to recover.
        if (!f.anomalous) {
            if (auto it = by_id_.find(held->second);
                it != by_id_.end() && it->second.fingerprint == fp) {
                it->second.held_until_recovery = false;
                store_.put_alert({it->second.id, std::string(to_string(it->second.state)),
                                  to_json(it->second).dump(), it->second.updated_at_ms});
            }
            held_.erase(held);
        }
        return;
    }
    if (f.anomalous) {
        if (open != open_.end()) {
            Alert& a = by_id_.at(open->second);
            copy_evidence(a, f);
            note(a, f);
            a.last_anomalous_ms = f.window_end_ms;
            a.updated_at_ms = clock_.now_ms();
            store_.put_alert({a.id, "firing", to_json(a).dump(), a.updated_at_ms});
            return;
        }
        if (auto member = member_of_.find(fp); member != member_of_.end()) {
            auto it = by_id_.find(member->second);
            if (it != by_id_.end() && it->second.state == AlertState::kFiring) {
                add_member(it->second, fp, f);
                return;
            }
            member_of_.erase(member);  // its incident ended: the series starts its own
        }
        if (auto recent = recovered_.find(fp); recent != recovered_.end()) {
            // Back within kReopenWithin of recovering: the same incident flaring again, on
            // the same card, not a new alert.
            auto it = by_id_.find(recent->second);
            const bool reopen = it != by_id_.end() && it->second.resolved_by == "recovered" &&
                                f.window_end_ms - it->second.last_window_ms <= kReopenWithin;
            recovered_.erase(recent);
            if (reopen) {
                Alert& a = it->second;
                a.state = AlertState::kFiring;
                a.resolved_at_ms = 0;
                a.resolved_by.clear();
                a.last_anomalous_ms = f.window_end_ms;
                a.updated_at_ms = clock_.now_ms();
                copy_evidence(a, f);
                note(a, f);
                open_[fp] = a.id;
                save_and_notify(a, "firing", "firing again");
                update_gauges();
                return;
            }
        }
        if (Alert* claimed = incident_of(f)) {
            // The same incident at another level of a rolled-up metric, or from another side:
            // context on the alert already firing, not an alert of its own.
            add_member(*claimed, fp, f);
            return;
        }
        Alert a;
        a.fingerprint = fp;
        a.family = f.family;
        a.id = fp + "-" + std::to_string(f.window_start_ms);
        a.metric = f.metric;
        a.detector = f.detector;
        a.detector_type = f.detector_type;
        a.severity = f.severity;
        a.team = f.team.empty() ? "unassigned" : f.team;
        a.labels = f.labels;
        a.since_ms = f.window_start_ms;
        a.fired_window_end_ms = a.last_anomalous_ms = f.window_end_ms;
        a.fired_at_ms = a.updated_at_ms = clock_.now_ms();
        copy_evidence(a, f);
        a.fired = f;
        a.trail = lead_in(fp);
        note(a, f);
        open_[fp] = a.id;
        auto [it, inserted] = by_id_.insert_or_assign(a.id, std::move(a));
        save_and_notify(it->second, "firing");
        if (f.pair != nullptr) {
            absorb_fresh(it->second, f.window_end_ms - f.window_start_ms);
        }
        update_gauges();
        return;
    }
    if (open != open_.end()) {
        Alert& a = by_id_.at(open->second);
        copy_evidence(a, f);
        note(a, f);
        if (f.window_end_ms - last_anomalous(a) < kResolveAfter) {
            a.updated_at_ms = clock_.now_ms();
            store_.put_alert({a.id, "firing", to_json(a).dump(), a.updated_at_ms});
            return;
        }
        resolve(a, "recovered");
        recovered_[fp] = a.id;
        open_.erase(open);
        update_gauges();
    }
}

void AlertManager::on_series_idle(const std::string& metric, const core::Labels& labels) {
    std::lock_guard lock(mutex_);
    bool changed = false;
    for (auto it = held_.begin(); it != held_.end();) {
        auto a = by_id_.find(it->second);
        if (a == by_id_.end() || (a->second.metric == metric && a->second.labels == labels)) {
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
    for (auto it = open_.begin(); it != open_.end();) {
        Alert& a = by_id_.at(it->second);
        if (a.metric == metric && a.labels == labels) {
            resolve(a, "series idle");
            it = open_.erase(it);
            changed = true;
        } else {
            ++it;
        }
    }
    if (changed) {
        update_gauges();
    }
}

void AlertManager::resolve(Alert& a, const char* why) {
    for (const auto& [fp, m] : a.members) {
        if (auto it = member_of_.find(fp); it != member_of_.end() && it->second == a.id) {
            member_of_.erase(it);
        }
    }
    a.state = AlertState::kResolved;
    a.resolved_at_ms = a.updated_at_ms = clock_.now_ms();
    a.resolved_by = why;
    save_and_notify(a, "resolved");
    // Bound memory: forget the oldest resolved alerts (they stay in the store).
    std::size_t resolved = by_id_.size() - open_.size();
    if (resolved > kMaxResolvedKept) {
        std::string oldest;
        std::int64_t oldest_ms = INT64_MAX;
        for (const auto& [id, alert] : by_id_) {
            if (alert.state == AlertState::kResolved && alert.resolved_at_ms < oldest_ms) {
                oldest_ms = alert.resolved_at_ms;
                oldest = id;
            }
        }
        holds_.forget(oldest);
        if (auto r = recovered_.find(by_id_.at(oldest).fingerprint);
            r != recovered_.end() && r->second == oldest) {
            recovered_.erase(r);
        }
        by_id_.erase(oldest);
    }
}

void AlertManager::save_and_notify(Alert& a, const std::string& transition,
                                   const std::string& note, const std::string& target) {
    holds_.track(a);
    const auto why = holds_.reason(a, clock_.now_ms());
    a.held_by = why.value_or("");
    // A resolved alert nobody was told of stays quiet.
    const bool tell = !why && (a.state == AlertState::kFiring || a.notified);
    a.notified = a.notified || tell;
    // Brought to people's attention (again): by whoever is on duty now.
    if (tell && a.state == AlertState::kFiring && calls_people(transition)) {
        a.on_duty = roster_.for_alert(a, clock_.now_ms());
    }
    // The alert's state and its notifications' outbox rows are kept together: a kill between
    // them would otherwise lose the notification (the state change is not made again).
    store_.atomically([&] {
        store_.put_alert(
            {a.id, std::string(to_string(a.state)), to_json(a).dump(), a.updated_at_ms});
        if (tell) {
            Notification n;
            n.alert = a;
            n.transition = transition;
            n.note = note;
            n.target = target;
            notifier_.enqueue(n);
        }
    });
}

void AlertManager::release_holds(std::int64_t now) {
    for (auto& [id, a] : by_id_) {
        if (a.held_by.empty() || holds_.reason(a, now)) {
            continue;
        }
        const std::string was = a.held_by;
        a.updated_at_ms = now;
        if (a.state == AlertState::kFiring) {
            a.unsnoozed_at_ms = now;  // escalation counts from the end of the hold
            store_.append_audit({now, a.id, "hold_ended", "terrain", was, "done"});
            save_and_notify(a, a.notified ? "released" : "firing",
                            "No longer held (" + was + "); the alert is still firing.");
        } else {
            save_and_notify(a, "resolved", "Resolved while held (" + was + ").");
        }
    }
}

Silence AlertManager::add_silence(Silence s) {
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_.now_ms();
    if (s.starts_ms == 0) {
        s.starts_ms = now;
    }
    std::string text;
    for (const auto& [k, v] : s.matchers) {
        text += (text.empty() ? "" : " ") + k + "=" + v;
    }
    s.id = "silence-" + core::sha256_hex(text + "\n" + std::to_string(now) + "\n" +
                                            std::to_string(silences_.size()) + s.created_by)
                            .substr(0, 12);
    silences_.push_back(s);
    store_.put_silence({s.id, "active", to_json(s).dump(), now});
    store_.append_audit({now, s.id, "silence", s.created_by,
                         text + " until " + core::format_rfc3339_ms(s.ends_ms) +
                             (s.comment.empty() ? "" : "; " + s.comment),
                         "done"});
    // Open alerts it covers show it at once; their receivers hear of them when it ends.
    apply_holds(now);
    return s;
}

void AlertManager::apply_holds(std::int64_t now) {
    for (const auto& [fp, id] : open_) {
        Alert& a = by_id_.at(id);
        if (auto why = holds_.reason(a, now); why && a.held_by != *why) {
            a.held_by = *why;
            store_.put_alert({a.id, "firing", to_json(a).dump(), a.updated_at_ms});
        }
    }
}

bool AlertManager::expire_silence(const std::string& id, const std::string& actor) {
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_.now_ms();
    for (auto& s : silences_) {
        if (s.id == id && s.ends_ms > now) {
            s.ends_ms = now;
            store_.put_silence({s.id, "expired", to_json(s).dump(), now});
            store_.append_audit({now, s.id, "expire_silence", actor, "", "done"});
            release_holds(now);
            return true;
        }
    }
    return false;
}

std::vector<Silence> AlertManager::silences() const {
    std::lock_guard lock(mutex_);
    std::vector<Silence> out(silences_.rbegin(), silences_.rend());
    return out;
}

void AlertManager::tick() {
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_.now_ms();
    release_holds(now);
    if (holds_.timed()) {
        apply_holds(now);
    }
    for (const auto& [fp, id] : open_) {
        Alert& a = by_id_.at(id);
        if (!a.held_by.empty()) {
            continue;  // receivers hear of it when the hold ends
        }
        if (a.snoozed_until_ms != 0) {
            if (now < a.snoozed_until_ms) {
                continue;  // held until the snooze ends
            }
            a.snoozed_until_ms = 0;
            a.unsnoozed_at_ms = a.updated_at_ms = now;
            store_.append_audit({now, a.id, "snooze_ended", "terrain", "", "done"});
            save_and_notify(a, "snooze_ended", "Snooze ended; the alert is still firing.");
            continue;
        }
        for (const auto& r : routes_) {
            if (!route_matches(r.match, a)) {
                continue;
            }
            const std::int64_t quiet_since = std::max(a.fired_at_ms, a.unsnoozed_at_ms);
            if (r.escalate_after_ms > 0 && a.acknowledged_at_ms == 0 && a.escalated_at_ms == 0 &&
                now - quiet_since >= r.escalate_after_ms) {
                a.escalated_at_ms = a.updated_at_ms = now;
                const std::string why = "nobody acknowledged within " +
                                        core::format_duration_ms(r.escalate_after_ms) + "; escalated to " +
                                        r.escalate_to;
                store_.append_audit({now, a.id, "escalate", "terrain", why, "done"});
                telemetry_.of<AlertMetrics>().escalations.Add({{"receiver", r.escalate_to}}).Increment();
                save_and_notify(a, "escalated", "Escalated: " + why + ".");
            }
            const std::int64_t last = std::max(a.acknowledged_at_ms, a.reminded_at_ms);
            if (r.remind_every_ms > 0 && a.acknowledged_at_ms != 0 &&
                now - last >= r.remind_every_ms) {
                a.reminded_at_ms = a.updated_at_ms = now;
                save_and_notify(a, "reminder",
                                "Reminder: still firing, acknowledged by " + a.acknowledged_by +
                                    " " + core::format_duration_ms(now - a.acknowledged_at_ms) + " ago.",
                                r.name);
            }
        }
    }
}

bool AlertManager::record_override(const std::string& alert_id, const OverrideRecord& record,
                                   const std::string& note) {
    std::lock_guard lock(mutex_);
    Alert* a = find(alert_id);
    if (a == nullptr) {
        return false;
    }
    auto same = std::find_if(a->overrides.begin(), a->overrides.end(),
                             [&](const OverrideRecord& o) { return o.action == record.action; });
    if (same != a->overrides.end()) {
        *same = record;
    } else {
        a->overrides.push_back(record);
    }
    a->updated_at_ms = clock_.now_ms();
    if (a->first_action_at_ms == 0) {
        a->first_action_at_ms = a->updated_at_ms;
    }
    save_and_notify(*a, "action", note);
    return true;
}

void AlertManager::update_gauges() {
    // Every (state, severity, team) seen keeps its gauge (at 0 when empty), so a dashboard
    // shows zeros rather than gaps; teams come from configuration and are few.
    for (auto& [key, n] : alert_counts_) {
        n = 0;
    }
    for (const auto& sev : {"critical", "warning", "info"}) {
        for (const auto& state : {"firing", "acknowledged", "resolved"}) {
            alert_counts_.try_emplace({state, sev, "unassigned"}, 0);
        }
    }
    for (const auto& [id, a] : by_id_) {
        const char* state = a.state == AlertState::kResolved ? "resolved"
                            : a.acknowledged_at_ms != 0      ? "acknowledged"
                                                             : "firing";
        alert_counts_[{state, a.severity, a.team}] += 1;
    }
    for (const auto& [key, n] : alert_counts_) {
        const auto& [state, severity, team] = key;
        telemetry_.of<AlertMetrics>().alerts.Add({{"state", state}, {"severity", severity}, {"team", team}}).Set(n);
    }
}

Alert* AlertManager::find(const std::string& key) {
    return const_cast<Alert*>(std::as_const(*this).find(key));
}

const Alert* AlertManager::find(const std::string& key) const {
    if (auto it = by_id_.find(key); it != by_id_.end()) {
        return &it->second;
    }
    if (auto it = open_.find(key); it != open_.end()) {
        return &by_id_.at(it->second);
    }
    // A fingerprint with no open alert: its latest incident.
    const Alert* latest = nullptr;
    for (const auto& [id, a] : by_id_) {
        if (a.fingerprint == key && (latest == nullptr || a.fired_at_ms > latest->fired_at_ms)) {
            latest = &a;
        }
    }
    return latest;
}

std::vector<Alert> AlertManager::list(std::optional<AlertState> state) const {
    std::lock_guard lock(mutex_);
    std::vector<Alert> out;
    for (const auto& [id, a] : by_id_) {
        if (!state || a.state == *state) {
            out.push_back(a);
        }
    }
    std::sort(out.begin(), out.end(),
              [](const Alert& x, const Alert& y) { return x.fired_at_ms > y.fired_at_ms; });
    return out;
}

std::optional<Alert> AlertManager::get(const std::string& key) const {
    std::lock_guard lock(mutex_);
    if (const Alert* a = find(key)) {
        return *a;
    }
    return std::nullopt;
}

}  // namespace terrain::alerts
