#include "alerts/overrides.h"

#include <algorithm>
#include <chrono>
#include <random>

#include "alerts/chat/chat_card.h"
#include "alerts/metrics.h"
#include "core/duration.h"
#include "core/hash.h"
#include "core/log.h"

namespace terrain::alerts {

namespace {

// The idempotency key of the n-th run of an action on an alert: stable across retries,
// restarts and repeated clicks, new only after a failure or a revert.
std::string idempotency_key(const std::string& alert, const std::string& action, std::size_t n) {
    return "terrain-" +
           core::sha256_hex(alert + '\x1e' + action + '\x1e' + std::to_string(n)).substr(0, 32);
}

bool in_flight_or_done(const std::string& state) {
    return state == "pending" || state == "done" || state == "reverting";
}

}  // namespace

Overrides::Overrides(const Policy& policy, AlertManager& alerts, core::Store& store,
                     Executor& executor, core::Telemetry& telemetry,
                     const core::Clock& clock)
    : policy_(policy),
      alerts_(alerts),
      store_(store),
      executions_(store),
      executor_(executor),
      telemetry_(telemetry),
      clock_(clock) {}

Overrides::~Overrides() { stop(); }

void Overrides::start() {
    std::size_t resumed = 0;
    {
        std::lock_guard lock(mutex_);
        for (const auto& x : executions_.unfinished()) {
            jobs_.push_back({x.key, x.state == "reverting"});
            ++resumed;
        }
    }
    if (resumed > 0) {
        core::log_info("overrides: resuming " + std::to_string(resumed) +
                          " action(s) left pending at the last stop");
    }
    worker_ = std::thread([this] { run(); });
}

void Overrides::stop() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) {
        worker_.join();
    }
}

void Overrides::tick() {
    const std::int64_t now = clock_.now_ms();
    std::lock_guard click_lock(click_mutex_);
    for (auto x : executions_.due_reverts(now)) {
        x.state = "reverting";
        x.updated_ms = now;
        executions_.put(x);
        enqueue(x.key, true);
    }
}

ClickOutcome Overrides::audit_refusal(const Click& click, const std::string& actor, int status,
                                      const std::string& reason, const std::string& message) {
    store_.append_audit({clock_.now_ms(), click.alert, click.action, actor,
                         "clicked on " + click.platform, "refused: " + message});
    telemetry_.of<AlertMetrics>().interactions.Add({{"platform", click.platform}, {"result", reason}}).Increment();
    return {status, message, std::nullopt};
}

ClickOutcome Overrides::click_builtin(const Click& click, const std::string& actor,
                                      const core::PersonConfig& who,
                                      const core::ActionConfig& action, const Alert& alert) {
    ActionRequest req;
    req.action = action.name;
    req.actor = who.name;
    if (action.name == "snooze") {
        // Only the times the card's menu offers: a click is a choice from it, not free text.
        const std::string chosen =
            click.arg.empty() ? policy_.interact().snooze_times.front() : click.arg;
        const auto ms = parse_snooze(chosen);
        if (!ms) {
            return audit_refusal(click, actor, 400, "bad_request",
                                 "'" + click.arg + "' is not a snooze time (up to 30d, e.g. 4h)");
        }
        if (auto refused = policy_.snooze_refused(*ms)) {
            return audit_refusal(click, actor, 400, "bad_request", "'" + click.arg + "' " + *refused);
        }
        req.duration_ms = *ms;
    } else {
        req.reason = click.arg;
    }
    auto r = alerts_.act(alert.id, req);
    telemetry_.of<AlertMetrics>().interactions
        .Add({{"platform", click.platform}, {"result", r.status == 200 ? "accepted" : "refused"}})
        .Increment();
    return {r.status, r.status == 200 ? Policy::label(action) + ": done" : r.message,
            r.alert};
}

