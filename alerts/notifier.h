#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>

#include "alerts/alert.h"
#include "core/json_poster.h"
#include "core/config.h"
#include "core/store.h"
#include "core/telemetry.h"

namespace terrain::alerts {

// What a receiver is told: an alert and the change that happened to it.
// transition: firing | resolved | acknowledged | snoozed | snooze_ended | not_a_problem |
// confirmed | escalated | reminder | action (an override's progress) | private (a message to
// one person only).
struct Notification {
    Alert alert;
    std::string transition;
    std::int64_t enqueued_steady_ns = 0;
    std::string note;      // a line for the alert's thread: what happened, by whom
    std::string target;    // only this receiver (reminders, private replies); empty: routed
    std::string only_for;  // private: the person's user id on the target's platform
    std::string channel;   // private: where they clicked
    std::int64_t pending_id = 0;  // its row in the store's outbox (0: not kept)
    // Names this notification to this receiver, the same on every attempt and after a restart
    // (delivery is at least once: a kill between a delivery and its outbox row's deletion sends
    // it again), so a receiver can drop a repeat.
    std::string delivery_id;
};

// Whether a transition brings the alert to people's attention (again): firing, released (a
// hold ended), escalated, reminder, snooze_ended. Those name, and chat receivers mention, the
// people on duty.
bool calls_people(const std::string& transition);

struct SendResult {
    bool ok = false;
    bool retryable = false;  // a 5xx or a refused connection is worth retrying; a 4xx is not
    std::string detail;
};

// The outcome of an outbound call: delivered on a 2xx, retryable on a transport error, 408,
// 429 or 5xx.
SendResult sent(const core::HttpReply& reply);
// The same, when `answer` is given also requiring the answer to be a JSON object (parsed into
// it); `what` names the request in the failure's detail.
SendResult json_answer(const core::HttpReply& reply, const std::string& what,
                       nlohmann::json* answer);

// Delivers notifications somewhere (a log, a webhook, a chat). send() is called from the
// receiver's own worker thread, one notification at a time, in order; it may block up to its
// configured timeout.
class Receiver {
public:
    virtual ~Receiver() = default;
    virtual const std::string& name() const = 0;
    virtual SendResult send(const Notification& notification) = 0;
    // Called on the worker thread about once a second while nothing is queued, for receivers
    // that must repeat themselves (Alertmanager forgets alerts that are not re-sent).
    virtual void idle() {}
    // The alerts firing when terrain starts (from the store). Called once, from the starting
    // thread, possibly while the worker runs.
    virtual void restore(const std::vector<Alert>& /*firing*/) {}
};

// The `log` receiver: one readable line per notification on terrain's log.
class LogReceiver final : public Receiver {
public:
    explicit LogReceiver(std::string name) : name_(std::move(name)) {}
    const std::string& name() const override { return name_; }
    SendResult send(const Notification& n) override;

private:
    std::string name_;
};

// Fans notifications out to receivers. Each receiver has a FIFO and a worker thread, so a
// slow or failing receiver neither blocks the pipeline nor reorders its own messages; a
// retryable failure is retried with exponential backoff and jitter up to max_attempts, then
// counted as failed, logged and kept as a dead letter. With a store, every queued
// notification is also written to its outbox until it is delivered or dead-lettered, and the
// outbox is queued again at start: neither a kill nor a stop with a receiver down loses one.
// enqueue() is thread-safe and does not wait for any receiver.
class Notifier final {
public:
    struct Route {
        std::unique_ptr<Receiver> receiver;
        core::ReceiverConfig config;
    };

    // With `store`: the outbox and the dead letters are kept there.
    Notifier(std::vector<Route> routes, core::Telemetry& telemetry,
             core::Store* store = nullptr);
    ~Notifier();
    Notifier(const Notifier&) = delete;
    Notifier& operator=(const Notifier&) = delete;

    void enqueue(const Notification& notification);
    // Tells every receiver which alerts are firing at start (see Receiver::restore).
    void restore(const std::vector<Alert>& firing);
    // Receivers added by a reload: each hears of the firing alerts people were told of (not
    // held) that its route takes, as if they had just fired.
    void introduce(const std::vector<std::string>& receivers, const std::vector<Alert>& firing);
    // Stops the workers after they deliver what is queued, retrying as configured for at most
    // `drain_for`; what is still undelivered then stays in the outbox for the next start
    // (without a store: counted as failed and kept as a dead letter).
    void stop(std::chrono::milliseconds drain_for = std::chrono::seconds(5));

private:
    struct Lane {
        Route route;
        std::deque<Notification> queue;
        std::thread worker;
        bool escalation_target = false;  // hears only of escalated alerts
    };
    // A worker's counters and its jitter source.
    struct LaneMetrics {
        prometheus::Counter& sent;
        prometheus::Counter& retried;
        prometheus::Counter& failed;
        prometheus::Histogram& latency;
        std::mt19937_64 rng;
    };
    void run(Lane& lane);
    // Sends one notification, retrying with backoff until it is sent, given up or shutdown.
    void deliver(Lane& lane, const Notification& n, LaneMetrics& metrics);
    void leave_at_shutdown(const Lane& lane);
    bool accepts(const Lane& lane, const Notification& n) const;
    void dead_letter(const std::string& receiver, const Notification& n, int attempts,
                     const std::string& error);
    void done_with(const Notification& n);
    std::string delivery_id(const Notification& n);

    std::vector<std::unique_ptr<Lane>> lanes_;
    core::Telemetry& telemetry_;
    core::Store* store_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::chrono::steady_clock::time_point deadline_{};
    const std::string process_tag_;  // random, for delivery ids of notifications not kept
    std::atomic<std::uint64_t> unsaved_{0};
};

}  // namespace terrain::alerts
