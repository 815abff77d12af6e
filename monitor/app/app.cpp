#include "monitor/app/app.h"

#include <csignal>
#include <filesystem>
#include <memory>

#include "alerts/manager.h"
#include "alerts/notifier.h"
#include "detectors/detector.h"
#include "monitor/app/pipeline.h"
#include "monitor/clock.h"
#include "monitor/config.h"
#include "monitor/event_log.h"
#include "monitor/hash.h"
#include "monitor/intake.h"
#include "monitor/log.h"
#include "monitor/store.h"
#include "monitor/telemetry.h"
#include "webhooks/alertmanager_receiver.h"
#include "webhooks/api.h"
#include "webhooks/http_server.h"
#include "webhooks/webhook_receiver.h"

namespace terrain::app {

namespace {

std::vector<alerts::Notifier::Route> make_receivers(const monitor::Config& config) {
    std::vector<alerts::Notifier::Route> routes;
    for (const auto& r : config.receivers) {
        alerts::Notifier::Route route;
        route.config = r;
        if (r.type == "webhook") {
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

    monitor::SystemClock clock;
    monitor::Telemetry telemetry;
    monitor::Store store(dir + "/terrain.db");
    monitor::SubjectHasher hasher(monitor::load_or_create_key(dir + "/subject.key"));
    alerts::Notifier notifier(make_receivers(config), telemetry, &store);
    alerts::AlertManager alert_manager(store, notifier, telemetry, clock);
    notifier.restore(alert_manager.list(alerts::AlertState::kFiring));
    monitor::EventLog event_log(
        dir + "/log", {64 * 1024 * 1024,
                       config.pipeline.fsync ? monitor::EventLog::Fsync::kAlways
                                             : monitor::EventLog::Fsync::kNever});
    monitor::Intake intake(config.pipeline.queue_events, config.pipeline.dedup_capacity,
                           telemetry, &event_log);
    Pipeline pipeline(config, registry, alert_manager, intake, telemetry, clock, &event_log, &store);

    // Rebuild windows, detector state and the de-duplication memory from the event log before
    // accepting anything new. Alerts already stored are not raised or notified again.
    std::size_t replayed = 0;
    event_log.replay([&](std::string&& source, std::vector<monitor::Event>&& events) {
        intake.replayed(source, events);
        replayed += events.size();
        pipeline.process(events);
    });
    telemetry.log_replayed_events.Increment(static_cast<double>(replayed));
    telemetry.log_segments.Set(static_cast<double>(event_log.segments()));
    if (replayed > 0) {
        monitor::log_info("replayed " + std::to_string(replayed) + " events from the event log");
    }

    webhooks::HttpServer::Options http;
    http.host = host;
    http.port = port;
    http.threads = config.server.threads;
    http.max_body_bytes = config.server.max_body_bytes;
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
    ctx.ready = [&pipeline, &intake] {
        return pipeline.running() && intake.queued_events() < intake.capacity();
    };
    webhooks::install_routes(server, ctx, webhooks::builtin_adapters());

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
    notifier.stop();
    monitor::log_info("stopped cleanly");
    return 0;
}

}  // namespace terrain::app
