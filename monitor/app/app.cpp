#include "monitor/app/app.h"

#include <condition_variable>
#include <csignal>
#include <functional>
#include <map>
#include <mutex>
#include <thread>
#include <filesystem>
#include <memory>

#include "alerts/manager.h"
#include "alerts/notifier.h"
#include "alerts/overrides.h"
#include "alerts/policy.h"
#include "detectors/detector.h"
#include "monitor/app/pipeline.h"
#include "monitor/clock.h"
#include "monitor/config.h"
#include "monitor/duration.h"
#include "monitor/event_log.h"
#include "monitor/hash.h"
#include "monitor/intake.h"
#include "monitor/log.h"
#include "monitor/store.h"
#include "monitor/telemetry.h"
#include "webhooks/alertmanager_receiver.h"
#include "webhooks/api.h"
#include "webhooks/http_server.h"
#include "webhooks/json_poster.h"
#include "webhooks/action_executor.h"
#include "webhooks/mattermost_receiver.h"
#include "webhooks/pagerduty_receiver.h"
#include "webhooks/slack_receiver.h"
#include "webhooks/teams_receiver.h"
#include "webhooks/webhook_receiver.h"

namespace terrain::app {

namespace {

std::vector<alerts::Notifier::Route> make_receivers(const monitor::Config& config,
                                                   const alerts::Policy& policy,
                                                   monitor::Store& store) {
    std::vector<alerts::Notifier::Route> routes;
    for (const auto& r : config.receivers) {
        alerts::Notifier::Route route;
        route.config = r;
        if (r.type == "slack") {
            route.receiver = std::make_unique<webhooks::SlackReceiver>(r, policy, store);
        } else if (r.type == "mattermost") {
            route.receiver = std::make_unique<webhooks::MattermostReceiver>(r, policy, store);
        } else if (r.type == "teams") {
            route.receiver = std::make_unique<webhooks::TeamsReceiver>(r, policy, store);
        } else if (r.type == "pagerduty") {
            route.receiver = std::make_unique<webhooks::PagerDutyReceiver>(r);
        } else if (r.type == "webhook") {
            route.receiver = std::make_unique<webhooks::WebhookReceiver>(r);
        } else if (r.type == "alertmanager") {
            route.receiver = std::make_unique<webhooks::AlertmanagerReceiver>(r);
        } else {
            route.receiver = std::make_unique<alerts::LogReceiver>(r.name);
        }
        routes.push_back(std::move(route));
    }
    return routes;
}

// Calls `work` about once a second on its own thread (escalations, reminders, snooze ends,
// automatic reverts) until stopped.
class Housekeeping final {
public:
    explicit Housekeeping(std::function<void()> work)
        : work_(std::move(work)), thread_([this] { run(); }) {}
    ~Housekeeping() { stop(); }
    void stop() {
        {
            std::lock_guard lock(mutex_);
            stopping_ = true;
        }
        cv_.notify_all();
        if (thread_.joinable()) {
            thread_.join();
        }
    }

private:
    void run() {
        std::unique_lock lock(mutex_);
        while (!cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; })) {
            lock.unlock();
            try {
                work_();
            } catch (const std::exception& e) {
                monitor::log_error(std::string("housekeeping: ") + e.what());
            }
            lock.lock();
        }
    }

    std::function<void()> work_;
    std::mutex mutex_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        throw monitor::ConfigError("listen: '" + listen + "' is not HOST:PORT");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    int port = -1;
    try {
        std::size_t used = 0;
        port = std::stoi(listen.substr(colon + 1), &used);
        if (used != listen.size() - colon - 1) {
            port = -1;
        }
    } catch (const std::exception&) {
        port = -1;
    }
    if (port < 0 || port > 65535) {
        throw monitor::ConfigError("listen: '" + listen + "' has no valid port (0-65535)");
    }
    return {host, static_cast<std::uint16_t>(port)};
}

}  // namespace

