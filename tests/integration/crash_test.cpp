#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "tests/support/http_sink.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain {
namespace {

using nlohmann::json;

int free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

double metric_value(const std::string& text, const std::string& series) {
    auto pos = text.find(series + " ");
    return pos == std::string::npos ? -1 : std::stod(text.substr(pos + series.size() + 1));
}

// A sender that retries every batch until it gets a 2xx (as SendGrid does) while terrain is
// killed with SIGKILL at random moments and restarted. Afterwards every event is counted
// exactly once in the windows and no notification was sent twice.
TEST(CrashTest, KillNineLosesNothingAndNotifiesNothingTwice) {
    testing::TempDir dir;
    testing::HttpSink recorder;
    const int port = free_port();
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << "pipeline:\n  allowed_lateness: 1m\n  idle_flush: 1h\n"
                             "metrics:\n  - name: delivered_all\n    filter: {kind: email.delivered}\n"
                             "    window: 1m\n    detectors:\n      - type: threshold\n"
                             "        above: 5000\n"
                             "receivers:\n  - name: hook\n    type: webhook\n"
                             "    url: http://127.0.0.1:" + std::to_string(recorder.port()) +
                                 "/alerts\n    initial_backoff: 50ms\n";
    const std::vector<std::string> args = {"--config", config, "--data-dir", dir.file("data"),
                                           "--listen", "127.0.0.1:" + std::to_string(port)};
    auto svc = std::make_unique<testing::Service>(args, dir.file("terrain.log"));

    // 10 batches of 200 per minute of event time, 30 in minute 5 (6000 > 5000: one alert).
    const std::int64_t t0 = 1'763'000'000 / 60 * 60;
    std::vector<std::string> bodies;
    int sequence = 0;
    for (int minute = 0; minute < 12; ++minute) {
        const int batches = minute == 5 ? 30 : 10;
        for (int b = 0; b < batches; ++b) {
            json batch = json::array();
            for (int i = 0; i < 200; ++i) {
                batch.push_back({{"email", "u" + std::to_string(i) + "@example.org"},
                                 {"timestamp", t0 + minute * 60 + (b * 200 + i) % 60},
                                 {"event", "delivered"},
                                 {"sg_event_id", "crash-" + std::to_string(sequence++)}});
            }
            bodies.push_back(batch.dump());
        }
    }

    std::atomic<bool> sending{true};
    std::mutex svc_mutex;
    int kills = 0;
    std::thread killer([&] {
        std::mt19937 rng(12345);
        std::uniform_int_distribution<int> pause(100, 250);
        while (sending.load()) {
            std::this_thread::sleep_for(std::chrono::milliseconds(pause(rng)));
            if (!sending.load()) {
                break;
            }
            std::lock_guard lock(svc_mutex);
            svc->stop(SIGKILL);
            ++kills;
            svc = std::make_unique<testing::Service>(args, dir.file("terrain.log"));
        }
    });

    int acknowledged = 0;
    int refused = 0;
    for (const auto& body : bodies) {
        // Paced so that the run spans several kills (about 3 s in all).
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        for (;;) {
            httplib::Client c("127.0.0.1", port);
            c.set_connection_timeout(1);
            c.set_read_timeout(5);
            auto r = c.Post("/ingest/sendgrid", body, "application/json");
            if (r && r->status == 200) {
                ++acknowledged;
                break;
            }
            ++refused;
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    }
    sending = false;
    killer.join();
    EXPECT_GE(kills, 3) << "the sender finished before terrain was killed often enough";
    std::cout << "terrain was killed " << kills << " times; " << refused
              << " attempts were refused or cut off and retried\n";
    EXPECT_EQ(acknowledged, static_cast<int>(bodies.size()));

    // One last crash, then count what the restarted terrain rebuilt from its log.
    svc->stop(SIGKILL);
    svc = std::make_unique<testing::Service>(args, dir.file("terrain.log"));
    httplib::Client c("127.0.0.1", port);
    auto metrics = c.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metric_value(metrics->body,
                           R"(terrain_aggregated_events_total{metric="delivered_all"})"),
              static_cast<double>(sequence))
        << "kills: " << kills << ", refused attempts: " << refused;

    // The spike alert exists, and no notification went out twice.
    ASSERT_TRUE(testing::eventually([&] {
        auto r = c.Get("/api/v1/alerts");
        return r && json::parse(r->body)["alerts"].size() == 1;
    })) << c.Get("/api/v1/alerts")->body;
    svc->stop();
    std::map<std::string, int> sent;
    for (const auto& n : recorder.received()) {
        ++sent[n["alert"]["id"].get<std::string>() + " " + n["transition"].get<std::string>()];
    }
    for (const auto& [key, count] : sent) {
        EXPECT_EQ(count, 1) << key;
    }
}

}  // namespace
}  // namespace terrain
