#include "alerts/manager.h"

#include <cmath>

#include "monitor/log.h"

namespace terrain::alerts {

namespace {

constexpr std::size_t kMaxResolvedKept = 10'000;

std::string series_text(const monitor::Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        out += (out.empty() ? "" : " ") + k + "=" + v;
    }
    return out.empty() ? "all traffic" : out;
}

void copy_evidence(Alert& a, const monitor::Finding& f) {
    a.observed = f.observed;
    a.expected = f.expected;
    a.lower = f.lower;
    a.upper = f.upper;
    a.score = f.score;
    a.numerator = f.numerator;
    a.denominator = f.denominator;
    a.reason = f.reason;
    a.last_window_ms = f.window_end_ms;
    a.summary = f.metric + " for " + series_text(f.labels) + ": " + f.reason;
    if (f.denominator > 0) {
        char buf[96];
        std::snprintf(buf, sizeof buf, " (%.0f of %.0f)", f.numerator, f.denominator);
        a.summary += buf;
    }
}

}  // namespace

AlertManager::AlertManager(monitor::Store& store, Notifier& notifier,
                           monitor::Telemetry& telemetry, const monitor::Clock& clock)
    : store_(store), notifier_(notifier), telemetry_(telemetry), clock_(clock) {
    for (const auto& doc : store_.load_alerts()) {
        try {
            Alert a = alert_from_json(nlohmann::json::parse(doc.body));
            if (a.state == AlertState::kFiring) {
                open_[a.fingerprint] = a.id;
            }
            auto& until = seen_until_[a.fingerprint];
            until = std::max(until, a.last_window_ms);
            by_id_[a.id] = std::move(a);
        } catch (const std::exception& e) {
            monitor::log_warn("store: skipping unreadable alert " + doc.key + ": " + e.what());
        }
    }
    update_gauges();
}

void AlertManager::on_finding(const monitor::Finding& f) {
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
    auto open = open_.find(fp);
    if (f.anomalous) {
        if (open != open_.end()) {
            Alert& a = by_id_.at(open->second);
            copy_evidence(a, f);
            a.updated_at_ms = clock_.now_ms();
            store_.put_alert({a.id, "firing", to_json(a).dump(), a.updated_at_ms});
            return;
        }
        Alert a;
        a.fingerprint = fp;
        a.id = fp + "-" + std::to_string(f.window_start_ms);
        a.metric = f.metric;
        a.detector = f.detector;
        a.detector_type = f.detector_type;
        a.severity = f.severity;
        a.labels = f.labels;
        a.since_ms = f.window_start_ms;
        a.fired_at_ms = a.updated_at_ms = clock_.now_ms();
        copy_evidence(a, f);
        open_[fp] = a.id;
        auto [it, inserted] = by_id_.insert_or_assign(a.id, std::move(a));
        save_and_notify(it->second, "firing");
        update_gauges();
        return;
    }
    if (open != open_.end()) {
        Alert& a = by_id_.at(open->second);
        copy_evidence(a, f);
        resolve(a, "recovered");
        open_.erase(open);
        update_gauges();
    }
}

void AlertManager::on_series_idle(const std::string& metric, const monitor::Labels& labels) {
    std::lock_guard lock(mutex_);
    bool changed = false;
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
        by_id_.erase(oldest);
    }
}

void AlertManager::save_and_notify(const Alert& a, const char* transition) {
    store_.put_alert({a.id, std::string(to_string(a.state)), to_json(a).dump(), a.updated_at_ms});
    notifier_.enqueue(Notification{a, transition, 0});
}

void AlertManager::update_gauges() {
    std::map<std::pair<std::string, std::string>, double> counts;
    for (const auto& sev : {"critical", "warning", "info"}) {
        counts[{"firing", sev}] = 0;
        counts[{"resolved", sev}] = 0;
    }
    for (const auto& [id, a] : by_id_) {
        counts[{std::string(to_string(a.state)), a.severity}] += 1;
    }
    for (const auto& [key, n] : counts) {
        telemetry_.alerts.Add({{"state", key.first}, {"severity", key.second}}).Set(n);
    }
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
    if (auto it = by_id_.find(key); it != by_id_.end()) {
        return it->second;
    }
    if (auto it = open_.find(key); it != open_.end()) {
        return by_id_.at(it->second);
    }
    return std::nullopt;
}

}  // namespace terrain::alerts
