#include "monitor/app/demo.h"

#include <httplib.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "monitor/duration.h"

namespace terrain::app {

namespace {

using nlohmann::json;

json sendgrid_minute(const std::string& nonce, std::int64_t t0_s, int minute, int gmail,
                     int yahoo, int complaints, int& sequence) {
    json batch = json::array();
    auto add = [&](const char* event, const std::string& email, int offset) {
        batch.push_back({{"email", email},
                         {"timestamp", t0_s + minute * 60 + offset},
                         {"event", event},
                         {"category", "demo-spring-sale"},
                         {"sg_event_id", nonce + "-" + std::to_string(sequence++)}});
    };
    for (int i = 0; i < gmail; ++i) {
        add("delivered", "reader" + std::to_string(i) + "@gmail.com", i % 60);
    }
    for (int i = 0; i < yahoo; ++i) {
        add("delivered", "fan" + std::to_string(i) + "@yahoo.com", i % 60);
    }
    for (int i = 0; i < complaints; ++i) {
        add("spamreport", "reader" + std::to_string(i) + "@gmail.com", 30);
    }
    return batch;
}

std::optional<json> find_alert(httplib::Client& c, const std::string& status) {
    auto r = c.Get("/api/v1/alerts?state=" + status);
    if (!r || r->status != 200) {
        return std::nullopt;
    }
    const json doc = json::parse(r->body);
    for (const auto& a : doc["alerts"]) {
        if (a["labels"].value("campaign", "") == "demo-spring-sale") {
            return a;
        }
    }
    return std::nullopt;
}

std::optional<json> wait_for_alert(httplib::Client& c, const std::string& status) {
    for (int i = 0; i < 150; ++i) {
        if (auto a = find_alert(c, status)) {
            return a;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return std::nullopt;
}

void print_alert(const json& a) {
    std::cout << "  " << (a["status"] == "firing" ? "ALERT FIRING" : "ALERT RESOLVED") << " ["
              << a["severity"].get<std::string>() << "] " << a["summary"].get<std::string>()
              << "\n    since " << a["since"].get<std::string>() << " (event time), id "
              << a["id"].get<std::string>() << "\n";
}

}  // namespace

int run_demo(const std::string& url) {
    httplib::Client c(url);
    c.set_tcp_nodelay(true);
    auto status = c.Get("/api/v1/status");
    if (!status || status->status != 200) {
        std::cerr << "demo: terrain is not answering at " << url << "\n";
        return 1;
    }
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    std::int64_t t0 = (now_s - 86400) / 300 * 300;
    // Start after anything this terrain has already seen, so a second demo is not late.
    auto st = json::parse(status->body);
    if (st["max_event_time"].is_string()) {
        auto seen = monitor::parse_rfc3339_ms(st["max_event_time"].get<std::string>());
        if (seen && *seen / 1000 + 600 > t0) {
            t0 = (*seen / 1000 + 600) / 300 * 300;
        }
    }
    std::mt19937_64 rng(std::random_device{}());
    const std::string nonce = "demo" + std::to_string(rng() % 1'000'000'000);
    int sequence = 0;
    auto post = [&](const json& batch) {
        auto r = c.Post("/ingest/sendgrid", batch.dump(), "application/json");
        if (!r || r->status != 200) {
            std::cerr << "demo: ingest failed: " << (r ? r->body : httplib::to_string(r.error()))
                      << "\n";
            return false;
        }
        return true;
    };
    std::cout << "demo: replaying 4 hours of SendGrid events for campaign demo-spring-sale, from "
              << monitor::format_rfc3339_ms(t0 * 1000) << "\n"
              << "demo: hour 1: 1 in 200 gmail.com recipients reports spam (0.5%; Gmail's "
                 "limit is 0.3%), yahoo.com is fine\n";
    for (int m = 0; m < 60; ++m) {
        if (!post(sendgrid_minute(nonce, t0, m, 200, 100, 1, sequence))) {
            return 1;
        }
    }
    auto firing = wait_for_alert(c, "firing");
    if (!firing) {
        std::cerr << "demo: no alert appeared; see terrain's log\n";
        return 1;
    }
    print_alert(*firing);
    // A person on the frontline acknowledges it, as they would from chat or the API.
    auto ack = c.Post("/api/v1/alerts/" + firing->at("id").get<std::string>() + "/actions",
                      R"({"action": "acknowledge", "by": "demo-frontline"})", "application/json");
    if (ack && ack->status == 200) {
        std::cout << "demo: acknowledged by demo-frontline (POST /api/v1/alerts/<id>/actions); "
                     "the audit trail is at /api/v1/alerts/<id>/audit\n";
    } else {
        std::cerr << "demo: acknowledging failed: " << (ack ? ack->body : "no answer") << "\n";
        return 1;
    }
    std::cout << "demo: hours 2-4: the complaints stop; the 24-hour rate falls back under 0.3%\n";
    for (int m = 60; m < 240; ++m) {
        if (!post(sendgrid_minute(nonce, t0, m, 200, 100, 0, sequence))) {
            return 1;
        }
    }
    for (int i = 0; i < 150; ++i) {
        auto r = c.Get("/api/v1/alerts/" + firing->at("id").get<std::string>());
        if (r && r->status == 200 && json::parse(r->body)["status"] == "resolved") {
            print_alert(json::parse(r->body));
            std::cout << "demo: " << sequence << " events sent; see " << url
                      << "/api/v1/alerts and " << url << "/metrics\n";
            return 0;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::cerr << "demo: the alert did not resolve; see terrain's log\n";
    return 1;
}

}  // namespace terrain::app
