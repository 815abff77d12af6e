#include "alerts/holds.h"

#include "alerts/manager.h"
#include "core/duration.h"

namespace terrain::alerts {

namespace {

// Label values as one key; a label the alert lacks is its own value, so two alerts that both
// lack it are equal (as in Alertmanager) and one that lacks it equals no alert that has it.
std::string key_of(const Alert& a, const std::vector<std::string>& labels) {
    std::string key;
    for (const auto& l : labels) {
        const std::string* v = label_value(a, l);
        key += v == nullptr ? std::string("\x01") : "=" + *v;
        key += '\x1f';
    }
    return key;
}

class SilenceStage final : public HoldStage {
public:
    explicit SilenceStage(const std::vector<Silence>& silences) : silences_(silences) {}
    std::optional<std::string> held(const Alert& a, std::int64_t now) const override {
        for (const auto& s : silences_) {
            if (s.active(now) && route_matches(s.matchers, a)) {
                return "silenced by " + s.id + " until " + core::format_rfc3339_ms(s.ends_ms) +
                       (s.comment.empty() ? "" : " (" + s.comment + ")");
            }
        }
        return std::nullopt;
    }

private:
    const std::vector<Silence>& silences_;
};

class QuietStage final : public HoldStage {
public:
    explicit QuietStage(std::vector<WeeklyWindow> windows) : windows_(std::move(windows)) {}
    std::optional<std::string> held(const Alert& a, std::int64_t now) const override {
        for (const auto& q : windows_) {
            if (route_matches(q.config().match, a) && q.active(now)) {
                return "held: quiet window " + q.describe();
            }
        }
        return std::nullopt;
    }

private:
    std::vector<WeeklyWindow> windows_;
};

// Inhibit rules, each with an index of the firing alerts its source_match takes, by the values
// of its `equal` labels.
class InhibitStage final : public HoldStage {
public:
    explicit InhibitStage(std::vector<core::InhibitRuleConfig> rules) : rules_(std::move(rules)) {
        sources_.resize(rules_.size());
    }
    void track(const Alert& a) override {
        forget(a.id);
        if (a.state != AlertState::kFiring) {
            return;
        }
        for (std::size_t r = 0; r < rules_.size(); ++r) {
            if (route_matches(rules_[r].source_match, a)) {
                const std::string key = key_of(a, rules_[r].equal);
                sources_[r][key][a.fingerprint] = {a.id, a.severity, a.metric};
                keys_[a.id].emplace_back(r, key, a.fingerprint);
            }
        }
    }
    void forget(const std::string& id) override {
        auto it = keys_.find(id);
        if (it == keys_.end()) {
            return;
        }
        for (const auto& [r, key, fp] : it->second) {
            auto& by_key = sources_[r];
            auto k = by_key.find(key);
            if (k != by_key.end()) {
                k->second.erase(fp);
                if (k->second.empty()) {
                    by_key.erase(k);
                }
            }
        }
        keys_.erase(it);
    }
    std::optional<std::string> held(const Alert& a, std::int64_t) const override {
        for (std::size_t r = 0; r < rules_.size(); ++r) {
            if (!route_matches(rules_[r].target_match, a)) {
                continue;
            }
            auto k = sources_[r].find(key_of(a, rules_[r].equal));
            if (k == sources_[r].end()) {
                continue;
            }
            for (const auto& [fp, b] : k->second) {
                if (b.id != a.id) {
                    return "inhibited by " + b.severity + " alert " + b.id + " (" + b.metric + ")";
                }
            }
        }
        return std::nullopt;
    }

private:
    struct Source {
        std::string id;
        std::string severity;
        std::string metric;
    };
    std::vector<core::InhibitRuleConfig> rules_;
    // per rule: equal-label key -> fingerprint -> the firing source alert
    std::vector<std::map<std::string, std::map<std::string, Source>>> sources_;
    std::map<std::string, std::vector<std::tuple<std::size_t, std::string, std::string>>> keys_;
};

// Done overrides whose action holds labels: other alerts with the same values are held.
class OverrideStage final : public HoldStage {
public:
    explicit OverrideStage(std::map<std::string, std::vector<std::string>> holds)
        : holds_(std::move(holds)) {}
    void track(const Alert& b) override {
        forget(b.id);
        for (const auto& o : b.overrides) {
            auto labels = holds_.find(o.action);
            if (o.state != "done" || labels == holds_.end() || labels->second.empty()) {
                continue;
            }
            std::string shared;
            for (const auto& label : labels->second) {
                const std::string* v = core::find_label(b.labels, label);
                if (v == nullptr) {
                    shared.clear();
                    break;
                }
                shared += (shared.empty() ? "" : " ") + label + "=" + *v;
            }
            if (!shared.empty()) {
                const std::string key = o.action + '\x1f' + shared;
                holders_[key][b.id] = "held: " + o.label + " (" + shared + ") by " + o.by +
                                      " on alert " + b.id;
                keys_[b.id].push_back(key);
            }
        }
    }
    void forget(const std::string& id) override {
        auto it = keys_.find(id);
        if (it == keys_.end()) {
            return;
        }
        for (const auto& key : it->second) {
            auto h = holders_.find(key);
            if (h != holders_.end()) {
                h->second.erase(id);
                if (h->second.empty()) {
                    holders_.erase(h);
                }
            }
        }
        keys_.erase(it);
    }
    std::optional<std::string> held(const Alert& a, std::int64_t) const override {
        std::optional<std::string> first;
        std::string first_id;
        for (const auto& [action, labels] : holds_) {
            std::string shared;
            for (const auto& label : labels) {
                const std::string* v = core::find_label(a.labels, label);
                if (v == nullptr) {
                    shared.clear();
                    break;
                }
                shared += (shared.empty() ? "" : " ") + label + "=" + *v;
            }
            auto h = shared.empty() ? holders_.end() : holders_.find(action + '\x1f' + shared);
            if (h == holders_.end()) {
                continue;
            }
            for (const auto& [id, why] : h->second) {
                if (id != a.id && (!first || id < first_id)) {
                    first = why;  // the holding alert of the lowest id, as a scan would find
                    first_id = id;
                    break;
                }
            }
        }
        return first;
    }

private:
    std::map<std::string, std::vector<std::string>> holds_;
    std::map<std::string, std::map<std::string, std::string>> holders_;  // key -> id -> reason
    std::map<std::string, std::vector<std::string>> keys_;               // alert id -> keys
};

}  // namespace

Holds::Holds(HoldRules rules, const std::vector<Silence>& silences)
    : timed_(rules.timed()), by_override_(!rules.holds.empty()) {
    stages_.push_back(std::make_unique<SilenceStage>(silences));
    stages_.push_back(std::make_unique<QuietStage>(std::move(rules.quiet)));
    stages_.push_back(std::make_unique<InhibitStage>(std::move(rules.inhibit)));
    stages_.push_back(std::make_unique<OverrideStage>(std::move(rules.holds)));
}

Holds::~Holds() = default;

void Holds::track(const Alert& alert) {
    for (auto& s : stages_) {
        s->track(alert);
    }
}

void Holds::forget(const std::string& alert_id) {
    for (auto& s : stages_) {
        s->forget(alert_id);
    }
}

std::optional<std::string> Holds::reason(const Alert& alert, std::int64_t now_ms) const {
    for (const auto& s : stages_) {
        if (auto why = s->held(alert, now_ms)) {
            return why;
        }
    }
    return std::nullopt;
}

}  // namespace terrain::alerts
