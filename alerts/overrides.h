#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "alerts/alert.h"
#include "alerts/executions.h"
#include "alerts/manager.h"
#include "alerts/policy.h"
#include "core/clock.h"
#include "core/store.h"
#include "core/telemetry.h"

namespace terrain::alerts {

// A button pressed on an alert, as a verified request tells it. The identity comes only from
// the verified request (the platform's signed payload), never from anything the page says.
struct Click {
    std::string platform;  // slack | mattermost | teams | inbox
    std::string user_id;
    std::string alert;     // alert id
    std::string action;    // an action's name
    std::string arg;       // snooze: a duration ("1h"); not_a_problem: the reason
    std::string receiver;  // the receiver whose message was clicked (private replies go there)
    std::string channel;   // where the click happened (private replies go there)
};

struct ClickOutcome {
    int status = 200;     // 200 done or accepted; 400, 403 not allowed, 404, 409 already
    std::string message;  // for the person who clicked, only
    std::optional<Alert> alert;
};

// Carries out an override against a MAP or ESP. run() is called from the overrides worker
// thread, one at a time; it makes one attempt (the worker retries) and must not throw.
class Executor {
public:
    struct Outcome {
        bool ok = false;
        bool retryable = false;  // a timeout, a refused connection, 429 or 5xx
        std::string detail;      // "HTTP 200: {...}" or why it failed
    };
    virtual ~Executor() = default;
    virtual Outcome run(const core::ActionConfig& action, const Alert& alert,
                        const std::string& person, const std::string& idempotency_key,
                        bool revert) = 0;
};

// Turns clicks into actions. Built-in actions are applied to the alert at once; overrides are
// authorised, recorded as pending in the store (so a restart resumes them and a repeated
// click is recognised by its idempotency key: the MAP is called once per alert and action
// until it is reverted or fails), answered, and then run on a worker thread with retries and
// backoff; results go to the audit trail and the alert's thread. click() is thread-safe and
// returns quickly (no network); start() resumes pending work; tick() starts due reverts.
class Overrides final {
public:
    Overrides(const Policy& policy, AlertManager& alerts, core::Store& store,
              Executor& executor, core::Telemetry& telemetry, const core::Clock& clock);
    ~Overrides();
    Overrides(const Overrides&) = delete;
    Overrides& operator=(const Overrides&) = delete;

    ClickOutcome click(const Click& click);
    void start();
    void tick();
    // Finishes the execution in progress (not the queued ones: they stay pending in the store
    // and resume at the next start).
    void stop();

private:
    struct Job {
        std::string key;
        bool revert = false;
    };
    void run();
    // Hands a run (or its revert) to the worker.
    void enqueue(const std::string& key, bool revert);
    void execute(const Job& job);
    ClickOutcome audit_refusal(const Click& click, const std::string& actor, int status,
                               const std::string& reason, const std::string& message);
    // A second allowed person's click on a run awaiting approval: it runs (the first person
    // clicking again is refused).
    // A built-in action (acknowledge, snooze, ...) clicked on a card: the alert manager takes it.
    ClickOutcome click_builtin(const Click& click, const std::string& actor,
                               const core::PersonConfig& who, const core::ActionConfig& action,
                               const Alert& alert);
    // A new run of an override: recorded, then queued (or held for a second person).
    ClickOutcome request(const Click& click, const std::string& actor,
                         const core::PersonConfig& who, const core::ActionConfig& action,
                         const std::string& alert_id, std::size_t earlier_runs);
    // An undo clicked on a card: the undone override's revert runs now.
    ClickOutcome undo(const Click& click, const std::string& actor, const core::PersonConfig& who,
                      const core::ActionConfig& action, const Alert& alert);
    ClickOutcome approve(const Click& click, const std::string& actor,
                         const core::PersonConfig& who, const core::ActionConfig& action,
                         Execution run);

    const Policy& policy_;
    AlertManager& alerts_;
    core::Store& store_;
    Executions executions_;
    Executor& executor_;
    core::Telemetry& telemetry_;
    const core::Clock& clock_;
    std::mutex click_mutex_;  // one click decision at a time: check-then-record is atomic
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<Job> jobs_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace terrain::alerts
