// The doors, attacked as an outsider would, against the real binary: hostile URLs, requests
// from a page of another site, a sender whose clock runs an hour ahead, receivers and
// certificate hosts that hang, a process out of file descriptors, ambiguous framing, batches
// holding one bad event, customer addresses in vendor labels, and a damaged store. Each case
// failed before terrain's doors held it.
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "core/duration.h"
#include "core/store.h"
#include "tests/support/builders.h"
#include "tests/support/hanging_server.h"
#include "tests/support/process.h"
#include "tests/support/raw_http.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::now_s;
using testing::Service;

std::string rfc3339(std::int64_t seconds) { return core::format_rfc3339_ms(seconds * 1000); }

double metric_sum(const std::string& metrics, const std::string& name) {
    double sum = 0;
    std::istringstream in(metrics);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(name, 0) == 0 && (line[name.size()] == '{' || line[name.size()] == ' ')) {
            sum += std::stod(line.substr(line.rfind(' ') + 1));
        }
    }
    return sum;
}

std::string everything_kept(const testing::TempDir& dir, const Service& svc) {
    std::string all = svc.read_log();
    for (const auto& f : std::filesystem::recursive_directory_iterator(dir.file("data"))) {
        if (f.is_regular_file()) {
            all += testing::read_file(f.path().string());
        }
    }
    return all;
}

