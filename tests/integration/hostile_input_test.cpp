// Hostile and broken input against the real binary: each case gets its documented status and
// reason, nothing from a refused request is counted, and the service stays up. Also the
// overload test: a small queue answers a burst with 503 + Retry-After, and a sender that
// retries gets everything counted exactly once.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <cstdlib>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "tests/support/builders.h"
#include "tests/support/raw_http.h"
#include "tests/support/sendgrid_signer.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::now_s;
using testing::Service;

std::string sendgrid_event(const std::string& id, const std::string& extra = "") {
    return R"({"email":"reader@gmail.com","timestamp":)" + std::to_string(now_s() - 60) +
           R"(,"event":"delivered","category":"spring","sg_event_id":")" + id + "\"" + extra +
           "}";
}

class HostileInputTest : public ::testing::Test {
protected:
    void SetUp() override {
        ::setenv("TERRAIN_TEST_SENDGRID_KEY", signer_.public_key().c_str(), 1);
        ::setenv("TERRAIN_TEST_API_TOKEN", "api-token-for-tests", 1);
        {
            std::ofstream(dir_.file("events.token")) << "events-token-for-tests\n";
        }
        std::ofstream(config_) << "server:\n  max_body_bytes: 1048576\n"
                              << "  max_events_per_request: 1000\n"
                              << "sources:\n"
                              << "  sendgrid:\n    public_key: {env: TERRAIN_TEST_SENDGRID_KEY}\n"
                              << "    max_age: 5m\n"
                              << "  events:\n    token: {file: " << dir_.file("events.token")
                              << "}\n"
                              << "api:\n  token: {env: TERRAIN_TEST_API_TOKEN}\n"
                              << "metrics:\n  - name: delivered\n"
                              << "    filter: {kind: email.delivered}\n    window: 5m\n";
        start();
    }
    void start() {
        svc_ = std::make_unique<Service>(
            std::vector<std::string>{"--config", config_, "--data-dir", dir_.file("data")},
            dir_.file("terrain.log"));
        client_ = std::make_unique<terrain::testing::Client>("127.0.0.1", svc_->port());
    }

    testing::TempDir dir_;
    const std::string config_ = dir_.file("terrain.yaml");
    testing::SendgridSigner signer_;
    std::unique_ptr<Service> svc_;
    std::unique_ptr<httplib::Client> client_;
};

struct Case {
    std::string name;
    std::string path;
    std::string body;
    httplib::Headers headers;
    int status;
    std::string reason;
};