ClickOutcome Overrides::click(const Click& click) {
    std::lock_guard click_lock(click_mutex_);
    const core::PersonConfig* who = policy_.person(click.platform, click.user_id);
    const std::string actor = (who != nullptr ? who->name + " " : std::string()) + "(" +
                              click.platform + ":" + click.user_id + ")";
    const core::ActionConfig* action = policy_.action(click.action);
    if (action == nullptr) {
        return audit_refusal(click, actor, 400, "bad_request",
                             "'" + click.action + "' is not an action terrain knows");
    }
    if (auto why = policy_.refusal(who, *action, click.platform, click.user_id)) {
        return audit_refusal(click, actor, 403, "refused", *why);
    }
    auto alert = alerts_.get(click.alert);
    if (!alert) {
        return audit_refusal(click, actor, 404, "bad_request",
                             "there is no alert '" + click.alert + "'");
    }
    if (action->executor == "builtin") {
        return click_builtin(click, actor, *who, *action, *alert);
    }
    if (action->executor == "undo") {
        return undo(click, actor, *who, *action, *alert);
    }
    const std::string label = Policy::label(*action);
    if (alert->state != AlertState::kFiring) {
        return audit_refusal(click, actor, 409, "refused",
                             "the alert is resolved; '" + label + "' was not run");
    }
    std::vector<Execution> runs;
    for (auto& x : executions_.of_alert(alert->id)) {
        if (x.action == action->name) {
            runs.push_back(std::move(x));
        }
    }
    if (!runs.empty() && runs.back().state == "awaiting_approval") {
        return approve(click, actor, *who, *action, runs.back());
    }
    if (!runs.empty() && in_flight_or_done(runs.back().state)) {
        const auto& last = runs.back();
        telemetry_.of<AlertMetrics>().overrides.Add({{"action", action->name}, {"result", "already"}}).Increment();
        return audit_refusal(click, actor, 409, "already",
                             "'" + label + "' is already " + last.state + " (asked by " +
                                 last.actor + "); not sent again");
    }
    return request(click, actor, *who, *action, alert->id, runs.size());
}

ClickOutcome Overrides::request(const Click& click, const std::string& actor,
                                const core::PersonConfig& who, const core::ActionConfig& action,
                                const std::string& alert_id, std::size_t earlier_runs) {
    const std::string label = Policy::label(action);
    const std::int64_t now = clock_.now_ms();
    Execution x;
    x.key = idempotency_key(alert_id, action.name, earlier_runs);
    x.alert_id = alert_id;
    x.action = action.name;
    x.actor = who.name;
    x.state = action.second_approver ? "awaiting_approval" : "pending";
    x.created_ms = x.updated_ms = now;
    executions_.put(x);
    if (action.second_approver) {
        store_.append_audit({now, alert_id, action.name, actor,
                             "requested; needs a second person to approve", "awaiting approval"});
        telemetry_.of<AlertMetrics>().interactions.Add({{"platform", click.platform}, {"result", "accepted"}})
            .Increment();
        const std::string note = label + " asked for by " + who.name +
                                 "; it runs once another person approves (click it too).";
        alerts_.record_override(alert_id,
                                {action.name, label, "awaiting_approval", who.name, now, ""},
                                note);
        return {200, note, alerts_.get(alert_id)};
    }
    store_.append_audit({now, alert_id, action.name, actor,
                         "requested; idempotency key " + x.key, "accepted"});
    telemetry_.of<AlertMetrics>().interactions.Add({{"platform", click.platform}, {"result", "accepted"}})
        .Increment();
    alerts_.record_override(alert_id, {action.name, label, "pending", who.name, now, ""},
                            label + " requested by " + who.name + "; running it now.");
    enqueue(x.key, false);
    return {200, label + " requested; the result follows in the alert's thread",
            alerts_.get(alert_id)};
}

ClickOutcome Overrides::undo(const Click& click, const std::string& actor,
                             const core::PersonConfig& who, const core::ActionConfig& action,
                             const Alert& alert) {
    const core::ActionConfig* undone = policy_.action(action.undoes);
    std::optional<Execution> last;
    for (auto& x : executions_.of_alert(alert.id)) {
        if (x.action == action.undoes) {
            last = std::move(x);
        }
    }
    if (undone == nullptr || !last || last->state != "done") {
        return audit_refusal(click, actor, 409, "already",
                             "there is nothing to undo: '" +
                                 (undone != nullptr ? Policy::label(*undone) : action.undoes) +
                                 "' is " + (last ? last->state : "not done") + " on this alert");
    }
    const std::int64_t now = clock_.now_ms();
    Execution x = std::move(*last);
    x.state = "reverting";
    x.revert_at_ms = 0;  // asked for by a person, not due
    x.detail = "undo asked for by " + who.name;
    x.updated_ms = now;
    executions_.put(x);
    store_.append_audit({now, alert.id, action.name, actor,
                         "asked to undo " + x.actor + "'s " + action.undoes + "; idempotency key " +
                             x.key,
                         "accepted"});
    telemetry_.of<AlertMetrics>().interactions.Add({{"platform", click.platform}, {"result", "accepted"}})
        .Increment();
    const std::string label = Policy::label(action);
    alerts_.record_override(alert.id,
                            {action.undoes, Policy::label(*undone), "reverting", who.name, now,
                             x.detail},
                            label + " asked for by " + who.name + "; running it now.");
    enqueue(x.key, true);
    return {200, label + " requested; the result follows in the alert's thread",
            alerts_.get(alert.id)};
}

