// `terrain simulate`'s command line: writes the generated requests to a file or posts them to
// a running terrain, then shows the alerts it raised.
#include "monitor/simulate.h"

#include <httplib.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <thread>

#include "core/config.h"
#include "core/duration.h"
#include "core/url.h"
#include "monitor/simulate_outbox.h"

namespace terrain::monitor {

namespace {

using json = nlohmann::json;

// After posting to a running terrain: waits (at most 30 s) until it has judged the windows up
// to the end of the stream, then prints the alerts firing.
void show_alerts(httplib::Client& client, std::int64_t end_ms) {
    for (int i = 0; i < 300; ++i) {
        auto res = client.Get("/api/v1/status");
        if (res && res->status == 200) {
            const json status = json::parse(res->body, nullptr, false);
            const auto wm = status.is_object() && status["watermark"].is_string()
                                ? core::parse_rfc3339_ms(status["watermark"].get<std::string>())
                                : std::nullopt;
            if (status.value("queue_events", 1) == 0 && wm && *wm >= end_ms - 5 * 60'000) {
                break;
            }
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    auto res = client.Get("/api/v1/alerts?state=firing");
    const json alerts = res && res->status == 200 ? json::parse(res->body, nullptr, false) : json();
    if (!alerts.is_object() || !alerts["alerts"].is_array()) {
        std::cout << "could not read the alerts from terrain\n";
        return;
    }
    std::cout << alerts["alerts"].size() << " alert(s) firing:\n";
    for (const auto& a : alerts["alerts"]) {
        std::cout << "\n  [" << a.value("severity", "") << "] " << a.value("metric", "") << "/"
                  << a.value("detector", "") << "  id " << a.value("id", "") << "\n    "
                  << a.value("summary", "") << "\n";
        if (a.contains("pair")) {
            std::cout << "    quadrant: " << a["pair"].value("quadrant", "") << "\n";
        }
    }
}


constexpr const char* kSimulateUsage =
    "usage: terrain simulate --scenario NAME [--out FILE | --to URL] [--speed X]\n"
    "                        [--end TIME] [--days N] [--seed N] [--world N] [--truth FILE]\n"
    "scenarios: quiet_week spam_folder runaway_send bot_loop ivr_outage consent_bug forced_ivr\n"
    "           bot_containment_trap send_quiet_fortnight provider_bounce complaint_spike\n"
    "           duplicate_send inbox_placement\n"
    "  --out FILE    write one request per line: {\"at\", \"source\", \"body\"}\n"
    "  --to URL      POST each request to URL/ingest/<source> (a running terrain)\n"
    "  --speed X     simulated seconds per real second (default: as fast as possible)\n"
    "  --end TIME    when the stream ends: RFC 3339, 'now', or 'evening' (the latest 20:00 UTC\n"
    "                on a weekday: the shape the tuning guide's delays are measured on);\n"
    "                default evening, now with --speed\n"
    "  --seed N      the random draws of the traffic (default 1)\n"
    "  --world N     the send scenarios' world: 0 (default) the reference one; any other number\n"
    "                draws campaigns' send hours, time zones and list sizes, providers' shares\n"
    "                and how late opens, complaints and tickets come, from wide ranges\n"
    "  --truth FILE  write the injected incidents (default: next to --out, or printed)\n"
    "TERRAIN_SIMULATE_TOKEN, when set, is sent as a bearer token with --to.\n";

struct SimulateCommand {
    SimulateOptions options;
    std::string out;
    std::string to;
    std::string truth_path;
    double speed = 0;
    std::string end;  // "", "now", "evening" or RFC 3339
};

// Sets one option; throws std::invalid_argument on a bad value, false for an unknown option.
bool set_option(SimulateCommand& c, const std::string& a, const std::string& v) {
    if (a == "--scenario") {
        c.options.scenario = v;
    } else if (a == "--out") {
        c.out = v;
    } else if (a == "--to") {
        c.to = v;
    } else if (a == "--truth") {
        c.truth_path = v;
    } else if (a == "--speed") {
        c.speed = std::stod(v);
        if (!(c.speed > 0)) {
            throw std::invalid_argument(v);
        }
    } else if (a == "--days") {
        c.options.days = std::stoi(v);
        if (c.options.days < 1 || c.options.days > 28) {
            throw std::invalid_argument(v);
        }
    } else if (a == "--end") {
        c.end = v;
        if (v != "now" && v != "evening" && !core::parse_rfc3339_ms(v)) {
            throw std::invalid_argument(v);
        }
    } else if (a == "--seed") {
        c.options.seed = std::stoull(v);
    } else if (a == "--world") {
        c.options.world = std::stoull(v);
    } else {
        return false;
    }
    return true;
}

// The command line; nullopt when it is complete, else the exit code (usage printed).
std::optional<int> parse_simulate_args(const std::vector<std::string>& args, SimulateCommand& c) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a == "--help" || a == "-h") {
            std::cerr << kSimulateUsage;
            return 0;
        }
        if (i + 1 >= args.size()) {
            std::cerr << "terrain simulate: " << a << " needs a value\n" << kSimulateUsage;
            return 2;
        }
        const std::string& v = args[++i];
        try {
            if (!set_option(c, a, v)) {
                std::cerr << "terrain simulate: unknown option " << a << "\n" << kSimulateUsage;
                return 2;
            }
        } catch (const std::exception&) {
            std::cerr << "terrain simulate: " << a << ": '" << v << "' is not a valid value\n";
            return 2;
        }
    }
    const std::int64_t now = std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
    const std::string end = c.end.empty() ? (c.speed > 0 ? "now" : "evening") : c.end;
    c.options.end_ms = end == "now"       ? now
                       : end == "evening" ? weekday_evening_before(now)
                                          : *core::parse_rfc3339_ms(end);
    if (c.options.scenario.empty() || c.out.empty() == c.to.empty()) {
        std::cerr << "terrain simulate: give --scenario and one of --out or --to\n"
                  << kSimulateUsage;
        return 2;
    }
    if (c.options.world != 0 && !is_send_scenario(c.options.scenario)) {
        std::cerr << "terrain simulate: --world: only the send scenarios have other worlds, not '"
                  << c.options.scenario << "'\n";
        return 2;
    }
    return std::nullopt;
}

// A keep-alive client for a running terrain at `to` (a base URL); null after printing why.
std::unique_ptr<httplib::Client> client_for(const std::string& to) {
    const auto url = core::parse_url(to);
    if (!url.ok() || url.value().target != "/") {
        std::cerr << "terrain simulate: --to: '" << to
                  << "' is not a base URL such as http://127.0.0.1:8686\n";
        return nullptr;
    }
    auto client = std::make_unique<httplib::Client>(url.value().origin());
    client->set_keep_alive(true);
    client->set_tcp_nodelay(true);
    client->set_read_timeout(30);
    if (const char* token = std::getenv("TERRAIN_SIMULATE_TOKEN")) {
        client->set_bearer_token_auth(token);
    }
    return client;
}

// POSTs one request as a vendor would: a busy terrain answers 429 or 503, which is retried.
void post_request(httplib::Client& client, const SimulatedRequest& r) {
    for (int attempt = 0;; ++attempt) {
        auto res = client.Post("/ingest/" + r.source, r.body, "application/json");
        if (res && res->status == 200) {
            return;
        }
        const bool retry = !res || res->status == 429 || res->status == 503;
        if (!retry || attempt >= 50) {
            throw std::runtime_error("POST /ingest/" + r.source + ": " +
                                     (res ? std::to_string(res->status) + " " + res->body
                                          : httplib::to_string(res.error())));
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(200 * (attempt + 1)));
    }
}

}  // namespace