namespace {

// The store at `path`, checked with SQLite's quick_check. A damaged store is moved aside (kept
// as terrain.db.damaged-<ms> for inspection and recovery with sqlite3's .recover) and a fresh
// one started: terrain keeps taking events, and the windows are rebuilt from the event log.
std::unique_ptr<monitor::Store> open_store(const std::string& path, std::int64_t now_ms) {
    std::string problems;
    try {
        auto store = std::make_unique<monitor::Store>(path);
        problems = store->integrity_problems();
        if (problems.empty()) {
            return store;
        }
    } catch (const std::exception& e) {
        if (!std::filesystem::exists(path)) {
            throw;  // not damage: the directory cannot hold a store
        }
        problems = e.what();
    }
    const std::string aside = path + ".damaged-" + std::to_string(now_ms);
    for (const char* suffix : {"", "-wal", "-shm"}) {
        std::error_code ec;
        std::filesystem::rename(path + suffix, aside + suffix, ec);
    }
    monitor::log_error("the store " + path + " is damaged (" + problems + "); it is kept as " +
                       aside + " and a fresh store started: alerts, silences and the audit "
                       "trail start empty, the windows are rebuilt from the event log");
    return std::make_unique<monitor::Store>(path);
}

// The store's last checkpoint if it is plausible; otherwise the reason is logged and nothing
// is restored (the windows are rebuilt from the event log).
std::optional<monitor::Store::Checkpoint> usable_checkpoint(const monitor::Store& store,
                                                            std::int64_t now_ms) {
    std::optional<monitor::Store::Checkpoint> checkpoint;
    try {
        checkpoint = store.load_checkpoint();
    } catch (const std::exception& e) {
        monitor::log_error(std::string("the checkpoint is unreadable (") + e.what() +
                           "); the windows are rebuilt from the event log");
        return std::nullopt;
    }
    if (!checkpoint) {
        return std::nullopt;
    }
    // A checkpoint from before terrain existed, from the future, or counting more events than
    // could ever have been sent is not one terrain wrote.
    constexpr std::int64_t kEarliest = 1'577'836'800'000;  // 2020-01-01
    constexpr std::uint64_t kMostEvents = 1ULL << 53;
    if (checkpoint->saved_ms < kEarliest || checkpoint->saved_ms > now_ms + 86'400'000 ||
        checkpoint->events > kMostEvents || checkpoint->log_seq == 0 ||
        checkpoint->log_seq > kMostEvents) {
        monitor::log_error("the checkpoint is not plausible (saved " +
                           monitor::format_rfc3339_ms(checkpoint->saved_ms) + ", " +
                           std::to_string(checkpoint->events) + " events, log record " +
                           std::to_string(checkpoint->log_seq) +
                           "): refused; the windows are rebuilt from the event log");
        return std::nullopt;
    }
    return checkpoint;
}

}  // namespace

