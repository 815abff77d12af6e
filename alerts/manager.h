#pragma once

#include <array>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "alerts/alert.h"
#include "alerts/holds.h"
#include "alerts/notifier.h"
#include "alerts/on_duty.h"
#include "alerts/weekly_window.h"
#include "core/clock.h"
#include "core/finding.h"
#include "core/store.h"
#include "core/telemetry.h"

namespace terrain::alerts {

// A person acting on an alert (from the API today; from chat buttons later).
struct ActionRequest {
    std::string action;  // acknowledge | snooze | resolve | not_a_problem | confirm
    std::string actor;   // who, as the caller identified them
    std::string reason;  // required for not_a_problem
    std::int64_t duration_ms = 0;  // required for snooze
};

struct ActionResult {
    int status = 200;   // HTTP-style: 200 done, 400 bad request, 404 no alert, 409 conflict
    std::string error;  // machine-readable reason when not done
    std::string message;
    std::optional<Alert> alert;
};

// A snooze length read from text ("30m", "4h"): more than zero and at most 30 days, else
// nullopt. Shared by the API and chat clicks so both accept the same snoozes.
std::optional<std::int64_t> parse_snooze(std::string_view text);

// The actions terrain itself carries out on an alert.
const std::vector<std::string>& alert_actions();

// A silence, as Alertmanager users know it: from starts to ends, alerts matching every
// matcher (their labels, metric, detector, severity and team) are held: receivers are not told
// of them. When it ends, the still-firing ones are notified (once).
struct Silence {
    std::string id;
    core::Labels matchers;
    std::int64_t starts_ms = 0;
    std::int64_t ends_ms = 0;
    std::string created_by;
    std::string comment;
    bool active(std::int64_t now_ms) const { return starts_ms <= now_ms && now_ms < ends_ms; }
};
nlohmann::json to_json(const Silence& silence);
Silence silence_from_json(const nlohmann::json& j);

// Turns findings into alerts. Idempotent under replay: see seen_until_. A finding that is
// anomalous opens an alert for its fingerprint, or updates the open one (no second
// notification); an evaluated, normal finding resolves it. Every change is written to the
// store with its notifications, so a restart keeps alerts and does not notify twice.
// on_finding/on_series_idle are called from the pipeline thread; list/get from API threads.
// Thread-safe.
class AlertManager final : public core::FindingSink {
public:
    // The configured "not a problem" reasons: terrain_not_a_problem_total counts by them (and
    // any other as "other").
    void set_reasons(const std::vector<std::string>& reasons) {
        reasons_ = std::set<std::string>(reasons.begin(), reasons.end());
    }
    // `routes` are the receivers' configurations, for escalation and reminders; `roster` names
    // the people on duty for each alert when it is brought to people's attention.
    AlertManager(core::Store& store, Notifier& notifier, core::Telemetry& telemetry,
                 const core::Clock& clock, std::vector<core::ReceiverConfig> routes = {},
                 HoldRules rules = {}, DutyRoster roster = DutyRoster());

    const DutyRoster& roster() const { return roster_; }

    void on_finding(const core::Finding& finding) override;
    // The series produced no events for its metric's idle_after: its open alerts resolve.
    void on_series_idle(const std::string& metric, const core::Labels& labels) override;

    // Applies a person's action, records it in the audit trail (done or refused) and notifies
    // the receivers of the change.
    ActionResult act(const std::string& id_or_fingerprint, const ActionRequest& request);

    // Time-driven changes, called about once a second from one housekeeping thread: a hold
    // that began (a quiet window opened, an inhibiting alert fired: the open alerts it holds
    // say so), a snooze that
    // ended (notified once), a hold that ended (a silence expired, a quiet window closed, an
    // override reverted: the alert is notified as it is now), an alert nobody acknowledged within a route's
    // escalate_after (escalated, audited), an acknowledged alert still firing after
    // remind_every (a reminder). Snoozed and held alerts neither escalate nor remind.
    void tick();

    // Silences: added (an id is given; audited), ended now by a person (false when there is no
    // such active silence), and listed (newest first).
    Silence add_silence(Silence silence);
    bool expire_silence(const std::string& id, const std::string& actor);
    std::vector<Silence> silences() const;

