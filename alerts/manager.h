#pragma once

#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/notifier.h"
#include "monitor/clock.h"
#include "monitor/finding.h"
#include "monitor/store.h"
#include "monitor/telemetry.h"

namespace terrain::alerts {

// Turns findings into alerts. Idempotent under replay: see seen_until_. A finding that is anomalous opens an alert for its fingerprint,
// or updates the open one (no second notification); an evaluated, normal finding resolves it.
// Every change is written to the store before notifying, so a restart keeps alerts and does
// not notify twice. on_finding/on_series_idle are called from the pipeline thread; list/get
// from API threads. Thread-safe.
class AlertManager final {
public:
    AlertManager(monitor::Store& store, Notifier& notifier, monitor::Telemetry& telemetry,
                 const monitor::Clock& clock);

    void on_finding(const monitor::Finding& finding);
    // The series produced no events for its metric's idle_after: its open alerts resolve.
    void on_series_idle(const std::string& metric, const monitor::Labels& labels);

    std::vector<Alert> list(std::optional<AlertState> state) const;
    std::optional<Alert> get(const std::string& id_or_fingerprint) const;

private:
    void save_and_notify(const Alert& alert, const char* transition);
    void resolve(Alert& alert, const char* why);
    void update_gauges();

    monitor::Store& store_;
    Notifier& notifier_;
    monitor::Telemetry& telemetry_;
    const monitor::Clock& clock_;
    mutable std::mutex mutex_;
    std::map<std::string, Alert> by_id_;
    std::map<std::string, std::string> open_;  // fingerprint -> id of the firing alert
    // fingerprint -> end of the latest window any of its alerts has seen. Findings for windows
    // up to there are history (a replay of the event log after a restart) and change nothing,
    // so a restart neither re-opens nor re-notifies an alert.
    std::map<std::string, std::int64_t> seen_until_;
};

}  // namespace terrain::alerts
