#include <algorithm>
#include <atomic>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>
#include <httplib.h>
#include <nlohmann/json.hpp>

#include "tests/support/http_sink.h"
#include "tests/support/sendgrid_signer.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain {
namespace {

using nlohmann::json;

double metric_value(const std::string& text, const std::string& series) {
    // A sample line, not the # HELP line naming the same metric.
    auto pos = text.find("\n" + series + " ");
    return pos == std::string::npos ? -1 : std::stod(text.substr(pos + series.size() + 2));
}

// A sender that signs and retries every batch until it gets a 2xx (as SendGrid does) while terrain is
// killed with SIGKILL at random moments and restarted; terrain checkpoints every 50 ms, so kills
// land before, during and after checkpoints. Afterwards every event is counted exactly once in
// the windows and no notification was sent twice.
TEST(CrashTest, KillNineLosesNothingAndNotifiesNothingTwice) {
    testing::TempDir dir;
    testing::HttpSink recorder;
    const int port = testing::free_port();
    const testing::SendgridSigner signer;
    ::setenv("TERRAIN_CRASH_TEST_SENDGRID_KEY", signer.public_key().c_str(), 1);
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << "sources:\n  sendgrid:\n"
                             "    public_key: {env: TERRAIN_CRASH_TEST_SENDGRID_KEY}\n"
                             "pipeline:\n  allowed_lateness: 1m\n  idle_flush: 1h\n"
                             "  checkpoint_interval: 50ms\n"
                             "  history_bytes: 0\n"  // what a checkpoint covers is retired
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
    const std::int64_t t0 =
        (std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
             .count() -
         7200) /
        60 * 60;
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
            terrain::testing::Client c("127.0.0.1", port);
            c.set_connection_timeout(1);
            c.set_read_timeout(5);
            // Signed afresh for every attempt, as SendGrid signs every delivery.
            const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                                 std::chrono::system_clock::now().time_since_epoch())
                                 .count();
            auto r = c.Post("/ingest/sendgrid", signer.headers(body, now), body,
                            "application/json");
            if (r && r->status == 200) {
                ++acknowledged;
                break;
            }
            if (r && r->status >= 400 && r->status < 500) {
                ADD_FAILURE() << "refused for good: " << r->status << " " << r->body;
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

    // One last crash, then count what the restarted terrain rebuilt from its checkpoint and
    // log.
    svc->stop(SIGKILL);
    svc = std::make_unique<testing::Service>(args, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", port);
    const std::string aggregated = R"(terrain_aggregated_events_total{metric="delivered_all"})";
    auto metrics = c.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metric_value(metrics->body, aggregated), static_cast<double>(sequence))
        << "kills: " << kills << ", refused attempts: " << refused;
    EXPECT_EQ(metric_value(metrics->body, "terrain_pipeline_events_total"),
              static_cast<double>(sequence));

    // Once a checkpoint has been taken after the last event, a crash replays nothing: the
    // checkpoint holds every event, and the log segments it covers are gone.
    const std::string saved = R"(terrain_checkpoints_total{result="saved"})";
    ASSERT_TRUE(testing::eventually([&] {
        auto m = c.Get("/metrics");
        return m && metric_value(m->body, saved) >= 1;
    }));
    svc->stop(SIGKILL);
    svc = std::make_unique<testing::Service>(args, dir.file("terrain.log"));
    metrics = c.Get("/metrics");
    ASSERT_TRUE(metrics);
    EXPECT_EQ(metric_value(metrics->body, aggregated), static_cast<double>(sequence));
    EXPECT_EQ(metric_value(metrics->body, "terrain_event_log_replayed_events_total"), 0);
    EXPECT_LE(metric_value(metrics->body, "terrain_event_log_segments"), 1);

    // The spike alert exists, and no notification went out twice under two names: delivery is
    // at least once (a kill after a delivery and before its outbox row is deleted sends it
    // again), and a repeat carries the first delivery's id, so the receiver can drop it.
    ASSERT_TRUE(testing::eventually([&] {
        auto r = c.Get("/api/v1/alerts");
        return r && json::parse(r->body)["alerts"].size() == 1;
    })) << c.Get("/api/v1/alerts")->body;
    svc->stop();
    std::map<std::string, std::set<std::string>> sent;
    int repeats = 0;
    for (const auto& n : recorder.received()) {
        const std::string id = n["delivery_id"];
        EXPECT_FALSE(id.empty());
        auto& ids =
            sent[n["alert"]["id"].get<std::string>() + " " + n["transition"].get<std::string>()];
        repeats += ids.insert(id).second ? 0 : 1;
    }
    EXPECT_TRUE(std::any_of(sent.begin(), sent.end(), [](const auto& s) {
        return s.first.ends_with(" firing");
    })) << "the alert's firing notification never arrived";
    for (const auto& [key, ids] : sent) {
        EXPECT_EQ(ids.size(), 1U) << key;
    }
    std::cout << repeats << " notification(s) delivered again after a kill, under the same id\n";
}

}  // namespace
}  // namespace terrain
