// What a person does to an alert (acknowledge, snooze, resolve, not a problem, confirm): the
// checks, the change of state, the audit line and the note on the alert's thread.
#include <algorithm>

#include "alerts/manager.h"
#include "alerts/metrics.h"
#include "core/duration.h"
#include "core/config.h"

namespace terrain::alerts {

namespace {


bool known_action(const std::string& action) {
    const auto& known = alert_actions();
    return std::find(known.begin(), known.end(), action) != known.end();
}

// Why the action cannot be taken on the alert as it stands; nothing when it can.
std::optional<ActionResult> refusal(const Alert& a, const ActionRequest& req) {
    if (!known_action(req.action)) {
        return ActionResult{400, "unknown_action",
                            "'" + req.action + "' is not an action (use acknowledge, snooze, resolve, "
                            "not_a_problem or confirm)" + core::suggest(req.action, alert_actions()),
                            std::nullopt};
    }
    const bool firing = a.state == AlertState::kFiring;
    auto conflict = [&](const std::string& why) { return ActionResult{409, "conflict", why, a}; };
    if (req.action == "acknowledge" && !firing) {
        return conflict("alert " + a.id + " is resolved; there is nothing to acknowledge");
    }
    if (req.action == "acknowledge" && a.acknowledged_at_ms != 0) {
        return conflict("alert " + a.id + " was already acknowledged by " + a.acknowledged_by);
    }
    if (req.action == "snooze" && !firing) {
        return conflict("alert " + a.id + " is resolved; there is nothing to snooze");
    }
    if (req.action == "snooze" && req.duration_ms <= 0) {
        return ActionResult{400, "missing_field", "snooze needs 'for', a duration such as 30m or 4h",
                            std::nullopt};
    }
    if (req.action == "not_a_problem" && req.reason.empty()) {
        return ActionResult{400, "missing_field",
                            "not_a_problem needs a 'reason' (it tunes the detector)", std::nullopt};
    }
    if (req.action == "resolve" && !firing) {
        return conflict("alert " + a.id + " is already resolved");
    }
    return std::nullopt;
}

// The line on the alert's thread for a transition.
std::string note_for(const std::string& transition, const ActionRequest& req) {
    if (transition == "acknowledged") {
        return "Acknowledged by " + req.actor + ".";
    }
    if (transition == "snoozed") {
        return "Snoozed for " + core::format_duration_ms(req.duration_ms) + " by " + req.actor + ".";
    }
    if (transition == "resolved") {
        return "Resolved by " + req.actor + ".";
    }
    if (transition == "not_a_problem") {
        return "Marked not a problem by " + req.actor + ": " + req.reason + ".";
    }
    return "Confirmed as a real problem by " + req.actor + ".";
}

}  // namespace

ActionResult AlertManager::act(const std::string& key, const ActionRequest& req) {
    std::lock_guard lock(mutex_);
    const std::int64_t now = clock_.now_ms();
    Alert* a = find(key);
    ActionResult r;
    if (a == nullptr) {
        r = {404, "not_found", "no alert with id or fingerprint '" + key + "'", std::nullopt};
    } else {
        r = apply(*a, req, now);
    }
    const std::string result = r.status == 200 ? "done" : "refused: " + r.message;
    std::string detail = req.reason;
    if (req.duration_ms > 0) {
        detail = "for " + core::format_duration_ms(req.duration_ms) + (detail.empty() ? "" : "; " + detail);
    }
    store_.append_audit({now, a != nullptr ? a->id : key, req.action, req.actor, detail, result});
    // The action label stays bounded: names terrain does not know are counted as "unknown".
    telemetry_.of<AlertMetrics>().actions
        .Add({{"action", known_action(req.action) ? req.action : "unknown"},
              {"result", r.status == 200 ? "done" : "refused"}})
        .Increment();
    return r;
}

ActionResult AlertManager::apply(Alert& a, const ActionRequest& req, std::int64_t now) {
    if (auto refused = refusal(a, req)) {
        return *refused;
    }
    const std::string transition = change_state(a, req, now);
    if (a.first_action_at_ms == 0) {
        a.first_action_at_ms = now;
        telemetry_.of<AlertMetrics>().time_to_action
            .Add({{"severity", a.severity}}, AlertMetrics::human_buckets())
            .Observe(static_cast<double>(now - a.fired_at_ms) / 1000.0);
    }
    a.updated_at_ms = now;
    save_and_notify(a, transition, note_for(transition, req));
    update_gauges();
    return {200, "", "", a};
}

std::string AlertManager::change_state(Alert& a, const ActionRequest& req, std::int64_t now) {
    auto& metrics = telemetry_.of<AlertMetrics>();
    if (req.action == "acknowledge") {
        a.acknowledged_at_ms = now;
        a.acknowledged_by = req.actor;
        metrics.time_to_ack.Add({{"severity", a.severity}}, AlertMetrics::human_buckets())
            .Observe(static_cast<double>(now - a.fired_at_ms) / 1000.0);
        return "acknowledged";
    }
    if (req.action == "snooze") {
        a.snoozed_until_ms = now + req.duration_ms;
        return "snoozed";
    }
    if (req.action == "not_a_problem" || req.action == "confirm") {
        a.feedback = req.action == "confirm" ? "confirmed" : "not_a_problem";
        a.feedback_reason = req.reason;
        metrics.feedback.Add({{"metric", a.metric}, {"detector", a.detector}, {"verdict", a.feedback}})
            .Increment();
        if (req.action == "not_a_problem") {
            metrics.not_a_problem
                .Add({{"metric", a.metric},
                      {"detector", a.detector},
                      {"reason", reasons_.count(req.reason) != 0 ? req.reason : "other"}})
                .Increment();
        }
        if (req.action == "confirm") {
            return "confirmed";
        }
    }
    // resolve, not_a_problem: a firing alert closes and stays closed until the series recovers.
    if (a.state == AlertState::kFiring) {
        a.held_until_recovery = true;
        held_[a.fingerprint] = a.id;
        open_.erase(a.fingerprint);
        // The incident's other series are closed with it, each until it recovers.
        for (const auto& [fp, m] : a.members) {
            member_of_.erase(fp);
            held_.try_emplace(fp, a.id);
        }
        a.state = AlertState::kResolved;
        a.resolved_at_ms = now;
        a.resolved_by = req.actor + (req.action == "resolve" ? ": resolved" : ": not a problem");
    }
    return req.action == "resolve" ? "resolved" : "not_a_problem";
}

}  // namespace terrain::alerts