TEST_F(HostileInputTest, EachCaseGetsItsDocumentedStatusAndTheServiceStaysUp) {
    const std::int64_t ts = now_s();
    const httplib::Headers events_auth = {{"Authorization", "Bearer events-token-for-tests"}};
    auto sendgrid = [&](std::string name, std::string body, int status, std::string reason) {
        auto headers = signer_.headers(body, ts);
        return Case{std::move(name), "/ingest/sendgrid", std::move(body), headers, status,
                    std::move(reason)};
    };
    auto events = [&](std::string name, std::string body, int status, std::string reason) {
        return Case{std::move(name), "/ingest/events", std::move(body), events_auth, status,
                    std::move(reason)};
    };
    const std::string ok_body = "[" + sendgrid_event("ok-1") + "]";
    std::string deep(100'000, '[');
    deep += std::string(100'000, ']');
    std::string many = "[";
    for (int i = 0; i < 1001; ++i) {
        many += std::string(i ? "," : "") +
                R"({"time": 1795400000000, "kind": "email.delivered", "side": "map"})";
    }
    many += "]";
    const std::vector<Case> cases = {
        // Who is sending.
        {"no_signature", "/ingest/sendgrid", ok_body, {}, 401, "unauthorized"},
        {"signature_of_another_body", "/ingest/sendgrid", ok_body,
         signer_.headers("[]", ts), 401, "bad_signature"},
        {"stale_timestamp", "/ingest/sendgrid", ok_body, signer_.headers(ok_body, ts - 600), 401,
         "stale_timestamp"},
        {"events_without_token", "/ingest/events", "[]", {}, 401, "unauthorized"},
        {"events_wrong_token", "/ingest/events", "[]",
         {{"Authorization", "Bearer events-token-for-test"}}, 401, "unauthorized"},
        {"api_without_token", "/api/v1/alerts", "", {}, 401, "unauthorized"},
        // What is sent (signed correctly, so the content is what is refused).
        sendgrid("truncated_json", ok_body.substr(0, ok_body.size() / 2), 400, "bad_json"),
        sendgrid("wrong_type", R"([{"email":"a@b.com","timestamp":1795400000,"event":42}])", 400,
                 "bad_field"),
        sendgrid("timestamp_not_a_number",
                 R"([{"email":"a@b.com","timestamp":"soon","event":"delivered"}])", 400,
                 "bad_field"),
        sendgrid("huge_number", R"([{"email":"a@b.com","timestamp":1e300,"event":"delivered"}])",
                 400, "bad_field"),
        sendgrid("deep_nesting", deep, 400, "bad_json"),
        sendgrid("invalid_utf8",
                 "[{\"email\":\"a@b.com\",\"timestamp\":1,\"event\":\"deliv\xff\xfe\"}]", 400,
                 "bad_json"),
        sendgrid("nan", R"([{"email":"a@b.com","timestamp":NaN,"event":"delivered"}])", 400,
                 "bad_json"),
        sendgrid("duplicate_key",
                 R"([{"email":"a@b.com","timestamp":1795400000,"event":"delivered","event":"open"}])",
                 400, "duplicate_key"),
        events("id_too_long",
               R"([{"time": 1795400000000, "kind": "email.delivered", "side": "map", "id": ")" +
                   std::string(300, 'x') + "\"}]",
               400, "bad_field"),
        events("too_many_events", many, 413, "too_many_events"),
        events("far_past", R"([{"time": "1013-11-23T10:00:00Z", "kind": "bot.session", "side": "map"}])",
               400, "past_time"),
        {"alertmanager_bad_version", "/ingest/alertmanager", R"({"version":"3","alerts":[]})", {},
         400, "bad_version"},
        // URLs from a request are parsed with a bound, never matched by a regular expression.
        {"ses_huge_subscribe_url", "/ingest/ses",
         json{{"Type", "SubscriptionConfirmation"}, {"MessageId", "c1"}, {"Token", "t"},
              {"TopicArn", "arn:aws:sns:x"}, {"Message", "confirm"},
              {"Timestamp", "2026-11-23T10:00:00Z"},
              {"SubscribeURL", "https://sns.us-east-1.amazonaws.com/" + std::string(100'000, 'a')}}
             .dump(),
         {}, 400, "bad_field"},
        {"ses_subscribe_url_elsewhere", "/ingest/ses",
         json{{"Type", "SubscriptionConfirmation"}, {"MessageId", "c2"}, {"Token", "t"},
              {"TopicArn", "arn:aws:sns:x"}, {"Message", "confirm"},
              {"Timestamp", "2026-11-23T10:00:00Z"},
              {"SubscribeURL", "https://sns.us-east-1.amazonaws.com@169.254.169.254/latest"}}
             .dump(),
         {}, 400, "bad_field"},
        // A page of another origin, even with the person's token in hand.
        {"api_from_another_origin", "/api/v1/silences",
         R"({"created_by":"m","for":"1h","matchers":{"severity":"=~.*"}})",
         {{"Authorization", "Bearer api-token-for-tests"}, {"Origin", "http://evil.example"}},
         403, "cross_origin"},
    };
    for (const auto& c : cases) {
        SCOPED_TRACE(c.name);
        auto r = c.body.empty() && c.path.rfind("/api", 0) == 0
                     ? client_->Get(c.path, c.headers)
                     : client_->Post(c.path, c.headers, c.body, "application/json");
        ASSERT_TRUE(r) << httplib::to_string(r.error());
        EXPECT_EQ(r->status, c.status) << r->body;
        auto doc = json::parse(r->body, nullptr, false);
        ASSERT_FALSE(doc.is_discarded()) << r->body;
        EXPECT_EQ(doc.value("error", ""), c.reason) << r->body;
        EXPECT_FALSE(doc.value("message", "").empty());
        if (c.status == 401) {
            EXPECT_EQ(r->get_header_value("WWW-Authenticate"), "Bearer");
        }
        ASSERT_EQ(client_->Get("/healthz")->status, 200) << svc_->read_log();
    }

    // Too large a body is refused from its Content-Length, before it is read (a client that
    // sent it all would find the connection closed under it).
    testing::RawConnection raw(svc_->port());
    raw.send_all("POST /ingest/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                 std::to_string(2 * 1024 * 1024) +
                 "\r\nAuthorization: Bearer events-token-for-tests\r\n\r\n");
    auto too_big = raw.read_response();
    EXPECT_EQ(too_big.status, 413);
    EXPECT_EQ(json::parse(too_big.body)["error"], "body_too_large");

    // A correctly signed request is accepted once; sent again it is a replay.
    auto headers = signer_.headers(ok_body, ts);
    auto first = client_->Post("/ingest/sendgrid", headers, ok_body, "application/json");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200) << first->body;
    auto again = client_->Post("/ingest/sendgrid", headers, ok_body, "application/json");
    EXPECT_EQ(again->status, 401);
    EXPECT_EQ(json::parse(again->body)["error"], "replayed");

    // The API with its token works; nothing refused was counted.
    auto api = client_->Get("/api/v1/status", {{"Authorization", "Bearer api-token-for-tests"}});
    EXPECT_EQ(api->status, 200);
    const std::string metrics = client_->Get("/metrics")->body;
    EXPECT_NE(metrics.find(R"(terrain_events_received_total{result="accepted",source="sendgrid"} 1)"),
              std::string::npos)
        << metrics;
    EXPECT_NE(metrics.find(R"(terrain_ingest_errors_total{reason="bad_signature",source="sendgrid"} 1)"),
              std::string::npos);
    EXPECT_NE(metrics.find(R"(terrain_ingest_errors_total{reason="replayed",source="sendgrid"} 1)"),
              std::string::npos);
    // No secret in the log or the metrics.
    for (const std::string& secret : {std::string("events-token-for-tests"),
                                      std::string("api-token-for-tests")}) {
        EXPECT_EQ(svc_->read_log().find(secret), std::string::npos);
        EXPECT_EQ(metrics.find(secret), std::string::npos);
    }
}

// The memory of used signatures is in the store: a request captured before a crash is still a
// replay after the restart (its event id would de-duplicate it, but the request is refused
// outright, as a replay).
TEST_F(HostileInputTest, ASignedRequestIsStillAReplayAfterARestart) {
    const auto ts = std::chrono::duration_cast<std::chrono::seconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    const std::string body =
        R"([{"email": "a@example.org", "timestamp": )" + std::to_string(ts) +
        R"(, "event": "delivered", "sg_event_id": "restart-1"}])";
    const auto headers = signer_.headers(body, ts);
    auto first = client_->Post("/ingest/sendgrid", headers, body, "application/json");
    ASSERT_TRUE(first);
    EXPECT_EQ(first->status, 200) << first->body;
    svc_->stop(SIGKILL);
    start();
    auto again = client_->Post("/ingest/sendgrid", headers, body, "application/json");
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 401);
    EXPECT_EQ(json::parse(again->body)["error"], "replayed");
}

TEST(HostileConfigTest, SecretsAreNeverLiteralAndMissingOnesAreNamed) {
    testing::TempDir dir;
    auto run_check = [&](const std::string& yaml) {
        std::ofstream(dir.file("c.yaml")) << yaml;
        return testing::run_command(std::string(TERRAIN_BINARY) + " run --listen 127.0.0.1:0 " +
                                        "--data-dir " + dir.file("d") + " --config " +
                                        dir.file("c.yaml"),
                                    "");
    };
    auto [literal_status, literal_out] = run_check("api:\n  token: hunter2\n");
    EXPECT_NE(literal_status, 0);
    EXPECT_NE(literal_out.find("api.token: secrets are not written in the configuration"),
              std::string::npos)
        << literal_out;
    ::unsetenv("TERRAIN_TEST_UNSET_VARIABLE");
    auto [unset_status, unset_out] =
        run_check("sources:\n  events:\n    token: {env: TERRAIN_TEST_UNSET_VARIABLE}\n");
    EXPECT_NE(unset_status, 0);
    EXPECT_NE(unset_out.find("sources.events.token: environment variable "
                             "TERRAIN_TEST_UNSET_VARIABLE is not set"),
              std::string::npos)
        << unset_out;
    auto [typo_status, typo_out] =
        run_check("sources:\n  sendgird:\n    token: {file: /etc/hostname}\n");
    EXPECT_NE(typo_status, 0);
    EXPECT_NE(typo_out.find("sources.sendgird: no such source; did you mean 'sendgrid'?"),
              std::string::npos)
        << typo_out;
}

// A deliberately small queue (1000 events, less than two 600-event batches) and a slow
// pipeline: a burst from
// eight senders gets 503 with Retry-After; each
// sender retries its batch until it is accepted; every event is then counted exactly once.
TEST(OverloadTest, SmallQueueAnswers503AndRetriesLoseNothing) {
    testing::TempDir dir;
    const std::string config = dir.file("terrain.yaml");
    // Forty metrics with a detector each over every event: the pipeline consumes far more
    // slowly than the HTTP threads accept, so the small queue fills in any build.
    std::ofstream out(config);
    out << "pipeline:\n  queue_events: 1000\nmetrics:\n";
    for (int m = 0; m < 40; ++m) {
        out << "  - name: delivered_" << m << "\n    filter: {kind: email.delivered}\n"
            << "    group_by: [campaign]\n    window: 1m\n"
            << "    detectors:\n      - type: ewma\n";
    }
    out.close();
    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    constexpr int kSenders = 8;
    constexpr int kBatches = 20;
    constexpr int kPerBatch = 600;  // two batches overfill the 1000-event queue
    std::atomic<int> busy{0};
    std::atomic<int> bad{0};
    std::atomic<bool> retry_after_seen{true};
    const std::int64_t t0 = (now_s() - 3600) * 1000;
    std::vector<std::thread> senders;
    for (int s = 0; s < kSenders; ++s) {
        senders.emplace_back([&, s] {
            terrain::testing::Client c("127.0.0.1", svc.port());
            for (int b = 0; b < kBatches; ++b) {
                std::string body;
                for (int i = 0; i < kPerBatch; ++i) {
                    body += R"({"time": )" + std::to_string(t0 + i) +
                            R"(, "kind": "email.delivered", "side": "map", "labels": {"campaign": "c)" +
                            std::to_string(i % 50) + R"("}, "id": ")" +
                            std::to_string(s) + "-" + std::to_string(b) + "-" +
                            std::to_string(i) + "\"}\n";
                }
                for (;;) {
                    auto r = c.Post("/ingest/events", body, "application/x-ndjson");
                    if (r && r->status == 200) {
                        break;
                    }
                    if (r && r->status == 503) {
                        ++busy;
                        if (r->get_header_value("Retry-After").empty()) {
                            retry_after_seen = false;
                        }
                        // A real sender waits Retry-After seconds; the test retries sooner.
                        std::this_thread::sleep_for(std::chrono::milliseconds(5));
                        continue;
                    }
                    ++bad;
                    break;
                }
            }
        });
    }
    for (auto& t : senders) {
        t.join();
    }
    EXPECT_EQ(bad.load(), 0);
    ::testing::Test::RecordProperty("answers_503", busy.load());
    EXPECT_GT(busy.load(), 0) << "the burst never filled the queue";
    EXPECT_TRUE(retry_after_seen.load());
    terrain::testing::Client c("127.0.0.1", svc.port());
    const std::string want = R"(terrain_aggregated_events_total{metric="delivered_39"} )" +
                             std::to_string(kSenders * kBatches * kPerBatch);
    EXPECT_TRUE(eventually([&] { return c.Get("/metrics")->body.find(want) != std::string::npos; }))
        << c.Get("/metrics")->body;
}

}  // namespace
}  // namespace terrain
