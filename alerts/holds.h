#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/weekly_window.h"
#include "core/config.h"

namespace terrain::alerts {

struct Silence;

// What holds alerts besides silences: the labels each override action holds while it is done
// (ActionConfig::holds: a paused campaign's other alerts), the quiet windows, and the inhibit
// rules (one firing alert holds others that share its labels).
struct HoldRules {
    std::map<std::string, std::vector<std::string>> holds;  // action name -> labels
    std::vector<WeeklyWindow> quiet;
    std::vector<core::InhibitRuleConfig> inhibit;
    bool timed() const { return !quiet.empty() || !inhibit.empty(); }
};

// One reason an alert's notifications can be held, answering on its own "is this alert held
// now, and why", as Alertmanager's mute stages do. Stages that depend on other alerts keep an
// index of them (updated by track/forget whenever an alert is saved or dropped), so a question
// costs a lookup, not a scan of every alert.
class HoldStage {
public:
    virtual ~HoldStage() = default;
    virtual void track(const Alert& /*alert*/) {}
    virtual void forget(const std::string& /*alert_id*/) {}
    virtual std::optional<std::string> held(const Alert& alert, std::int64_t now_ms) const = 0;
};

// The stages in order (silences, quiet windows, inhibition, override holds): the first that
// holds an alert gives the reason. Not thread-safe: used under the alert manager's lock.
class Holds final {
public:
    Holds(HoldRules rules, const std::vector<Silence>& silences);
    ~Holds();
    Holds(const Holds&) = delete;
    Holds& operator=(const Holds&) = delete;

    void track(const Alert& alert);
    void forget(const std::string& alert_id);
    std::optional<std::string> reason(const Alert& alert, std::int64_t now_ms) const;
    // Whether holds can begin or end with time alone (quiet windows, inhibition).
    bool timed() const { return timed_; }
    bool holds_by_override() const { return by_override_; }

private:
    std::vector<std::unique_ptr<HoldStage>> stages_;
    bool timed_ = false;
    bool by_override_ = false;
};

}  // namespace terrain::alerts
