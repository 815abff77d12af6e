#include "monitor/default_config.h"
#include "monitor/app.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
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
#include "alerts/receivers.h"
#include "detectors/detector.h"
#include "alerts/metrics.h"
#include "monitor/metrics.h"
#include "monitor/cluster.h"
#include "monitor/findings_queue.h"
#include "monitor/leader.h"
#include "monitor/pipeline.h"
#include "monitor/startup.h"
#include "monitor/whatif.h"
#include "core/version.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/duration.h"
#include "core/event_log.h"
#include "core/hash.h"
#include "core/intake.h"
#include "core/log.h"
#include "core/store.h"
#include "core/postgres_store.h"
#include "core/telemetry.h"
#include "webhooks/api.h"
#include "webhooks/http_server.h"
#include "core/json_poster.h"
#include "alerts/action_executor.h"

namespace terrain::monitor {

namespace {

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
                core::log_error(std::string("housekeeping: ") + e.what());
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


// The store at `path`, checked with SQLite's quick_check. A damaged store is moved aside (kept
// as terrain.db.damaged-<ms> for inspection and recovery with sqlite3's .recover) and a fresh
// one started: terrain keeps taking events, and the windows are rebuilt from the event log.
std::unique_ptr<core::Store> open_store(const std::string& path, std::int64_t now_ms) {
    std::string problems;
    try {
        auto store = std::make_unique<core::SqliteStore>(path);
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
    core::log_error("the store " + path + " is damaged (" + problems + "); it is kept as " +
                       aside + " and a fresh store started: alerts, silences and the audit "
                       "trail start empty, the windows are rebuilt from the event log");
    return std::make_unique<core::SqliteStore>(path);
}

// The store's last checkpoint if it is plausible; otherwise the reason is logged and nothing
// is restored (the windows are rebuilt from the event log).
std::optional<core::Store::Checkpoint> usable_checkpoint(const core::Store& store,
                                                            std::int64_t now_ms) {
    std::optional<core::Store::Checkpoint> checkpoint;
    try {
        checkpoint = store.load_checkpoint();
    } catch (const std::exception& e) {
        core::log_error(std::string("the checkpoint is unreadable (") + e.what() +
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
        core::log_error("the checkpoint is not plausible (saved " +
                           core::format_rfc3339_ms(checkpoint->saved_ms) + ", " +
                           std::to_string(checkpoint->events) + " events, log record " +
                           std::to_string(checkpoint->log_seq) +
                           "): refused; the windows are rebuilt from the event log");
        return std::nullopt;
    }
    return checkpoint;
}

alerts::HoldRules hold_rules(const core::Config& config) {
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
    return rules;
}

webhooks::HttpServer::Options server_options(const Plan& plan, core::Telemetry& telemetry) {
    const auto& s = plan.config.server;
    webhooks::HttpServer::Options http;
    std::tie(http.host, http.port) = split_listen(s.listen);
    http.threads = s.threads;
    http.max_body_bytes = s.max_body_bytes;
    http.max_connections = s.max_connections;
    http.hosts = s.hosts;
    http.registry = telemetry.registry.get();
    return http;
}

// Which configuration runs and how the last reload went, for /api/v1/status and the
// terrain_config_* metrics; and a reload asked for over HTTP (POST /-/reload), which is
// validated here with the same steps as `terrain check` and then done by the main thread, as
// a SIGHUP is. Thread-safe.
class ConfigState final {
public:
    ConfigState(const RunOptions& options, const Kinds& kinds, core::Telemetry& telemetry)
        : options_(options), kinds_(kinds), metrics_(telemetry.of<ConfigMetrics>()) {}

    void loaded(const Plan& plan, std::int64_t now_ms) {
        std::lock_guard lock(mutex_);
        hash_ = plan.hash;
        origin_ = plan.origin;
        loaded_ms_ = now_ms;
        last_ok_ = true;
        last_error_.clear();
        last_ms_ = now_ms;
        metrics_.last_reload_successful.Set(1);
        metrics_.last_reload_success_seconds.Set(static_cast<double>(now_ms) / 1000.0);
    }
    void refused(const std::string& error, std::int64_t now_ms) {
        std::lock_guard lock(mutex_);
        last_ok_ = false;
        last_error_ = error;
        last_ms_ = now_ms;
        metrics_.last_reload_successful.Set(0);
    }
    nlohmann::json json() const {
        std::lock_guard lock(mutex_);
        return {{"hash", hash_},
                {"origin", origin_},
                {"loaded_at", core::format_rfc3339_ms(loaded_ms_)},
                {"last_reload",
                 {{"successful", last_ok_},
                  {"at", core::format_rfc3339_ms(last_ms_)},
                  {"error", last_error_}}}};
    }
    // POST /-/reload: the file as it is now, validated; a good one is reloaded by the main
    // thread (a SIGHUP to this process), a bad one refused here and the running one kept.
    webhooks::ReloadAnswer request() {
        std::string error;
        auto next = load_next(error);
        if (!next) {
            return {false, "", error};
        }
        kill(getpid(), SIGHUP);
        return {true, next->hash, ""};
    }
    // The file as it is now, loaded and validated as `terrain check` does; null when refused
    // (logged, recorded, `error` says why). The one path of SIGHUP and POST /-/reload.
    std::unique_ptr<Plan> load_next(std::string& error) {
        try {
            auto next = std::make_unique<Plan>(load_plan(options_));
            validate(*next, kinds_);
            return next;
        } catch (const std::exception& e) {
            error = e.what();
            core::log_error("reload refused; the running configuration stays: " + error);
            refused(error, core::SystemClock().now_ms());
            return nullptr;
        }
    }

private:
    const RunOptions& options_;
    const Kinds& kinds_;
    ConfigMetrics& metrics_;
    mutable std::mutex mutex_;
    std::string hash_;
    std::string origin_;
    std::int64_t loaded_ms_ = 0;
    bool last_ok_ = true;
    std::string last_error_;
    std::int64_t last_ms_ = 0;
};

// The scale-out mode's store for what any node may write at any time: the memory of vendors'
// signatures already used (a replay to another node is refused too).
std::unique_ptr<core::Store> node_store(const core::Config& config) {
    return std::make_unique<core::PostgresStore>(core::resolve_secret(config.cluster.postgres),
                                                 [](core::Postgres&) {});
}

// The alert side over one store: people's policy, the receivers and their notifications,
// alerts, overrides, and the housekeeping thread that drives their changes in time. The
// embedded default has one for the life of the service; in the scale-out mode the node that
// leads the alerting has one per lease term (AlertLeader), on the shared PostgreSQL store, and
// answers the alert and people routes with it.
class Alerting final : public AlertLeader::Term {
public:
    Alerting(const core::Config& config, const Kinds& kinds, core::Telemetry& telemetry,
             const core::Clock& clock, core::Store& store)
        : store_(store),
          policy_(config.people, config.actions, config.interact),
          executor_(config.actions),
          notifier_(kinds.receivers.make(config, {policy_, store}), telemetry, &store),
          alerts_(store, notifier_, telemetry, clock, config.receivers, hold_rules(config),
                  alerts::DutyRoster(config.on_duty)),
          overrides_(policy_, alerts_, store, executor_, telemetry, clock) {
        notifier_.restore(alerts_.list(alerts::AlertState::kFiring));
        alerts_.set_reasons(config.interact.not_a_problem_reasons);
    }
    ~Alerting() override { stop(std::chrono::seconds(1)); }

    alerts::AlertManager& alerts() { return alerts_; }

    // `ctx` with this alert side's parts filled in.
    webhooks::ApiContext context(webhooks::ApiContext ctx) {
        ctx.alerts = &alerts_;
        ctx.store = &store_;
        ctx.interact = {&overrides_, &alerts_, &notifier_, &policy_, ctx.clock, ctx.telemetry,
                        ctx.config, &store_};
        ctx.alerting = nullptr;
        return ctx;
    }
    // A term: the alert and people routes answered by this one, from `base`.
    void serve_here(const webhooks::ApiContext& base) {
        webhooks::install_alerting_routes(routes_, context(base));
    }
    void start() {
        overrides_.start();
        housekeeping_ = std::make_unique<Housekeeping>([this] {
            alerts_.tick();
            overrides_.tick();
        });
    }
    // Every outbound call in flight or to come gets at most `drain` more; what is not delivered
    // stays in the outbox for the next start (or term).
    void stop(std::chrono::milliseconds drain) {
        if (stopped_.exchange(true)) {
            return;
        }
        if (housekeeping_) {
            housekeeping_->stop();
        }
        core::cap_outbound_calls(std::chrono::steady_clock::now() + drain);
        overrides_.stop();
        notifier_.stop(drain);
        core::cap_outbound_calls(std::nullopt);
    }
    void introduce(const std::vector<std::string>& receivers) {
        notifier_.introduce(receivers, alerts_.list(alerts::AlertState::kFiring));
    }

    core::FindingSink& findings() override { return alerts_; }
    core::HttpResponse answer(const core::HttpRequest& req) override { return routes_.handle(req); }
    void stop() override { stop(std::chrono::seconds(1)); }

private:
    core::Store& store_;
    alerts::Policy policy_;
    alerts::HttpExecutor executor_;
    alerts::Notifier notifier_;
    alerts::AlertManager alerts_;
    alerts::Overrides overrides_;
    std::unique_ptr<Housekeeping> housekeeping_;
    webhooks::HttpServer routes_{{}};  // a term's: never started, see answer()
    std::atomic<bool> stopped_{false};
};

// The running service: every part made in start-up order (members are declared in it) from a
// validated plan, in a data directory that exists. The embedded default: the local event log,
// the SQLite store, one pipeline and one alert side. The scale-out mode (a `cluster:` section):
// the Kafka log, pipelines per partition (ClusterNode) and the alert side wherever the
// alerting leader runs (AlertLeader); nothing is kept in the data directory but the subject key.
class Service final {
public:
    Service(const Plan& plan, const Kinds& kinds, core::Telemetry& telemetry)
        : config_(plan.config),
          dir_(plan.data_dir),
          telemetry_(telemetry),
          cluster_mode_(config_.cluster.enabled),
          store_(cluster_mode_ ? node_store(config_)
                               : open_store(dir_ + "/terrain.db", clock_.now_ms())),
          hasher_(core::load_or_create_key(dir_ + "/subject.key")),
          alerting_(cluster_mode_ ? nullptr
                                  : std::make_unique<Alerting>(config_, kinds, telemetry_,
                                                               clock_, *store_)),
          log_(cluster_mode_ ? nullptr
                             : std::make_unique<core::EventLog>(
                                   dir_ + "/log",
                                   core::EventLog::Options{
                                       64 * 1024 * 1024, config_.pipeline.fsync
                                                             ? core::EventLog::Fsync::kAlways
                                                             : core::EventLog::Fsync::kNever})),
          kafka_(cluster_mode_ ? std::make_unique<core::KafkaLog>(config_.cluster) : nullptr),
          intake_(config_.pipeline.queue_events, config_.pipeline.dedup_capacity, telemetry_,
                  kafka_ ? static_cast<core::DurableLog*>(kafka_.get()) : log_.get(),
                  kafka_ ? core::Intake::HandOff::kLogOnly : core::Intake::HandOff::kQueue),
          findings_(cluster_mode_ ? std::make_unique<FindingsQueue>(
                                        core::resolve_secret(config_.cluster.postgres), config_)
                                  : nullptr),
          pipeline_(cluster_mode_ ? nullptr
                                  : std::make_unique<Pipeline>(config_, kinds.detectors,
                                                               alerting_->alerts(), intake_,
                                                               telemetry_, clock_, log_.get(),
                                                               store_.get())),
          cluster_(cluster_mode_ ? std::make_unique<ClusterNode>(config_, kinds.detectors,
                                                                 *findings_, telemetry_, clock_,
                                                                 *kafka_)
                                 : nullptr),
          leader_(cluster_mode_
                      ? std::make_unique<AlertLeader>(
                            config_, cluster_->node(),
                            [this, &kinds](core::Store& shared) {
                                auto term = std::make_unique<Alerting>(config_, kinds, telemetry_,
                                                                       clock_, shared);
                                term->serve_here(base_ctx_);
                                term->start();
                                return term;
                            },
                            telemetry_)
                      : nullptr) {
        telemetry_.of<alerts::AlertMetrics>().start_at_zero(config_);
    }

    // Restores the last checkpoint (windows, event ids; detector state comes with the
    // snapshots), then replays the event log's later records before accepting anything new.
    // Alerts already stored are not raised or notified again.
    void restore() {
        if (cluster_) {
            return;  // each partition restores its own checkpoint when this node is given it
        }
        std::uint64_t replay_from = 1;
        if (auto checkpoint = usable_checkpoint(*store_, clock_.now_ms())) {
            pipeline_->restore_windows(checkpoint->windows, checkpoint->events);
            if (!intake_.restore_ids(checkpoint->ids)) {
                core::log_error("the checkpoint's event ids are unreadable: a retry of an event "
                                "acknowledged before it may be counted twice");
            }
            replay_from = checkpoint->log_seq;
            core::log_info("restored the checkpoint of " +
                           core::format_rfc3339_ms(checkpoint->saved_ms) +
                           "; replaying the event log from record " + std::to_string(replay_from));
        }
        std::size_t replayed = 0;
        auto& log = *log_;
        log.replay(replay_from, [&](std::string&& source, std::vector<core::Event>&& events) {
            intake_.replayed(source, events);
            replayed += events.size();
            pipeline_->process(events);
        });
        telemetry_.of<PipelineMetrics>().log_replayed_events.Increment(static_cast<double>(replayed));
        telemetry_.of<PipelineMetrics>().log_damaged_records.Increment(static_cast<double>(log.damaged_records()));
        if (log.damaged_records() > 0) {
            core::log_error("the event log had " + std::to_string(log.damaged_records()) +
                            " damaged record(s) (" + std::to_string(log.damaged_bytes()) +
                            " bytes); they were skipped and their events are lost; the rest "
                            "was replayed");
        }
        telemetry_.of<PipelineMetrics>().log_segments.Set(static_cast<double>(log.segments()));
        if (replayed > 0) {
            core::log_info("replayed " + std::to_string(replayed) + " events from the event log");
        }
    }

    // Installs the routes on `server` (the live one before it starts, or a staging one whose
    // routes replace the live ones on reload) and starts every thread.
    void serve(webhooks::HttpServer& server, const Kinds& kinds, ConfigState& config_state) {
        webhooks::ApiContext ctx;
        ctx.intake = &intake_;
        ctx.store = store_.get();
        ctx.telemetry = &telemetry_;
        ctx.hasher = &hasher_;
        ctx.clock = &clock_;
        ctx.config = &config_;
        ctx.status = [this, &config_state] {
            // The scale-out mode's pipelines are per partition: their status is under
            // cluster.partitions[].pipeline.
            nlohmann::json status =
                cluster_ ? nlohmann::json{{"metrics", nlohmann::json::array()},
                                          {"queue_events", intake_.queued_events()},
                                          {"queue_capacity", intake_.capacity()},
                                          {"cluster", cluster_->status()}}
                         : pipeline_->status();
            if (leader_) {
                status["cluster"]["alerting"] = leader_->status();
            }
            status["config"] = config_state.json();
            return status;
        };
        ctx.reload = [&config_state] { return config_state.request(); };
        ctx.whatif = [this, &kinds](const std::string& yaml) -> nlohmann::json {
            const core::Config candidate = core::parse_config(yaml, "candidate");
            for (const auto& m : candidate.metrics) {
                for (const auto& d : m.detectors) {
                    kinds.detectors.make(d);
                }
            }
            const auto r = run_whatif(candidate, {dir_, false});
            nlohmann::json changes = nlohmann::json::array();
            static const char* kKinds[] = {"same", "earlier", "later", "removed", "added"};
            for (const auto& c : r.changes) {
                changes.push_back({{"kind", kKinds[static_cast<int>(c.kind)]},
                                   {"metric", c.metric},
                                   {"detector", c.detector},
                                   {"labels", alerts::labels_json(c.labels)},
                                   {"was_ms", c.was_ms},
                                   {"would_ms", c.would_ms},
                                   {"alert", c.alert_id},
                                   {"feedback", c.feedback}});
            }
            return {{"events", r.backtest.events}, {"alerts", r.alerts}, {"changes", changes},
                    {"text", whatif_text(r)}};
        };
        ctx.suggestion = [this](const std::string& key) -> nlohmann::json {
            const auto found = suggest(config_, dir_, key);
            if (found.empty()) {
                return nullptr;
            }
            const auto& s = found.front();
            return {{"metric", s.metric},
                    {"detector", s.detector},
                    {"parameter", s.parameter},
                    {"current", s.current},
                    {"suggested", s.suggested},
                    {"confirmed", s.confirmed},
                    {"rejected", s.rejected},
                    {"confirmed_kept", s.confirmed_kept},
                    {"rejected_spared", s.rejected_spared},
                    {"text", s.text}};
        };
        ctx.ready = [this] {
            if (cluster_) {
                return cluster_->ready();
            }
            return pipeline_->running() && intake_.queued_events() < intake_.capacity() &&
                   log_->writable();
        };
        base_ctx_ = ctx;
        if (alerting_) {
            ctx = alerting_->context(ctx);
        } else {
            ctx.alerting = [this](const core::HttpRequest& req) { return leader_->answer(req); };
        }
        webhooks::install_routes(server, ctx, kinds.sources);
        if (alerting_) {
            alerting_->start();
        }
        if (cluster_) {
            cluster_->start();
            leader_->start();
        } else {
            pipeline_->start();
        }
    }

    // Receivers added by a reload hear of the alerts already firing (each as its route
    // matches), once.
    void introduce(const std::vector<std::string>& receivers) {
        if (alerting_) {
            alerting_->introduce(receivers);
        }
    }

    // After the server stopped (or its routes were taken away for a reload): everything
    // accepted is processed and checkpointed, then at most `drain` more for every outbound call
    // in flight or to come (a receiver that trickles or never answers, a MAP action); what is
    // not delivered stays in the outbox for the next start.
    void stop(std::chrono::milliseconds drain = std::chrono::seconds(5)) {
        if (cluster_) {
            cluster_->stop();
            leader_->stop();
        }
        if (pipeline_) {
            pipeline_->stop();
        }
        if (alerting_) {
            alerting_->stop(drain);
        }
    }

private:
    const core::Config& config_;
    const std::string dir_;
    core::Telemetry& telemetry_;
    core::SystemClock clock_;
    const bool cluster_mode_;
    // The embedded default's SQLite store; the scale-out mode's shared one for the vendors'
    // replay guards (the alert side's is the leader's, fenced).
    std::unique_ptr<core::Store> store_;
    core::SubjectHasher hasher_;
    std::unique_ptr<Alerting> alerting_;     // the embedded default's
    std::unique_ptr<core::EventLog> log_;    // the embedded default's
    std::unique_ptr<core::KafkaLog> kafka_;  // the scale-out mode's event log
    core::Intake intake_;
    std::unique_ptr<FindingsQueue> findings_;  // the scale-out mode's way to the alert side
    std::unique_ptr<Pipeline> pipeline_;       // the embedded default's
    std::unique_ptr<ClusterNode> cluster_;     // the scale-out mode's partitions and pipelines
    webhooks::ApiContext base_ctx_;            // what a term's routes start from (set by serve)
    std::unique_ptr<AlertLeader> leader_;      // the scale-out mode's alert side
};

// Blocks the stop and reload signals in every thread (the main thread waits for them); a write beyond
// the file size limit fails like a full disk (and is handled the same way) instead of
// killing terrain.
sigset_t block_stop_signals() {
    sigset_t signals;
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);  // reload
    pthread_sigmask(SIG_BLOCK, &signals, nullptr);
    std::signal(SIGXFSZ, SIG_IGN);
    return signals;
}

// Routes that answer every request with 503 and Retry-After while a reload swaps the service:
// nothing is accepted that could be lost, and vendors retry.
void install_reloading_routes(webhooks::HttpServer& server) {
    for (const char* method : {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS"}) {
        server.route(method, "/*", [](const core::HttpRequest&) {
            auto r = core::HttpResponse::error(503, "reloading",
                                               "terrain is reloading its configuration; retry");
            r.headers.emplace_back("Retry-After", "1");
            return r;
        });
    }
}

std::vector<std::string> receiver_names(const core::Config& config) {
    std::vector<std::string> names;
    for (const auto& r : config.receivers) {
        names.push_back(r.name);
    }
    return names;
}

}  // namespace

int run_service(const RunOptions& options) {
    // load -> validate (the same steps as `terrain check`) -> bind -> open -> restore -> serve:
    // a refused configuration or a taken port leaves nothing behind on disk.
    auto plan = std::make_unique<Plan>(load_plan(options));
    const Kinds kinds;
    validate(*plan, kinds);
    core::Telemetry telemetry;
    webhooks::HttpServer server(server_options(*plan, telemetry));
    const std::uint16_t bound = server.bind();
    std::error_code ec;
    std::filesystem::create_directories(plan->data_dir, ec);
    if (ec) {
        throw core::ConfigError("--data-dir: cannot create '" + plan->data_dir +
                                "': " + ec.message());
    }
    const sigset_t signals = block_stop_signals();
    ConfigState config_state(options, kinds, telemetry);
    auto service = std::make_unique<Service>(*plan, kinds, telemetry);
    service->restore();
    service->serve(server, kinds, config_state);
    config_state.loaded(*plan, core::SystemClock().now_ms());
    const std::string host = split_listen(plan->config.server.listen).first;
    core::log_info(std::string("terrain ") + core::kVersion + " listening on http://" +
                   (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
                   std::to_string(bound) + " (config: " + plan->origin + " " + plan->hash +
                   ", data: " + plan->data_dir + ", metrics: " +
                   std::to_string(plan->config.metrics.size()) +
                   ", receivers: " + std::to_string(plan->config.receivers.size()) + ")");
    std::string routes;
    for (const auto& route : server.routes()) {
        routes += (routes.empty() ? "" : ", ") + route;
    }
    core::log_info("routes: " + routes);
    // Served only after the lines above are written: whoever sees terrain ready (readyz) also
    // finds what it logged at start.
    server.start();
    int sig = 0;
    for (;;) {
        sigwait(&signals, &sig);
        if (sig != SIGHUP) {
            break;
        }
        // Reload: validated like `terrain check`; a refused file changes nothing. A good one
        // replaces the service whole: the running one checkpoints (windows, detector state,
        // alerts are in the store) and the new one restores from it, so unchanged series keep
        // their windows and baselines and a changed detector starts fresh (detectors/evaluator.h).
        const auto started = std::chrono::steady_clock::now();
        core::log_info("received SIGHUP: reloading " + plan->origin);
        std::string refused;
        std::unique_ptr<Plan> next = config_state.load_next(refused);
        if (!next) {
            continue;
        }
        if (next->config.server.listen != plan->config.server.listen) {
            core::log_warn("reload: server.listen changes only at the next start; terrain "
                           "keeps listening where it does");
        }
        const auto before = receiver_names(plan->config);
        webhooks::HttpServer reloading({});
        install_reloading_routes(reloading);
        server.replace_routes(reloading);
        service->stop(std::chrono::seconds(1));
        service.reset();
        plan = std::move(next);
        service = std::make_unique<Service>(*plan, kinds, telemetry);
        service->restore();
        webhooks::HttpServer staging({});
        service->serve(staging, kinds, config_state);
        server.replace_routes(staging);
        std::vector<std::string> added;
        for (const auto& name : receiver_names(plan->config)) {
            if (std::find(before.begin(), before.end(), name) == before.end()) {
                added.push_back(name);
            }
        }
        service->introduce(added);
        config_state.loaded(*plan, core::SystemClock().now_ms());
        core::log_info("reloaded " + plan->origin + " (" + plan->hash + ") in " +
                       std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                          std::chrono::steady_clock::now() - started)
                                          .count()) +
                       " ms; receivers added: " + std::to_string(added.size()));
    }
    core::log_info(std::string("received ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") +
                   ", stopping");
    server.stop();
    service->stop();
    core::log_info("stopped cleanly");
    return 0;
}

}  // namespace terrain::monitor
