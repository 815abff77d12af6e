#include "alerts/notifier.h"

#include <chrono>
#include <random>

#include "monitor/log.h"

namespace terrain::alerts {

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
    monitor::log(n.transition == "firing" ? monitor::LogLevel::kWarn : monitor::LogLevel::kInfo,
                 line);
    return {true, false, ""};
}

Notifier::Notifier(std::vector<Route> routes, monitor::Telemetry& telemetry,
                   monitor::Store* dead_letters)
    : telemetry_(telemetry), store_(dead_letters) {
    const auto counts = store_ != nullptr ? store_->count_dead_letters()
                                          : std::map<std::string, std::size_t>{};
    for (auto& r : routes) {
        auto lane = std::make_unique<Lane>();
        lane->route = std::move(r);
        const auto& name = lane->route.receiver->name();
        auto found = counts.find(name);
        telemetry_.dead_letters.Add({{"receiver", name}})
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

void Notifier::enqueue(const Notification& notification) {
    const auto now = std::chrono::steady_clock::now().time_since_epoch();
    {
        std::lock_guard lock(mutex_);
        for (auto& lane : lanes_) {
            if (!accepts(*lane, notification)) {
                continue;
            }
            lane->queue.push_back(notification);
            lane->queue.back().enqueued_steady_ns =
                std::chrono::duration_cast<std::chrono::nanoseconds>(now).count();
            telemetry_.notify_queue.Increment();
        }
    }
    cv_.notify_all();
}

void Notifier::restore(const std::vector<Alert>& firing) {
    for (auto& lane : lanes_) {
        lane->route.receiver->restore(firing);
    }
}

void Notifier::dead_letter(const std::string& receiver, const Notification& n, int attempts,
                           const std::string& error) {
    telemetry_.dead_letters.Add({{"receiver", receiver}}).Increment();
    if (store_ == nullptr) {
        return;
    }
    try {
        const nlohmann::json body = {{"transition", n.transition}, {"alert", to_json(n.alert)}};
        store_->append_dead_letter({std::chrono::duration_cast<std::chrono::milliseconds>(
                                        std::chrono::system_clock::now().time_since_epoch())
                                        .count(),
                                    receiver, n.alert.id, n.transition, attempts, error,
                                    body.dump()});
    } catch (const std::exception& e) {
        monitor::log_error("notify: cannot record the dead letter for alert " + n.alert.id +
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
    const auto& cfg = lane.route.config;
    const std::string& name = lane.route.receiver->name();
    auto& sent = telemetry_.notifications.Add({{"receiver", name}, {"result", "sent"}});
    auto& retried = telemetry_.notifications.Add({{"receiver", name}, {"result", "retried"}});
    auto& failed = telemetry_.notifications.Add({{"receiver", name}, {"result", "failed"}});
    auto& latency = telemetry_.notify_latency.Add(
        {{"receiver", name}},
        prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120, 600});
    std::mt19937_64 rng(std::random_device{}());
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
        Notification n = lane.queue.front();
        lock.unlock();
        std::int64_t backoff = cfg.initial_backoff_ms;
        bool done = false;
        for (int attempt = 1; !done; ++attempt) {
            SendResult r = lane.route.receiver->send(n);
            if (r.ok) {
                sent.Increment();
                const auto now = std::chrono::steady_clock::now().time_since_epoch();
                latency.Observe(static_cast<double>(
                                    std::chrono::duration_cast<std::chrono::nanoseconds>(now)
                                        .count() -
                                    n.enqueued_steady_ns) /
                                1e9);
                break;
            }
            if (!r.retryable || attempt >= cfg.max_attempts) {
                failed.Increment();
                monitor::log_error("notify: receiver " + name + " gave up on alert " +
                                   n.alert.id + " after " + std::to_string(attempt) +
                                   " attempt(s): " + r.detail + " (kept as a dead letter)");
                dead_letter(name, n, attempt, r.detail);
                break;
            }
            retried.Increment();
            std::uniform_int_distribution<std::int64_t> jitter(0, backoff / 2);
            const std::int64_t wait = backoff + jitter(rng);
            monitor::log_warn("notify: receiver " + name + " failed (" + r.detail +
                              "), retrying in " + std::to_string(wait) + "ms");
            std::unique_lock wait_lock(mutex_);
            auto past_deadline = [&] {
                return stopping_ && std::chrono::steady_clock::now() >= deadline_;
            };
            cv_.wait_for(wait_lock, std::chrono::milliseconds(wait), past_deadline);
            if (past_deadline()) {
                done = true;  // shutting down: abandoned, counted and logged
                failed.Increment();
                monitor::log_error("notify: receiver " + name + " abandoned alert " + n.alert.id +
                                   " at shutdown (kept as a dead letter)");
                dead_letter(name, n, attempt, "abandoned at shutdown after: " + r.detail);
            }
            backoff = std::min(backoff * 2, cfg.max_backoff_ms);
        }
        lock.lock();
        lane.queue.pop_front();
        telemetry_.notify_queue.Decrement();
    }
}

}  // namespace terrain::alerts