int run_service(const RunOptions& options) {
    monitor::Config config = options.config_path.empty()
                                 ? monitor::default_config()
                                 : monitor::load_config_file(options.config_path);
    if (!options.listen.empty()) {
        config.server.listen = options.listen;
    }
    auto [host, port] = split_listen(config.server.listen);

    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    for (const auto& m : config.metrics) {
        for (const auto& d : m.detectors) {
            registry.make(d);  // validate before anything starts
        }
    }

    std::error_code ec;
    std::filesystem::create_directories(options.data_dir, ec);
    if (ec) {
        throw monitor::ConfigError("--data-dir: cannot create '" + options.data_dir +
                                   "': " + ec.message());
    }
    const std::string dir = options.data_dir;

    // Block the stop signals in every thread; the main thread waits for them below.
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    // A write beyond the file size limit fails like a full disk (and is handled the same way)
    // instead of killing terrain.
    std::signal(SIGXFSZ, SIG_IGN);

    monitor::SystemClock clock;
    monitor::Telemetry telemetry;
    const auto owned_store = open_store(dir + "/terrain.db", clock.now_ms());
    monitor::Store& store = *owned_store;
    monitor::SubjectHasher hasher(monitor::load_or_create_key(dir + "/subject.key"));
    alerts::Policy policy(config.people, config.actions, config.interact);
    webhooks::HttpExecutor executor(config.actions);
    alerts::Notifier notifier(make_receivers(config, policy, store), telemetry, &store);
    alerts::HoldRules rules;
    for (const auto& a : config.actions) {
        if (!a.holds.empty()) {
            rules.holds[a.name] = a.holds;
        }
    }
    for (const auto& q : config.quiet_windows) {
        rules.quiet.emplace_back(q);
    }
    rules.inhibit = config.inhibit_rules;
    alerts::AlertManager alert_manager(store,
                                       notifier,
                                       telemetry,
                                       clock,
                                       config.receivers,
                                       std::move(rules),
                                       alerts::DutyRoster(config.on_duty));
    alerts::Overrides overrides(policy, alert_manager, store, executor, telemetry, clock);
    notifier.restore(alert_manager.list(alerts::AlertState::kFiring));
    monitor::EventLog event_log(
        dir + "/log", {64 * 1024 * 1024,
                       config.pipeline.fsync ? monitor::EventLog::Fsync::kAlways
                                             : monitor::EventLog::Fsync::kNever});
    monitor::Intake intake(config.pipeline.queue_events, config.pipeline.dedup_capacity,
                           telemetry, &event_log);
    Pipeline pipeline(config, registry, alert_manager, intake, telemetry, clock, &event_log, &store);

    // Restore the last checkpoint (windows, event ids; detector state comes with the
    // snapshots), then replay the event log's later records before accepting anything new.
    // Alerts already stored are not raised or notified again.
    std::uint64_t replay_from = 1;
    if (auto checkpoint = usable_checkpoint(store, clock.now_ms())) {
        pipeline.restore_windows(checkpoint->windows, checkpoint->events);
        if (!intake.restore_ids(checkpoint->ids)) {
            monitor::log_error("the checkpoint's event ids are unreadable: a retry of an event "
                               "acknowledged before it may be counted twice");
        }
        replay_from = checkpoint->log_seq;
        monitor::log_info("restored the checkpoint of " +
                          monitor::format_rfc3339_ms(checkpoint->saved_ms) +
                          "; replaying the event log from record " + std::to_string(replay_from));
    }
    std::size_t replayed = 0;
    event_log.replay(replay_from, [&](std::string&& source, std::vector<monitor::Event>&& events) {
        intake.replayed(source, events);
        replayed += events.size();
        pipeline.process(events);
    });
    telemetry.log_replayed_events.Increment(static_cast<double>(replayed));
    telemetry.log_damaged_records.Increment(static_cast<double>(event_log.damaged_records()));
    if (event_log.damaged_records() > 0) {
        monitor::log_error("the event log had " + std::to_string(event_log.damaged_records()) +
                           " damaged record(s) (" + std::to_string(event_log.damaged_bytes()) +
                           " bytes); they were skipped and their events are lost; the rest was "
                           "replayed");
    }
    telemetry.log_segments.Set(static_cast<double>(event_log.segments()));
    if (replayed > 0) {
        monitor::log_info("replayed " + std::to_string(replayed) + " events from the event log");
    }

    webhooks::HttpServer::Options http;
    http.host = host;
    http.port = port;
    http.threads = config.server.threads;
    http.max_body_bytes = config.server.max_body_bytes;
    http.max_connections = config.server.max_connections;
    http.hosts = config.server.hosts;
    http.registry = telemetry.registry.get();
    webhooks::HttpServer server(http);
    webhooks::ApiContext ctx;
    ctx.intake = &intake;
    ctx.alerts = &alert_manager;
    ctx.store = &store;
    ctx.telemetry = &telemetry;
    ctx.hasher = &hasher;
    ctx.clock = &clock;
    ctx.config = &config;
    ctx.status = [&pipeline] { return pipeline.status(); };
    ctx.ready = [&pipeline, &intake, &event_log] {
        return pipeline.running() && intake.queued_events() < intake.capacity() &&
               event_log.writable();
    };
    ctx.interact = {&overrides, &alert_manager, &notifier, &policy, &clock, &telemetry, &config,
                    &store};
    webhooks::install_routes(server, ctx, webhooks::builtin_adapters());

    overrides.start();
    Housekeeping housekeeping([&] {
        alert_manager.tick();
        overrides.tick();
    });
    pipeline.start();
    const std::uint16_t bound = server.start();
    monitor::log_info(std::string("terrain ") + TERRAIN_VERSION + " listening on http://" +
                      (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                      std::to_string(bound) + " (config: " +
                      (options.config_path.empty() ? "embedded default" : options.config_path) +
                      ", data: " + dir + ", metrics: " + std::to_string(config.metrics.size()) +
                      ", receivers: " + std::to_string(config.receivers.size()) + ")");

    int sig = 0;
    sigwait(&signals, &sig);
    monitor::log_info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                      ", stopping");
    server.stop();
    pipeline.stop();
    housekeeping.stop();
    // Stopping takes at most five seconds more: every outbound call in flight or to come (a
    // receiver that trickles or never answers, a MAP action) ends by then.
    constexpr auto kDrain = std::chrono::seconds(5);
    webhooks::cap_outbound_calls(std::chrono::steady_clock::now() + kDrain);
    overrides.stop();
    notifier.stop(kDrain);
    monitor::log_info("stopped cleanly");
    return 0;
}

}  // namespace terrain::app
