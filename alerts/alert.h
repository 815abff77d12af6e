#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/event.h"
#include "core/finding.h"

namespace terrain::alerts {

enum class AlertState : std::uint8_t { kFiring, kResolved };

std::string_view to_string(AlertState state);

// A pair's two sides, for alerts from pairs (a MAP-side metric set against a customer-side
// one): what each side reports, with its usual value, and the CX efficiency quadrant.
struct PairEvidence {
    std::string map_metric;
    std::string customer_metric;
    std::string map_says;       // "Messages delivered, of those processed"
    std::string customer_says;  // "Complaints and 'did not arrive' tickets"
    bool claim_is_ratio = false;  // the MAP's figure (the alert's claim) is a ratio
    std::string action;           // the suggested action
};

// An override action taken on an alert, as its card shows it (the latest run of each action).
struct OverrideRecord {
    std::string action;  // pause_campaign
    std::string label;   // Pause campaign
    std::string state;   // pending | done | failed | reverting | reverted
    std::string by;      // the person who asked for it
    std::int64_t at_ms = 0;  // wall time of the latest change
    std::string detail;      // what the MAP answered, or why it failed
};

// One judged window of an alert's series, for its chart: the value and the detector's band
// (NaN where it has none), and whether the window was anomalous.
struct TrailPoint {
    std::int64_t end_ms = 0;  // event time: the window's end
    float observed = 0;
    float lower = 0;
    float upper = 0;
    bool anomalous = false;
};

// How many customers an incident reached, counted from its anomalous windows (never who):
// the customer signals (complaints, tickets, ...) and the people they came from (recipients,
// contacts) of one send, or of the trailing span (send_ms 0). A window's counts cover its
// span or its send so far, so each send keeps its largest and the sends add up.
struct Impact {
    std::int64_t send_ms = 0;
    double signals = 0;
    double reached = 0;
};

// One incident: a detector that keeps finding one series anomalous. The fingerprint
// (detector + metric + series labels) is stable, so while an alert fires the same series does
// not raise another; `id` (fingerprint and start) tells successive incidents apart.
// Its evidence (core::Evidence) is the latest judged window's, `fired` the one it fired on; for
// pairs the MAP's figure is `claim` and the quadrant `quadrant`.
struct Alert : core::Evidence {
    std::string id;
    std::string fingerprint;
    std::string metric;
    std::string detector;
    std::string detector_type;
    std::string severity;
    std::string team;
    core::Labels labels;
    AlertState state = AlertState::kFiring;
    std::string summary;  // one line: what, where, how far from normal
    std::int64_t since_ms = 0;         // event time: start of the first anomalous window
    std::int64_t fired_window_end_ms = 0;  // event time: end of the window it fired on
    std::int64_t last_window_ms = 0;   // event time: end of the latest window judged
    // Event time: end of the latest window in which its series, or one of its members, was
    // anomalous; it resolves once everything has been normal for kResolveAfter (manager.cpp).
    std::int64_t last_anomalous_ms = 0;
    // The evidence it fired on, kept as it was; the alert's own (core::Evidence) is the latest.
    core::Evidence fired;
    std::int64_t fired_at_ms = 0;      // wall time
    std::int64_t updated_at_ms = 0;    // wall time
    std::int64_t resolved_at_ms = 0;   // wall time, 0 while firing
    std::string resolved_by;           // "recovered", "series idle", "alice: not a problem"
    // What people did about it (wall times; 0 when not done).
    std::int64_t acknowledged_at_ms = 0;
    std::string acknowledged_by;
    std::int64_t snoozed_until_ms = 0;
    std::int64_t first_action_at_ms = 0;
    std::string feedback;         // "", "confirmed" or "not_a_problem"
    std::string feedback_reason;
    // Closed by a person while the detector still found the series anomalous: no new alert
    // for this fingerprint until the detector judges the series normal again.
    bool held_until_recovery = false;
    std::optional<PairEvidence> pair;  // alerts from pairs
    std::int64_t escalated_at_ms = 0;   // nobody acknowledged in time; escalation targets told
    std::int64_t reminded_at_ms = 0;    // the latest reminder of an acknowledged alert
    std::int64_t unsnoozed_at_ms = 0;   // the latest snooze's end (escalation counts from here)
    std::vector<OverrideRecord> overrides;
    // Its series' latest judged windows, from a few before it fired (at most kTrailPoints).
    static constexpr std::size_t kTrailPoints = 48;
    std::vector<TrailPoint> trail;
    // Ratios and pairs: the customers behind its anomalous windows (at most kImpactSends
    // sends, the later ones added to the last); counts: the largest excess over expected.
    static constexpr std::size_t kImpactSends = 64;
    std::vector<Impact> impact;
    double excess = 0;
    // The latest customer signals behind it, newest first (at most kSignalsKept).
    static constexpr std::size_t kSignalsKept = 5;
    std::vector<core::Signal> signals;
    // Why its notifications are held ("silence 3f2a…: planned send", "held: campaign=spring
    // paused on alert …"); empty when they go out. Receivers hear of the alert when the hold
    // ends, if it still matters then.
    std::string held_by;
    // Rolled-up metrics: the family (config.h), and the same incident seen at other levels
    // while this alert fires ("spam_complaint_rate {provider=gmail.com}: 0.92% ..."), which
    // raise no alert of their own.
    std::string family;
    std::vector<std::string> also;
    // The series of the same incident that raised no alert of their own (by fingerprint), each
    // named by one line of `also` while there is room. In memory only: after a restart an
    // open alert gathers its members again.
    struct Member {
        core::Labels labels;
        std::string metric, family, detector;
        bool pair = false;
        std::int64_t last_anomalous_ms = 0;
        int line = -1;  // its line in `also`, -1 when not listed
        core::Finding first, latest;  // when it joined, and now (to head the alert)
    };
    std::map<std::string, Member> members;
    // The people on duty for it when it fired (escalated, reminded): names of configured people.
    std::vector<std::string> on_duty;
    bool notified = false;  // a receiver has been told of it
};

// Figures as people read them, the same in summaries and on chat cards ("n/a" for NaN):
// a ratio as a percentage with three significant digits ("0.269%"), a count rounded with
// thousands separators ("1,193"), and a series value (a ratio as "0.27%", else "%.4g").
std::string percent_text(double ratio);
std::string count_text(double count);
std::string plain_value(double value, bool ratio);

// The customers behind an alert: its signals and the people they came from, summed over
// its impact (0 and 0 when it has none).
std::pair<double, double> affected(const Alert& alert);

// Whether an alert's labels (metric, detector, severity and team included) satisfy every
// matcher of a route's, silence's, window's or rule's `match` (see core::Matcher).
bool route_matches(const core::Labels& match, const Alert& alert);
// A label's value, or severity, team, metric or detector by those names; nullptr when absent.
const std::string* label_value(const Alert& alert, const std::string& key);

nlohmann::json to_json(const Alert& alert);
// Labels (or matchers) as a JSON object of names to values.
nlohmann::json labels_json(const core::Labels& labels);
Alert alert_from_json(const nlohmann::json& j);

// Stable 16-hex-digit fingerprint of (metric, detector, labels).
std::string fingerprint(const std::string& metric, const std::string& detector,
                        const core::Labels& labels);

}  // namespace terrain::alerts