    // An override's progress (requested, done, failed, reverted) on the alert's card, with a
    // line for its thread. False when there is no such alert.
    bool record_override(const std::string& alert_id, const OverrideRecord& record,
                         const std::string& note);

    std::vector<Alert> list(std::optional<AlertState> state) const;
    std::optional<Alert> get(const std::string& id_or_fingerprint) const;

private:
    // Saves the alert and tells the receivers, unless it is held (then only saved, with why).
    void save_and_notify(Alert& alert, const std::string& transition,
                         const std::string& note = "", const std::string& target = "");
    // Open alerts a hold began for show it (saved, not notified).
    void apply_holds(std::int64_t now);
    void release_holds(std::int64_t now);
    void resolve(Alert& alert, const char* why);
    // The open alert of the same team whose incident a finding belongs to (related to its
    // series or one of its members: manager.cpp, belongs()), if any.
    Alert* incident_of(const core::Finding& finding);
    // Makes a finding's series (fingerprint `fp`) a member of an alert's incident, or refreshes
    // it: its line in `also` says where it is now.
    void add_member(Alert& alert, const std::string& fp, const core::Finding& finding);
    // Heads an incident of a rolled-up metric with the level that explains it (see .cpp).
    void head_by_level(Alert& alert);
    // A pair's alert just raised takes in the same team's single-metric alerts of its incident
    // raised at most a window before it (findings of one window arrive metric by metric).
    void absorb_fresh(Alert& pair_alert, std::int64_t window_ms);
    void update_gauges();
    // A finding of an alert's own series: a point on its chart, and when anomalous, the
    // customers and signals behind it.
    void note(Alert& alert, const core::Finding& finding);
    ActionResult apply(Alert& alert, const ActionRequest& request, std::int64_t now);
    // Takes an action already checked; the transition's name.
    std::string change_state(Alert& alert, const ActionRequest& request, std::int64_t now);
    // By id, else the open alert of a fingerprint, else that fingerprint's latest alert.
    Alert* find(const std::string& key);
    const Alert* find(const std::string& key) const;

    core::Store& store_;
    Notifier& notifier_;
    core::Telemetry& telemetry_;
    const core::Clock& clock_;
    std::vector<core::ReceiverConfig> routes_;
    const DutyRoster roster_;
    mutable std::mutex mutex_;
    std::vector<Silence> silences_;
    Holds holds_;  // reads silences_
    std::map<std::string, Alert> by_id_;
    std::map<std::string, std::string> open_;  // fingerprint -> id of the firing alert
    std::map<std::string, std::string> recovered_;  // fingerprint -> id of its alert that recovered
    std::map<std::string, std::string> member_of_;  // fingerprint -> id of the open alert it joined
    // fingerprint -> end of the latest window any of its alerts has seen. Findings for windows
    // up to there are history (a replay of the event log after a restart) and change nothing,
    // so a restart neither re-opens nor re-notifies an alert.
    std::map<std::string, std::int64_t> seen_until_;
    // fingerprint -> id of an alert a person closed while it was still anomalous.
    std::map<std::string, std::string> held_;
    std::map<std::tuple<std::string, std::string, std::string>, double> alert_counts_;
    std::set<std::string> reasons_;
    // The latest points of every judged series, so an alert's chart starts a few windows
    // before it fired: kLeadPoints per series, at most kLeadSeries series (past it, the half
    // judged longest ago is forgotten). About 30 MB at the cap.
    static constexpr std::size_t kLeadPoints = 12;
    static constexpr std::size_t kLeadSeries = 100'000;
    struct Lead {
        std::array<TrailPoint, kLeadPoints> points;
        std::uint8_t size = 0;
        std::uint8_t next = 0;  // where the next point goes (the oldest, once full)
        std::int64_t last_ms() const {
            return size == 0 ? 0 : points[(next + kLeadPoints - 1) % kLeadPoints].end_ms;
        }
    };
    std::unordered_map<std::uint64_t, Lead> lead_;  // by fingerprint (16 hex digits)
    void remember(const std::string& fp, const core::Finding& finding);
    std::vector<TrailPoint> lead_in(const std::string& fp) const;
};

}  // namespace terrain::alerts
