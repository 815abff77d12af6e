#include <gtest/gtest.h>
#include <httplib.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/duration.h"
#include "tests/support/builders.h"
#include "tests/support/http_sink.h"
#include "tests/support/raw_http.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/traffic.h"

namespace terrain {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::Service;
using testing::Traffic;
using testing::post_json;

using AlertSink = testing::HttpSink;

// The embedded default configuration plus a webhook receiver.
std::string config_with_webhook(int port) {
    auto [status, yaml] = testing::run_command(std::string(TERRAIN_BINARY) + " default-config", "");
    EXPECT_EQ(status, 0);
    return yaml + "  - name: team-webhook\n    type: webhook\n    url: http://127.0.0.1:" +
           std::to_string(port) + "/alerts\n    initial_backoff: 100ms\n";
}

std::vector<json> spam_notifications(AlertSink& sink) {
    std::vector<json> out;
    for (const auto& n : sink.received()) {
        if (n["alert"]["metric"] == "spam_complaint_rate") {
            out.push_back(n);
        }
    }
    return out;
}

TEST(ServiceTest, ComplaintSpikeAtGmailFiresOnceAndResolves) {
    testing::TempDir dir;
    AlertSink sink;
    const std::string config = dir.file("terrain.yaml");
    {
        std::ofstream(config) << config_with_webhook(sink.port());
    }
    auto [check_status, check_out] =
        testing::run_command(std::string(TERRAIN_BINARY) + " check --config " + config, "");
    ASSERT_EQ(check_status, 0) << check_out;

    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client client("127.0.0.1", svc.port());
    client.set_tcp_nodelay(true);
    ASSERT_EQ(client.Get("/healthz")->status, 200);
    ASSERT_EQ(client.Get("/readyz")->status, 200);

    // Two days ago: a replay of the past gives the same alerts as live traffic.
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    Traffic traffic{(now_s - 2 * 86400) / 300 * 300};

    // Hour 1: gmail gets 1 complaint per 200 deliveries (0.5%, above Gmail's 0.3%).
    json first_batch;
    for (int m = 0; m < 60; ++m) {
        json batch = traffic.minute(m, 200, 100, 1);
        if (m == 0) {
            first_batch = batch;
        }
        auto r = post_json(client, "/ingest/sendgrid", batch.dump());
        EXPECT_EQ(r["accepted"], 301);
    }
    // SendGrid retries a batch: counted as duplicates, not double-counted.
    auto retry = post_json(client, "/ingest/sendgrid", first_batch.dump());
    EXPECT_EQ(retry["accepted"], 0);
    EXPECT_EQ(retry["duplicates"], 301);

    ASSERT_TRUE(eventually([&] { return spam_notifications(sink).size() == 1; }))
        << svc.read_log();
    auto firing = spam_notifications(sink).at(0);
    EXPECT_EQ(firing["transition"], "firing");
    EXPECT_EQ(firing["alert"]["labels"]["campaign"], "spring-sale");
    EXPECT_EQ(firing["alert"]["labels"]["provider"], "gmail.com");
    EXPECT_EQ(firing["alert"]["severity"], "critical");
    EXPECT_GT(firing["alert"]["observed"].get<double>(), 0.003);
    EXPECT_EQ(firing["alert"]["band"]["upper"], 0.003);
    EXPECT_FALSE(firing["alert"]["since"].get<std::string>().empty());

    auto api = json::parse(client.Get("/api/v1/alerts?state=firing")->body)["alerts"];
    ASSERT_EQ(api.size(), 1U) << api.dump(2);
    EXPECT_EQ(api[0]["fingerprint"], firing["alert"]["fingerprint"]);

    // Hours 2-4: no more complaints. The bad hour's mail has had its complaints (they came
    // within a minute, and terrain has learned so); the newer sends are judged normal and the
    // alert resolves.
    for (int m = 60; m < 240; ++m) {
        post_json(client, "/ingest/sendgrid", traffic.minute(m, 200, 100, 0).dump());
    }
    ASSERT_TRUE(eventually([&] { return spam_notifications(sink).size() == 2; }))
        << svc.read_log();
    auto notes = spam_notifications(sink);
    EXPECT_EQ(notes[1]["transition"], "resolved");
    EXPECT_EQ(notes[1]["alert"]["id"], firing["alert"]["id"]);
    EXPECT_LE(notes[1]["alert"]["observed"].get<double>(), 0.003);
    // Exactly one alert: the yahoo series and the other metrics stayed quiet.
    int firings = 0;
    for (const auto& n : sink.received()) {
        firings += n["transition"] == "firing" ? 1 : 0;
    }
    EXPECT_EQ(firings, 1) << json(sink.received()).dump(2);
    auto all = json::parse(client.Get("/api/v1/alerts")->body)["alerts"];
    ASSERT_EQ(all.size(), 1U);
    EXPECT_EQ(all[0]["status"], "resolved");

    // /metrics is valid exposition text (Debian's promtool) and counts what happened.
    auto metrics = client.Get("/metrics");
    ASSERT_EQ(metrics->status, 200);
    auto [promtool_status, promtool_out] = testing::run_command("promtool check metrics",
                                                                metrics->body);
    EXPECT_EQ(promtool_status, 0) << promtool_out;
    EXPECT_NE(metrics->body.find(
                  R"(terrain_events_received_total{result="duplicate",source="sendgrid"} 301)"),
              std::string::npos);
    EXPECT_NE(metrics->body.find(R"(terrain_findings_total{detector="threshold",metric="spam_complaint_rate"})"),
              std::string::npos);
    EXPECT_NE(metrics->body.find(R"(terrain_notifications_total{receiver="team-webhook",result="sent"} 2)"),
              std::string::npos)
        << metrics->body;

    // SIGTERM stops cleanly; a restart keeps the alert.
    EXPECT_EQ(svc.stop(), 0);
    EXPECT_NE(svc.read_log().find("stopped cleanly"), std::string::npos);
    Service again({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client client2("127.0.0.1", again.port());
    auto kept = json::parse(client2.Get("/api/v1/alerts")->body)["alerts"];
    ASSERT_EQ(kept.size(), 1U);
    EXPECT_EQ(kept[0]["id"], firing["alert"]["id"]);
    again.stop();

    // Privacy: no recipient address in the data directory or the log.
    std::string everything = svc.read_log();
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir.file("data"))) {
        if (f.is_regular_file()) {
            everything += testing::read_file(f.path().string());
        }
    }
    EXPECT_EQ(everything.find("@gmail.com"), std::string::npos);
    EXPECT_EQ(everything.find("reader1"), std::string::npos);
}

TEST(ServiceTest, BadInputGetsA4xxNamingTheProblemAndServiceStaysUp) {
    testing::TempDir dir;
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client client("127.0.0.1", svc.port());
    const std::string recent = std::to_string(
        std::chrono::duration_cast<std::chrono::seconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count() -
        600);
    // One bad event of a batch is refused on its own, named; the valid one is accepted (2xx,
    // so the vendor does not send the batch again).
    auto partly = post_json(client, "/ingest/sendgrid",
                            R"([{"event":"delivered","timestamp":)" + recent +
                                R"(},{"event":"open"}])",
                            200);
    EXPECT_EQ(partly["accepted"], 1);
    EXPECT_EQ(partly["refused"]["count"], 1);
    EXPECT_EQ(partly["refused"]["events"][0]["error"], "missing_field");
    EXPECT_EQ(partly["refused"]["events"][0]["event"], 1);
    EXPECT_EQ(partly["refused"]["events"][0]["field"], "timestamp");
    // A request with nothing usable is refused whole, naming its first problem.
    auto bad = post_json(client, "/ingest/sendgrid", R"([{"event":"open"}])", 400);
    EXPECT_EQ(bad["error"], "missing_field");
    EXPECT_EQ(bad["event"], 0);
    EXPECT_EQ(bad["field"], "timestamp");
    auto typo = post_json(client, "/ingest/events",
                          R"({"time":1,"kind":"ticket.created","side":"customer","lables":{}})", 400);
    EXPECT_EQ(typo["field"], "lables");
    EXPECT_NE(typo["message"].get<std::string>().find("did you mean 'labels'?"), std::string::npos);
    const std::string yesterday = core::format_rfc3339_ms(
        std::chrono::duration_cast<std::chrono::milliseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count() -
        86'400'000);
    auto ok = post_json(client, "/ingest/events",
                        "{\"time\":\"" + yesterday + "\",\"kind\":\"ticket.created\","
                        "\"side\":\"customer\",\"labels\":{\"campaign\":\"x\"}}\n");
    EXPECT_EQ(ok["accepted"], 1);
    // Over the default 32 MiB body limit: refused from the Content-Length.
    testing::RawConnection raw(svc.port());
    raw.send_all("POST /ingest/sendgrid HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                 std::to_string(33 * 1024 * 1024) + "\r\n\r\n");
    auto huge = raw.read_response();
    EXPECT_EQ(huge.status, 413);
    EXPECT_NE(huge.body.find("server.max_body_bytes"), std::string::npos);
    EXPECT_EQ(client.Get("/healthz")->status, 200);
    EXPECT_EQ(svc.stop(), 0);
}

// Silences over the API: refused with a reason when incomplete; created, listed, ended early
// and audited; they survive a restart.
TEST(ServiceTest, SilencesAreCreatedListedEndedAndAudited) {
    testing::TempDir dir;
    const std::vector<std::string> args = {"--data-dir", dir.file("data")};
    std::string id;
    {
        Service svc(args, dir.file("terrain.log"));
        terrain::testing::Client client("127.0.0.1", svc.port());
        auto no_end = post_json(client, "/api/v1/silences",
                                R"({"matchers": {"campaign": "spring"}, "created_by": "ana"})", 400);
        EXPECT_NE(no_end["message"].get<std::string>().find("'ends_at'"), std::string::npos);
        auto no_matchers = post_json(client, "/api/v1/silences",
                                     R"({"matchers": {}, "for": "2h", "created_by": "ana"})", 400);
        EXPECT_EQ(no_matchers["error"], "missing_field");
        auto bad_regex = post_json(client,
                                   "/api/v1/silences",
                                   R"({"matchers": {"campaign": "=~spring-("}, "for": "2h",
                                       "created_by": "ana"})",
                                   400);
        EXPECT_EQ(bad_regex["error"], "bad_field");
        EXPECT_EQ(bad_regex["message"],
                  "matcher 'campaign': 'spring-(' is not a regular expression: missing ): "
                  "spring-(");
        auto created = post_json(client, "/api/v1/silences",
                                 R"({"matchers": {"campaign": "spring"}, "for": "2h",
                                     "created_by": "ana", "comment": "planned re-send"})",
                                 201);
        id = created["id"];
        EXPECT_EQ(id.rfind("silence-", 0), 0U);
        EXPECT_EQ(svc.stop(), 0);
    }
    Service svc(args, dir.file("terrain.log"));
    terrain::testing::Client client("127.0.0.1", svc.port());
    auto list = json::parse(client.Get("/api/v1/silences")->body)["silences"];
    ASSERT_EQ(list.size(), 1U);
    EXPECT_EQ(list[0]["id"], id);
    EXPECT_EQ(list[0]["active"], true);
    EXPECT_EQ(list[0]["matchers"]["campaign"], "spring");
    EXPECT_EQ(client.Delete("/api/v1/silences/" + id + "?by=ana")->status, 200);
    EXPECT_EQ(client.Delete("/api/v1/silences/" + id)->status, 404);
    EXPECT_EQ(json::parse(client.Get("/api/v1/silences")->body)["silences"][0]["active"], false);
    std::vector<std::string> audited;
    const json audit = json::parse(client.Get("/api/v1/audit")->body);
    for (const auto& e : audit["entries"]) {
        audited.push_back(e["action"].get<std::string>() + " " + e["by"].get<std::string>());
    }
    EXPECT_NE(std::find(audited.begin(), audited.end(), "silence ana"), audited.end());
    EXPECT_NE(std::find(audited.begin(), audited.end(), "expire_silence ana"), audited.end());
}

TEST(ServiceTest, CheckNamesTheBadKeyAndValue) {
    testing::TempDir dir;
    std::ofstream(dir.file("bad.yaml"))
        << "metrics:\n  - name: spam\n    filter: {kind: email.complaint}\n    window: 5 min\n";
    auto [status, out] = testing::run_command(
        std::string(TERRAIN_BINARY) + " check --config " + dir.file("bad.yaml"), "");
    EXPECT_EQ(status, 1);
    EXPECT_NE(out.find("metrics[0].window: '5 min' is not a duration"), std::string::npos) << out;
    auto [help_status, help] = testing::run_command(std::string(TERRAIN_BINARY) + " run --help", "");
    EXPECT_EQ(help_status, 0);
    EXPECT_NE(help.find("--data-dir DIR"), std::string::npos);
}

}  // namespace
}  // namespace terrain