ClickOutcome Overrides::approve(const Click& click, const std::string& actor,
                                const core::PersonConfig& who,
                                const core::ActionConfig& action, Execution x) {
    const std::string label = Policy::label(action);
    if (who.name == x.actor) {
        return audit_refusal(click, actor, 409, "already",
                             "'" + label + "' needs a second person: " + who.name +
                                 " asked for it; someone else must approve");
    }
    const std::int64_t now = clock_.now_ms();
    x.state = "pending";
    x.detail = "approved by " + who.name;
    x.updated_ms = now;
    executions_.put(x);
    store_.append_audit({now, x.alert_id, action.name, actor,
                         "approved " + x.actor + "'s request; idempotency key " + x.key,
                         "accepted"});
    telemetry_.of<AlertMetrics>().interactions.Add({{"platform", click.platform}, {"result", "accepted"}})
        .Increment();
    alerts_.record_override(x.alert_id, {action.name, label, "pending", x.actor, now, x.detail},
                            label + " approved by " + who.name + "; running it now.");
    enqueue(x.key, false);
    return {200, label + " approved; the result follows in the alert's thread",
            alerts_.get(x.alert_id)};
}

void Overrides::enqueue(const std::string& key, bool revert) {
    {
        std::lock_guard lock(mutex_);
        jobs_.push_back({key, revert});
    }
    cv_.notify_all();
}

void Overrides::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !jobs_.empty(); });
        if (stopping_) {
            return;  // what is queued stays pending in the store
        }
        Job job = jobs_.front();
        jobs_.pop_front();
        lock.unlock();
        try {
            execute(job);
        } catch (const std::exception& e) {
            core::log_error("overrides: " + job.key + ": " + e.what());
        }
        lock.lock();
    }
}

void Overrides::execute(const Job& job) {
    std::optional<Execution> found = executions_.find(job.key);
    if (!found) {
        return;
    }
    auto& x = *found;
    const core::ActionConfig* action = policy_.action(x.action);
    auto alert = alerts_.get(x.alert_id);
    Executor::Outcome outcome;
    int attempts = 0;
    if (action == nullptr || !alert) {
        outcome = {false, false,
                   action == nullptr ? "the action is no longer configured" : "no such alert"};
    } else {
        std::mt19937_64 rng(std::random_device{}());
        std::int64_t backoff = action->initial_backoff_ms;
        for (attempts = 1;; ++attempts) {
            outcome = executor_.run(*action, *alert, x.actor, x.key, job.revert);
            if (outcome.ok || !outcome.retryable || attempts >= action->max_attempts) {
                break;
            }
            std::uniform_int_distribution<std::int64_t> jitter(0, backoff / 2);
            std::unique_lock lock(mutex_);
            if (cv_.wait_for(lock, std::chrono::milliseconds(backoff + jitter(rng)),
                             [&] { return stopping_; })) {
                return;  // stays pending; resumed at the next start with the same key
            }
            backoff = std::min<std::int64_t>(backoff * 2, 30'000);
        }
    }
    const std::int64_t now = clock_.now_ms();
    const std::string label = action != nullptr ? Policy::label(*action) : x.action;
    const bool automatic = x.revert_at_ms != 0;  // due, not asked for by a person
    if (job.revert) {
        x.state = outcome.ok ? "reverted" : "revert_failed";
    } else {
        x.state = outcome.ok ? "done" : "failed";
        telemetry_.of<AlertMetrics>().override_latency.Add({{"action", x.action}},
                                        prometheus::Histogram::BucketBoundaries{
                                            0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60})
            .Observe(static_cast<double>(now - x.created_ms) / 1000.0);
    }
    x.attempts += attempts;
    x.detail = outcome.detail;
    x.updated_ms = now;
    x.revert_at_ms = outcome.ok && !job.revert && action->revert_after_ms > 0
                         ? now + action->revert_after_ms
                         : 0;
    executions_.put(x);
    store_.append_audit({now, x.alert_id, job.revert ? "revert " + x.action : x.action,
                         "terrain for " + x.actor, outcome.detail,
                         outcome.ok ? "done" : "failed: " + outcome.detail});
    telemetry_.of<AlertMetrics>().overrides.Add({{"action", x.action}, {"result", x.state}}).Increment();
    std::string note;
    if (job.revert) {
        const std::string how = automatic ? " automatically" : "";
        note = outcome.ok ? label + " reverted" + how + "."
                          : label + ": the" + how + " revert failed: " + outcome.detail;
    } else if (outcome.ok) {
        note = label + ": done (asked by " + x.actor + "). " + outcome.detail;
        if (x.revert_at_ms != 0) {
            note += " Reverts automatically at " + core::format_rfc3339_ms(x.revert_at_ms) + ".";
        }
    } else {
        note = label + ": failed after " + std::to_string(attempts) + " attempt(s): " +
               outcome.detail;
    }
    alerts_.record_override(x.alert_id, {x.action, label, x.state, x.actor, now, outcome.detail},
                            note);
}

}  // namespace terrain::alerts
