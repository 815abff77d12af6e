#include "alerts/notifier.h"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <stdexcept>

#include "alerts/metrics.h"
#include "core/duration.h"
#include "core/log.h"

namespace terrain::alerts {

bool calls_people(const std::string& transition) {
    return transition == "firing" || transition == "released" || transition == "escalated" ||
           transition == "reminder" || transition == "snooze_ended";
}

SendResult LogReceiver::send(const Notification& n) {
    const Alert& a = n.alert;
    std::string line;
    if (!n.note.empty() && n.transition != "firing") {
        line = "alert " + n.transition + " id=" + a.id + ": " + n.note;
    } else {
        line = "alert " + n.transition + " [" + a.severity + "] " + a.summary + " id=" + a.id;
        if (n.transition == "resolved") {
            line += " resolved_by=\"" + a.resolved_by + "\"";
        }
    }
    core::log(n.transition == "firing" ? core::LogLevel::kWarn : core::LogLevel::kInfo,
                 line);
    return {true, false, ""};
}

namespace {

nlohmann::json to_json(const Notification& n) {
    return {{"transition", n.transition}, {"note", n.note},         {"target", n.target},
            {"only_for", n.only_for},     {"channel", n.channel},   {"alert", alerts::to_json(n.alert)}};
}

Notification notification_from_json(const nlohmann::json& j) {
    Notification n;
    n.alert = alert_from_json(j.at("alert"));
    n.transition = j.at("transition").get<std::string>();
    n.note = j.value("note", "");
    n.target = j.value("target", "");
    n.only_for = j.value("only_for", "");
    n.channel = j.value("channel", "");
    return n;
}

std::string random_tag() {
    std::random_device rd;
    char tag[17];
    std::snprintf(tag, sizeof tag, "%08x%08x", rd(), rd());
    return tag;
}

std::int64_t steady_ns() {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

}  // namespace

Notifier::Notifier(std::vector<Route> routes, core::Telemetry& telemetry, core::Store* store)
    : telemetry_(telemetry), store_(store), process_tag_(random_tag()) {
    const auto counts = store_ != nullptr ? store_->count_dead_letters()
                                          : std::map<std::string, std::size_t>{};
    for (auto& r : routes) {
        auto lane = std::make_unique<Lane>();
        lane->route = std::move(r);
        const auto& name = lane->route.receiver->name();
        auto found = counts.find(name);
        telemetry_.of<AlertMetrics>().dead_letters.Add({{"receiver", name}})
            .Set(found == counts.end() ? 0.0 : static_cast<double>(found->second));
        lanes_.push_back(std::move(lane));
    }
    for (auto& lane : lanes_) {
        for (const auto& other : lanes_) {
            if (other->route.config.escalate_to == lane->route.receiver->name()) {
                lane->escalation_target = true;
            }
        }
    }
    // What was queued and not yet delivered when terrain last stopped goes first.
    for (const auto& p : store_ != nullptr ? store_->load_pending()
                                           : std::vector<core::Store::Pending>{}) {
        auto lane = std::find_if(lanes_.begin(), lanes_.end(), [&](const auto& l) {
            return l->route.receiver->name() == p.receiver;
        });
        try {
            if (lane == lanes_.end()) {
                throw std::runtime_error("receiver '" + p.receiver + "' is no longer configured");
            }
            Notification n = notification_from_json(nlohmann::json::parse(p.body));
            n.pending_id = p.id;
            n.delivery_id = delivery_id(n);
            n.enqueued_steady_ns = steady_ns();
            (*lane)->queue.push_back(std::move(n));
            telemetry_.of<AlertMetrics>().notify_queue.Increment();
        } catch (const std::exception& e) {
            core::log_warn("notify: dropped a queued notification from the outbox: " +
                              std::string(e.what()));
            store_->drop_pending(p.id);
        }
    }
    for (auto& lane : lanes_) {
        Lane* l = lane.get();
        l->worker = std::thread([this, l] { run(*l); });
    }
}

Notifier::~Notifier() { stop(); }

bool Notifier::accepts(const Lane& lane, const Notification& n) const {
    const auto& cfg = lane.route.config;
    if (!n.target.empty()) {
        return n.target == lane.route.receiver->name();
    }
    if (lane.escalation_target && n.alert.escalated_at_ms == 0) {
        return false;
    }
    return route_matches(cfg.match, n.alert);
}

void Notifier::introduce(const std::vector<std::string>& receivers,
                         const std::vector<Alert>& firing) {
    for (const auto& lane : lanes_) {
        const std::string& name = lane->route.receiver->name();
        if (std::find(receivers.begin(), receivers.end(), name) == receivers.end()) {
            continue;
        }
        for (const auto& a : firing) {
            Notification n;
            n.alert = a;
            n.transition = "firing";
            n.note = "firing since " + core::format_rfc3339_ms(a.since_ms) +
                     "; told now: this receiver was added by a configuration reload";
            if (!a.notified || !a.held_by.empty() || !accepts(*lane, n)) {
                continue;
            }
            n.target = name;
            enqueue(n);
        }
    }
}

void Notifier::enqueue(const Notification& notification) {
    const std::int64_t now = steady_ns();
    std::string body;
    // The outbox rows are written before taking the queues' lock: the caller may hold the
    // store's transaction (AlertManager keeps an alert and its notifications together).
    std::vector<std::pair<Lane*, Notification>> accepted;
    for (auto& lane : lanes_) {
        if (!accepts(*lane, notification)) {
            continue;
        }
        Notification n = notification;
        n.enqueued_steady_ns = now;
        if (store_ != nullptr) {
            try {
                if (body.empty()) {
                    body = to_json(notification).dump();
                }
                n.pending_id = store_->put_pending(lane->route.receiver->name(), body);
            } catch (const std::exception& e) {
                core::log_error("notify: cannot keep alert " + n.alert.id +
                                   "'s notification in the outbox (" + e.what() +
                                   "); it is sent, but a kill before then loses it");
            }
        }
        n.delivery_id = delivery_id(n);
        accepted.emplace_back(lane.get(), std::move(n));
    }
    {
        std::lock_guard lock(mutex_);
        for (auto& [lane, n] : accepted) {
            lane->queue.push_back(std::move(n));
            telemetry_.of<AlertMetrics>().notify_queue.Increment();
        }
    }
    cv_.notify_all();
}

std::string Notifier::delivery_id(const Notification& n) {
    // The outbox row's id is never reused; without one, this process's own sequence.
    return n.pending_id != 0
               ? n.alert.id + "/" + std::to_string(n.pending_id)
               : n.alert.id + "/" + process_tag_ + "-" + std::to_string(unsaved_.fetch_add(1) + 1);
}

void Notifier::done_with(const Notification& n) {
    if (store_ == nullptr || n.pending_id == 0) {
        return;
    }
    try {
        store_->drop_pending(n.pending_id);
    } catch (const std::exception& e) {
        // Kept: it is sent again after a restart, which a living message absorbs.
        core::log_error("notify: cannot clear a delivered notification from the outbox: " +
                           std::string(e.what()));
    }
}

void Notifier::restore(const std::vector<Alert>& firing) {
    for (auto& lane : lanes_) {
        lane->route.receiver->restore(firing);
    }
}

void Notifier::dead_letter(const std::string& receiver, const Notification& n, int attempts,
                           const std::string& error) {
    telemetry_.of<AlertMetrics>().dead_letters.Add({{"receiver", receiver}}).Increment();
    if (store_ == nullptr) {
        return;
    }
    try {
        const nlohmann::json body = to_json(n);
        store_->append_dead_letter({std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count(),
                                    receiver, n.alert.id, n.transition, attempts, error,
                                    body.dump()});
    } catch (const std::exception& e) {
        core::log_error("notify: cannot record the dead letter for alert " + n.alert.id +
                           ": " + e.what());
    }
}

void Notifier::stop(std::chrono::milliseconds drain_for) {
    {
        std::lock_guard lock(mutex_);
        if (stopping_) {
            return;
        }
        stopping_ = true;
        deadline_ = std::chrono::steady_clock::now() + drain_for;
    }
    cv_.notify_all();
    for (auto& lane : lanes_) {
        if (lane->worker.joinable()) {
            lane->worker.join();
        }
    }
}

void Notifier::run(Lane& lane) {
    const std::string& name = lane.route.receiver->name();
    auto& family = telemetry_.of<AlertMetrics>();
    LaneMetrics metrics{
        family.notifications.Add({{"receiver", name}, {"result", "sent"}}),
        family.notifications.Add({{"receiver", name}, {"result", "retried"}}),
        family.notifications.Add({{"receiver", name}, {"result", "failed"}}),
        family.notify_latency.Add(
            {{"receiver", name}},
            prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600}),
        std::mt19937_64(std::random_device{}())};
    std::unique_lock lock(mutex_);
    for (;;) {
        if (!cv_.wait_for(lock, std::chrono::seconds(1),
                          [&] { return stopping_ || !lane.queue.empty(); })) {
            lock.unlock();
            lane.route.receiver->idle();
            lock.lock();
            continue;
        }
        if (lane.queue.empty()) {
            return;  // stopping and drained
        }
        if (stopping_ && std::chrono::steady_clock::now() >= deadline_) {
            leave_at_shutdown(lane);
            return;
        }
        Notification n = lane.queue.front();
        lock.unlock();
        deliver(lane, n, metrics);
        lock.lock();
        lane.queue.pop_front();
        family.notify_queue.Decrement();
    }
}

void Notifier::leave_at_shutdown(const Lane& lane) {
    // Out of time to drain: what is left stays in the outbox for the next start (one
    // unanswered call each would make stopping take a timeout per notification).
    const std::string& name = lane.route.receiver->name();
    if (store_ == nullptr) {
        for (const auto& left : lane.queue) {
            dead_letter(name, left, 0, "not sent before shutdown");
        }
    }
    core::log_warn("notify: receiver " + name + ": " + std::to_string(lane.queue.size()) +
                   " notification(s) not sent before shutdown" +
                   (store_ != nullptr ? "; they stay in the outbox for the next start"
                                      : " (kept as dead letters)"));
}

void Notifier::deliver(Lane& lane, const Notification& n, LaneMetrics& metrics) {
    const auto& cfg = lane.route.config;
    const std::string& name = lane.route.receiver->name();
    std::int64_t backoff = cfg.initial_backoff_ms;
    for (int attempt = 1;; ++attempt) {
        SendResult r = lane.route.receiver->send(n);
        if (r.ok) {
            metrics.sent.Increment();
            const auto now = std::chrono::steady_clock::now().time_since_epoch();
            const auto now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
            metrics.latency.Observe(static_cast<double>(now_ns - n.enqueued_steady_ns) / 1e9);
            done_with(n);
            return;
        }
        if (!r.retryable || attempt >= cfg.max_attempts) {
            metrics.failed.Increment();
            core::log_error("notify: receiver " + name + " gave up on alert " + n.alert.id +
                            " after " + std::to_string(attempt) + " attempt(s): " + r.detail +
                            " (kept as a dead letter)");
            dead_letter(name, n, attempt, r.detail);
            done_with(n);
            return;
        }
        metrics.retried.Increment();
        std::uniform_int_distribution<std::int64_t> jitter(0, backoff / 2);
        const std::int64_t wait = backoff + jitter(metrics.rng);
        core::log_warn("notify: receiver " + name + " failed (" + r.detail + "), retrying in " +
                       std::to_string(wait) + "ms");
        std::unique_lock wait_lock(mutex_);
        auto past_deadline = [&] { return stopping_ && std::chrono::steady_clock::now() >= deadline_; };
        cv_.wait_for(wait_lock, std::chrono::milliseconds(wait), past_deadline);
        if (past_deadline()) {
            if (store_ != nullptr && n.pending_id != 0) {
                core::log_warn("notify: receiver " + name + " still failing at shutdown (" +
                               r.detail + "); alert " + n.alert.id +
                               "'s notification stays in the outbox for the next start");
            } else {
                metrics.failed.Increment();
                core::log_error("notify: receiver " + name + " abandoned alert " + n.alert.id +
                                " at shutdown (kept as a dead letter)");
                dead_letter(name, n, attempt, "abandoned at shutdown after: " + r.detail);
            }
            return;
        }
        backoff = std::min(backoff * 2, cfg.max_backoff_ms);
    }
}

SendResult sent(const core::HttpReply& reply) {
    return {reply.ok(), !reply.ok() && reply.retryable(), reply.describe()};
}

SendResult json_answer(const core::HttpReply& reply, const std::string& what,
                       nlohmann::json* answer) {
    if (!reply.ok()) {
        return sent(reply);
    }
    if (answer != nullptr) {
        *answer = nlohmann::json::parse(reply.body, nullptr, false);
        if (!answer->is_object()) {
            return {false, true, what + ": the answer is not a JSON object"};
        }
    }
    return {true, false, ""};
}

}  // namespace terrain::alerts