TEST(DoorsTest, HugeSnsUrlsAreRefusedWithoutACrash) {
    testing::TempDir dir;
    std::ofstream(dir.file("terrain.yaml")) << "sources:\n  ses:\n    verify_signature: true\n"
                                            << "metrics:\n  - name: delivered\n"
                                            << "    filter: {kind: email.delivered}\n";
    Service svc({"--config", dir.file("terrain.yaml"), "--data-dir", dir.file("data")},
                dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    const std::string huge = "https://sns.us-east-1.amazonaws.com/" + std::string(100'000, 'a');
    const std::string hostile_host = "https://sns." + std::string(100'000, 'a') + ".amazonaws.com/x";
    for (const auto& url : {huge, hostile_host}) {
        json message = {{"Type", "Notification"},    {"MessageId", "m1"},
                        {"TopicArn", "arn:aws:sns:x"}, {"Message", "{}"},
                        {"Timestamp", rfc3339(now_s())}, {"SignatureVersion", "1"},
                        {"Signature", "AAAA"},          {"SigningCertURL", url}};
        auto r = c.Post("/ingest/ses", message.dump(), "text/plain");
        ASSERT_TRUE(r) << svc.read_log();
        EXPECT_EQ(r->status, 401);
        EXPECT_EQ(json::parse(r->body)["error"], "bad_signature");
        ASSERT_EQ(c.Get("/healthz")->status, 200);
    }
    // The embedded default (no signature check): a huge SubscribeURL is refused, not visited.
    testing::TempDir plain;
    Service open({"--data-dir", plain.file("data")}, plain.file("terrain.log"));
    terrain::testing::Client o("127.0.0.1", open.port());
    json confirm = {{"Type", "SubscriptionConfirmation"}, {"MessageId", "c1"},
                    {"Token", "t"}, {"TopicArn", "arn:aws:sns:x"}, {"Message", "confirm"},
                    {"Timestamp", rfc3339(now_s())}, {"SubscribeURL", huge}};
    auto r = o.Post("/ingest/ses", confirm.dump(), "text/plain");
    ASSERT_TRUE(r) << open.read_log();
    EXPECT_EQ(r->status, 400) << r->body;
    EXPECT_NE(r->body.find("longer than 2048"), std::string::npos) << r->body;
    EXPECT_EQ(o.Get("/healthz")->status, 200);
}

TEST(DoorsTest, APageOfAnotherSiteCannotChangeAnything) {
    testing::TempDir dir;
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    const std::string silence =
        R"({"created_by":"mallory","for":"90d","matchers":{"severity":"=~.*"}})";
    auto post = [&](const std::string& path, const httplib::Headers& headers,
                    const std::string& type) {
        terrain::testing::Client c("127.0.0.1", svc.port());
        return c.Post(path, headers, silence, type);
    };
    // A form a page can send without asking: text/plain, no preflight.
    auto form = post("/api/v1/silences", {}, "text/plain");
    ASSERT_TRUE(form);
    EXPECT_EQ(form->status, 415) << form->body;
    auto inbox_form = post("/inbox/act", {}, "application/x-www-form-urlencoded");
    EXPECT_EQ(inbox_form->status, 415) << inbox_form->body;
    // A fetch from another origin: the browser says where it comes from.
    auto origin = post("/api/v1/silences", {{"Origin", "http://evil.example"}}, "application/json");
    EXPECT_EQ(origin->status, 403);
    EXPECT_EQ(json::parse(origin->body)["error"], "cross_origin");
    auto site = post("/inbox/act", {{"Sec-Fetch-Site", "cross-site"}}, "application/json");
    EXPECT_EQ(site->status, 403);
    auto null_origin = post("/api/v1/silences", {{"Origin", "null"}}, "application/json");
    EXPECT_EQ(null_origin->status, 403);
    // DNS rebinding: evil.example resolving to 127.0.0.1 sends its own name as Host.
    testing::RawConnection raw(svc.port());
    raw.send_all("GET /api/v1/alerts HTTP/1.1\r\nHost: evil.example\r\n\r\n");
    auto rebound = raw.read_response();
    EXPECT_EQ(rebound.status, 421);
    EXPECT_EQ(json::parse(rebound.body)["error"], "misdirected_host");
    // Nothing was silenced; the inbox page itself (same origin, JSON) still works.
    terrain::testing::Client c("127.0.0.1", svc.port());
    EXPECT_EQ(json::parse(c.Get("/api/v1/silences")->body)["silences"].size(), 0U);
    const std::string self = "http://127.0.0.1:" + std::to_string(svc.port());
    auto same = post("/api/v1/silences", {{"Origin", self}, {"Sec-Fetch-Site", "same-origin"}},
                     "application/json");
    EXPECT_EQ(same->status, 201) << same->body;
    const std::string metrics = c.Get("/metrics")->body;
    EXPECT_GE(metric_sum(metrics, "terrain_http_refused_total"), 4);
}

TEST(DoorsTest, OneEventStampedAnHourAheadDoesNotMakeTheNextOnesLate) {
    testing::TempDir dir;
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    const std::int64_t now = now_s();
    auto delivered = [&](std::int64_t at, const std::string& id) {
        return json{{"email", "reader@example.org"}, {"timestamp", at},
                    {"event", "delivered"},          {"category", "spring"},
                    {"sg_event_id", id}};
    };
    auto r = c.Post("/ingest/sendgrid", json::array({delivered(now + 59 * 60, "ahead")}).dump(),
                    "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    json batch = json::array();
    for (int i = 0; i < 500; ++i) {
        batch.push_back(delivered(now - 30 + i % 20, "real-" + std::to_string(i)));
    }
    r = c.Post("/ingest/sendgrid", batch.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    ASSERT_TRUE(eventually([&] {
        return metric_sum(c.Get("/metrics")->body, "terrain_pipeline_events_total") >= 501;
    }));
    const std::string metrics = c.Get("/metrics")->body;
    EXPECT_EQ(metric_sum(metrics, "terrain_late_events_total"), 0) << metrics;
}

TEST(DoorsTest, HangingReceiversNeitherWedgeNotificationsNorShutdown) {
    testing::HangingServer silent(testing::HangingServer::Mode::kSilent);
    testing::HangingServer trickle(testing::HangingServer::Mode::kTrickle);
    testing::TempDir dir;
    std::ofstream(dir.file("terrain.yaml"))
        << "pipeline:\n  allowed_lateness: 1s\n"
        << "metrics:\n  - name: delivered\n    filter: {kind: email.delivered}\n"
        << "    group_by: [campaign]\n    window: 1m\n"
        << "    detectors:\n      - type: threshold\n        above: 0\n"
        << "receivers:\n"
        << "  - name: silent\n    type: webhook\n    url: http://127.0.0.1:" << silent.port()
        << "/hook\n    timeout: 3s\n"
        << "  - name: trickle\n    type: webhook\n    url: http://127.0.0.1:" << trickle.port()
        << "/hook\n    timeout: 3s\n";
    Service svc({"--config", dir.file("terrain.yaml"), "--data-dir", dir.file("data")},
                dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    // Fourteen campaigns, each over the limit in a window that closes at once: fourteen
    // notifications queued for each hanging receiver.
    json events = json::array();
    const std::int64_t minute_ago = (now_s() - 180) / 60 * 60;
    for (int k = 0; k < 14; ++k) {
        events.push_back({{"time", rfc3339(minute_ago)}, {"kind", "email.delivered"},
                          {"side", "map"}, {"labels", {{"campaign", "c" + std::to_string(k)}}}});
    }
    events.push_back({{"time", rfc3339(now_s())}, {"kind", "email.delivered"}, {"side", "map"},
                      {"labels", {{"campaign", "closer"}}}});
    auto r = c.Post("/ingest/events", events.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    ASSERT_TRUE(eventually([&] { return silent.connections() > 0 && trickle.connections() > 0; }))
        << svc.read_log();
    // A trickling answer is cut at the call's deadline (3 s), not held for ever.
    ASSERT_TRUE(eventually([&] {
        return svc.read_log().find("no complete answer within the deadline") != std::string::npos;
    })) << svc.read_log();
    // Shutdown keeps its promise: the drain time (5 s) and one call's deadline at most, not a
    // timeout per queued notification (14 x 3 s), whatever the receivers do.
    const auto started = std::chrono::steady_clock::now();
    EXPECT_EQ(svc.stop(SIGTERM), 0);
    const auto took = std::chrono::steady_clock::now() - started;
    EXPECT_LT(took, std::chrono::seconds(12)) << svc.read_log();
    EXPECT_NE(svc.read_log().find("stay in the outbox for the next start"), std::string::npos)
        << svc.read_log();
}

TEST(DoorsTest, OutOfFileDescriptorsBacksOffAndRecovers) {
    testing::TempDir dir;
    // The real binary under a low descriptor limit: connections beyond it cannot be accepted.
    const std::string log = dir.file("terrain.log");
    testing::Process process({"/usr/bin/prlimit", "--nofile=48:48", TERRAIN_BINARY, "run",
                              "--listen", "127.0.0.1:0", "--data-dir", dir.file("data")},
                             log);
    int port = 0;
    auto read_log = [&] {
        try {
            return testing::read_file(log);
        } catch (const std::exception&) {
            return std::string();
        }
    };
    ASSERT_TRUE(eventually([&] {
        const std::string text = read_log();
        const auto at = text.find("listening on http://127.0.0.1:");
        if (at == std::string::npos) {
            return false;
        }
        port = std::stoi(text.substr(at + std::string("listening on http://127.0.0.1:").size()));
        return true;
    }));
    std::vector<int> held;
    for (int i = 0; i < 120; ++i) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(static_cast<std::uint16_t>(port));
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
            held.push_back(fd);
        } else {
            ::close(fd);
        }
    }
    std::this_thread::sleep_for(std::chrono::seconds(3));
    const auto log_size = std::filesystem::file_size(log);
    EXPECT_LT(log_size, 64U * 1024) << "the log grew by " << log_size << " bytes in 3 s";
    for (int fd : held) {
        ::close(fd);
    }
    terrain::testing::Client c("127.0.0.1", port);
    std::string metrics;
    ASSERT_TRUE(eventually([&] {
        auto r = c.Get("/metrics");
        if (r && r->status == 200) {
            metrics = r->body;
            return true;
        }
        return false;
    }));
    EXPECT_GT(metric_sum(metrics, "terrain_http_accept_failures_total"), 0) << metrics;
    EXPECT_NE(read_log().find("at most once a minute"), std::string::npos) << read_log();
}

// A disk that fills: the event log refuses (503, nothing half-written), /readyz says not
// ready, and once there is room again terrain writes again by itself, with no restart. The
// file size limit (raised from outside with prlimit) fails writes as a full disk does.
TEST(DoorsTest, AFullDiskIsNotReadyThenRecoversWithoutARestart) {
    testing::TempDir dir;
    const std::string log = dir.file("terrain.log");
    // No checkpoint during the test: after the kill every acknowledged event is replayed.
    std::ofstream(dir.file("terrain.yaml"))
        << "pipeline:\n  checkpoint_interval: 1h\n"
        << "metrics:\n  - name: delivered\n    filter: {kind: email.delivered}\n";
    testing::Process process({"/usr/bin/prlimit", "--fsize=1000000:unlimited", TERRAIN_BINARY,
                              "run", "--listen", "127.0.0.1:0", "--config",
                              dir.file("terrain.yaml"), "--data-dir", dir.file("data")},
                             log);
    int port = 0;
    ASSERT_TRUE(eventually([&] {
        try {
            const std::string text = testing::read_file(log);
            const auto at = text.find("listening on http://127.0.0.1:");
            if (at == std::string::npos) {
                return false;
            }
            port = std::stoi(text.substr(at + std::string("listening on http://127.0.0.1:").size()));
            return true;
        } catch (const std::exception&) {
            return false;
        }
    }));
    terrain::testing::Client c("127.0.0.1", port);
    int accepted = 0;
    int sequence = 0;
    auto send_batch = [&] {
        json batch = json::array();
        for (int i = 0; i < 500; ++i) {
            batch.push_back({{"email", "x@example.org"}, {"timestamp", now_s() - 60},
                             {"event", "delivered"}, {"category", "spring"},
                             {"sg_event_id", "disk-" + std::to_string(sequence++)}});
        }
        return c.Post("/ingest/sendgrid", batch.dump(), "application/json");
    };
    int status = 0;
    std::string refused;
    for (int b = 0; b < 100 && status != 503; ++b) {
        auto r = send_batch();
        ASSERT_TRUE(r);
        status = r->status;
        if (status == 200) {
            accepted += 500;
        } else {
            refused = r->body;
        }
    }
    ASSERT_EQ(status, 503) << "the file size limit was never reached";
    EXPECT_EQ(json::parse(refused)["error"], "log_write");
    EXPECT_EQ(c.Get("/readyz")->status, 503);
    // Room again: the limit is lifted from outside; terrain recovers on its own.
    ASSERT_EQ(std::system(("/usr/bin/prlimit --pid " + std::to_string(process.pid()) +
                           " --fsize=unlimited:unlimited")
                              .c_str()),
              0);
    ASSERT_TRUE(eventually([&] { return c.Get("/readyz")->status == 200; })) << testing::read_file(log);
    auto again = send_batch();
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200) << again->body;
    accepted += 500;
    // Everything acknowledged is counted once after a restart (nothing half-written replays).
    EXPECT_EQ(process.stop(SIGKILL), -SIGKILL);
    Service svc({"--config", dir.file("terrain.yaml"), "--data-dir", dir.file("data")},
                dir.file("terrain2.log"));
    terrain::testing::Client d("127.0.0.1", svc.port());
    EXPECT_EQ(svc.read_log().find("damaged"), std::string::npos) << svc.read_log();
    EXPECT_EQ(metric_sum(d.Get("/metrics")->body, "terrain_event_log_replayed_events_total"),
              accepted);
}

TEST(DoorsTest, AmbiguousFramingIsRefused) {
    testing::TempDir dir;
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    const std::string body = R"([{"time":1,"kind":"a","side":"map"}])";
    const std::string cases[] = {
        "POST /ingest/events HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: xchunked\r\n"
        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
        "POST /ingest/events HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n"
        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
        "POST /ingest/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 3\r\n"
        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body,
        "POST /ingest/events HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: gzip, chunked\r\n"
        "\r\n0\r\n\r\n",
    };
    for (const auto& request : cases) {
        testing::RawConnection raw(svc.port());
        raw.send_all(request);
        auto r = raw.read_response();
        EXPECT_EQ(r.status, 400) << request;
    }
    terrain::testing::Client c("127.0.0.1", svc.port());
    EXPECT_EQ(c.Get("/healthz")->status, 200);
}

TEST(DoorsTest, OneBadEventCostsOnlyItselfAndIsCountedByReason) {
    testing::TempDir dir;
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    // SendGrid's own documented example is stamped in 2015; the other event is fresh.
    const json batch = json::array(
        {{{"email", "example@test.com"}, {"timestamp", 1513299569}, {"event", "delivered"},
          {"sg_event_id", "doc-example"}},
         {{"email", "reader@example.org"}, {"timestamp", now_s() - 10}, {"event", "delivered"},
          {"sg_event_id", "fresh"}}});
    auto r = c.Post("/ingest/sendgrid", batch.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    const json answer = json::parse(r->body);
    EXPECT_EQ(answer["accepted"], 1);
    EXPECT_EQ(answer["refused"]["count"], 1);
    EXPECT_EQ(answer["refused"]["events"][0]["error"], "past_time");
    EXPECT_EQ(answer["refused"]["events"][0]["event"], 0);
    // Alertmanager never retries a 4xx: a Watchdog firing for 40 days must not cost the rest.
    const json notification = {
        {"version", "4"},
        {"alerts",
         json::array({{{"status", "firing"}, {"labels", {{"alertname", "Watchdog"}}},
                       {"startsAt", rfc3339(now_s() - 40 * 86400)}},
                      {{"status", "firing"}, {"labels", {{"alertname", "HighBounce"}}},
                       {"startsAt", rfc3339(now_s() - 60)}}})}};
    r = c.Post("/ingest/alertmanager", notification.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["accepted"], 1);
    const std::string metrics = c.Get("/metrics")->body;
    EXPECT_NE(metrics.find(R"(terrain_events_refused_total{reason="past_time",source="sendgrid"} 1)"),
              std::string::npos)
        << metrics;
}

TEST(DoorsTest, CustomerAddressesInVendorLabelsAreNeverKept) {
    testing::TempDir dir;
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    const std::int64_t at = now_s() - 30;
    json batch = json::array();
    int n = 0;
    for (const std::string category :
         {"jane@victim.example", "jane%40victim.example", "jane\xef\xbc\xa0victim.example",
          "jane%2540victim.example", "call +1 (415) 555-0123"}) {
        batch.push_back({{"email", "x@example.org"}, {"timestamp", at}, {"event", "delivered"},
                         {"category", category}, {"sg_event_id", "pii-" + std::to_string(n++)}});
    }
    auto r = c.Post("/ingest/sendgrid", batch.dump(), "application/json");
    ASSERT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["accepted"], 5);
    ASSERT_TRUE(eventually([&] {
        return metric_sum(c.Get("/metrics")->body, "terrain_pipeline_events_total") >= 5;
    }));
    svc.stop(SIGTERM);  // a checkpoint with the series' labels is written at stop
    const std::string kept = everything_kept(dir, svc);
    for (const char* raw : {"jane", "victim", "555-0123", "4155550123"}) {
        EXPECT_EQ(kept.find(raw), std::string::npos) << raw << " is kept somewhere";
    }
}

TEST(DoorsTest, ADamagedStoreIsSetAsideAndTerrainGoesOn) {
    testing::TempDir dir;
    {
        Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
        terrain::testing::Client c("127.0.0.1", svc.port());
        const json one = json::array({{{"email", "x@example.org"}, {"timestamp", now_s() - 30},
                                       {"event", "delivered"}, {"sg_event_id", "s1"}}});
        ASSERT_EQ(c.Post("/ingest/sendgrid", one.dump(), "application/json")->status, 200);
        ASSERT_EQ(svc.stop(SIGTERM), 0);
    }
    // Damage the header of every page after the first (the file header stays, so SQLite
    // opens the file).
    const std::string db = dir.file("data/terrain.db");
    {
        std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
        const auto size = std::filesystem::file_size(db);
        for (std::uintmax_t at = 4096; at < size; at += 4096) {
            f.seekp(static_cast<std::streamoff>(at));
            f.write("\xde\xad\xbe\xef\xde\xad\xbe\xef", 8);
        }
    }
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    EXPECT_EQ(c.Get("/healthz")->status, 200);
    const std::string log = svc.read_log();
    EXPECT_NE(log.find("is damaged"), std::string::npos) << log;
    bool kept = false;
    for (const auto& f : std::filesystem::directory_iterator(dir.file("data"))) {
        kept |= f.path().filename().string().rfind("terrain.db.damaged-", 0) == 0;
    }
    EXPECT_TRUE(kept);
    // A fresh store: terrain takes events again.
    const json two = json::array({{{"email", "x@example.org"}, {"timestamp", now_s() - 20},
                                   {"event", "delivered"}, {"sg_event_id", "s2"}}});
    EXPECT_EQ(c.Post("/ingest/sendgrid", two.dump(), "application/json")->status, 200);
}

TEST(DoorsTest, AnImplausibleCheckpointIsRefusedByName) {
    testing::TempDir dir;
    {
        Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
        ASSERT_EQ(svc.stop(SIGTERM), 0);
    }
    {
        // A checkpoint as a damaged page would read: dated in the year -590, with a counter
        // no sender could reach.
        core::SqliteStore store(dir.file("data/terrain.db"));
        auto checkpoint = store.load_checkpoint();
        ASSERT_TRUE(checkpoint);
        checkpoint->saved_ms = -80'780'000'000'000;
        checkpoint->events = 18'446'744'073'709'520'896ULL;
        store.save_checkpoint(*checkpoint, {});
    }
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    const std::string log = svc.read_log();
    EXPECT_NE(log.find("the checkpoint is not plausible"), std::string::npos) << log;
    terrain::testing::Client c("127.0.0.1", svc.port());
    const json status = json::parse(c.Get("/api/v1/status")->body);
    EXPECT_EQ(status.dump().find("18446744073709520896"), std::string::npos) << status.dump();
}

TEST(DoorsTest, AHangingCertificateHostStallsNoOtherRequest) {
    testing::HangingServer host(testing::HangingServer::Mode::kSilent);
    testing::TempDir dir;
    std::ofstream(dir.file("terrain.yaml"))
        << "sources:\n  ses:\n    verify_signature: true\n    cert_origins: ['http://127.0.0.1:*']\n"
        << "metrics:\n  - name: delivered\n    filter: {kind: email.delivered}\n";
    Service svc({"--config", dir.file("terrain.yaml"), "--data-dir", dir.file("data")},
                dir.file("terrain.log"));
    std::vector<std::thread> senders;
    std::atomic<int> pending{0};
    for (int i = 0; i < 4; ++i) {
        senders.emplace_back([&, i] {
            terrain::testing::Client c("127.0.0.1", svc.port());
            json message = {{"Type", "Notification"}, {"MessageId", "m" + std::to_string(i)},
                            {"TopicArn", "t"}, {"Message", "{}"},
                            {"Timestamp", rfc3339(now_s())}, {"SignatureVersion", "1"},
                            {"Signature", "AAAA"},
                            {"SigningCertURL", "http://127.0.0.1:" + std::to_string(host.port()) +
                                                   "/cert-" + std::to_string(i) + ".pem"}};
            auto r = c.Post("/ingest/ses", message.dump(), "text/plain");
            if (r && r->status == 503 && !r->get_header_value("Retry-After").empty()) {
                ++pending;
            }
        });
    }
    for (auto& t : senders) {
        t.join();
    }
    EXPECT_EQ(pending.load(), 4);
    terrain::testing::Client probe("127.0.0.1", svc.port());
    probe.set_read_timeout(2);
    auto r = probe.Get("/healthz");
    ASSERT_TRUE(r) << "healthz waited on the certificate host";
    EXPECT_EQ(r->status, 200);
}

}  // namespace
}  // namespace terrain