int run_simulate(const std::vector<std::string>& args) {
    SimulateCommand c;
    if (auto code = parse_simulate_args(args, c)) {
        return *code;
    }
    const SimulateOptions& o = c.options;
    json truth;
    try {
        truth = ground_truth(o);
    } catch (const std::invalid_argument& e) {
        std::string names;
        for (const auto& name : scenarios()) {
            names += (names.empty() ? "" : " ") + name;
        }
        std::cerr << "terrain simulate: " << e.what() << core::suggest(o.scenario, scenarios())
                  << "; scenarios: " << names << "\n";
        return 2;
    }
    if (c.truth_path.empty() && !c.out.empty()) {
        c.truth_path = c.out + ".truth.json";
    }
    if (!c.truth_path.empty()) {
        std::ofstream(c.truth_path) << truth.dump(2) << "\n";
    }
    std::ofstream file;
    std::unique_ptr<httplib::Client> client;
    if (!c.out.empty()) {
        file.open(c.out);
        if (!file) {
            std::cerr << "terrain simulate: cannot write " << c.out << "\n";
            return 1;
        }
    } else if (!(client = client_for(c.to))) {
        return 2;
    }
    std::size_t requests = 0, events = 0;
    std::int64_t first_at = 0;
    const auto wall_start = std::chrono::steady_clock::now();
    int status = 0;
    try {
        simulate(o, [&](const SimulatedRequest& r) {
            ++requests;
            events += r.events;
            if (file.is_open()) {
                file << "{\"at\":\"" << core::format_rfc3339_ms(r.at_ms) << "\",\"source\":\""
                     << r.source << "\",\"body\":" << r.body << "}\n";
                return;
            }
            if (c.speed > 0) {
                first_at = first_at == 0 ? r.at_ms : first_at;
                std::this_thread::sleep_until(
                    wall_start + std::chrono::milliseconds(static_cast<std::int64_t>(
                                     static_cast<double>(r.at_ms - first_at) / c.speed)));
            }
            post_request(*client, r);
        });
    } catch (const std::exception& e) {
        std::cerr << "terrain simulate: " << e.what() << "\n";
        status = 1;
    }
    const double secs =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
    std::cerr << "terrain simulate: " << o.scenario << ": " << events << " events in " << requests
              << " requests (" << truth["start"].get<std::string>() << " to "
              << truth["end"].get<std::string>() << ") in " << std::round(secs * 10) / 10
              << " s\n";
    if (c.truth_path.empty()) {
        std::cout << truth.dump(2) << "\n";
    }
    if (client && status == 0) {
        show_alerts(*client, core::parse_rfc3339_ms(truth["end"].get<std::string>()).value_or(0));
    }
    return status;
}

}  // namespace terrain::monitor
