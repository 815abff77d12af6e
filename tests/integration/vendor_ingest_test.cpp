// The vendor endpoints through the real service: each checks its vendor's signature (or a
// token where the vendor does not sign) before anything is accepted, refuses replays, and an
// SNS subscription is confirmed by visiting its SubscribeURL.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <httplib.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "tests/support/service.h"
#include "tests/support/sns_stand_in.h"
#include "tests/support/temp_dir.h"
#include "core/signature.h"
#include "webhooks/guard.h"
#include "webhooks/sources/sendgrid/signature.h"
#include "webhooks/sources/mailgun/signature.h"
#include "webhooks/sources/zendesk/signature.h"
#include "webhooks/sources/ses/signature.h"
#include "alerts/slack/signature.h"
#include "alerts/mattermost/receiver.h"

namespace terrain {
namespace {

using nlohmann::json;
using testing::Service;

std::int64_t now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

class VendorIngestTest : public ::testing::Test {
protected:
    void SetUp() override {
        ::setenv("TERRAIN_TEST_MAILGUN_KEY", "mailgun-signing-key", 1);
        ::setenv("TERRAIN_TEST_ZENDESK_SECRET", "zendesk-signing-secret", 1);
        ::setenv("TERRAIN_TEST_POSTMARK_TOKEN", "postmark-token", 1);
        const std::string config = dir_.file("terrain.yaml");
        std::ofstream(config) << "sources:\n"
                              << "  mailgun:\n    signing_key: {env: TERRAIN_TEST_MAILGUN_KEY}\n"
                              << "  zendesk:\n    signing_key: {env: TERRAIN_TEST_ZENDESK_SECRET}\n"
                              << "  postmark:\n    token: {env: TERRAIN_TEST_POSTMARK_TOKEN}\n"
                              << "  ses:\n    verify_signature: true\n"
                              << "    cert_origins: ['http://127.0.0.1:*']\n"
                              << "metrics:\n  - name: delivered\n"
                              << "    filter: {kind: email.delivered}\n    window: 5m\n";
        svc_ = std::make_unique<Service>(
            std::vector<std::string>{"--config", config, "--data-dir", dir_.file("data")},
            dir_.file("terrain.log"));
        client_ = std::make_unique<terrain::testing::Client>("127.0.0.1", svc_->port());
    }

    httplib::Result post(const std::string& path, const std::string& body,
                         const httplib::Headers& headers = {}) {
        return client_->Post(path, headers, body, "application/json");
    }
    static std::string reason(const httplib::Result& r) {
        return r ? json::parse(r->body, nullptr, false).value("error", "") : "<no response>";
    }

    testing::TempDir dir_;
    std::unique_ptr<Service> svc_;
    std::unique_ptr<httplib::Client> client_;
};

TEST_F(VendorIngestTest, MailgunSignedOnceAcceptedReplayedOrForgedRefused) {
    const std::string ts = std::to_string(now_ms() / 1000);
    const std::string token = "5egbgr1vjgqxtrnp65xfznchgdccwh5d6i09vijqi3whgowmn6";
    const json event = {{"event", "delivered"}, {"id", "abc"}, {"timestamp", now_ms() / 1000.0 - 5},
                        {"recipient", "ann@gmail.com"}, {"tags", {"spring-sale"}}};
    auto body = [&](const std::string& signature) {
        return json{{"signature", {{"timestamp", ts}, {"token", token}, {"signature", signature}}},
                    {"event-data", event}}
            .dump();
    };
    const std::string good = core::hex(core::hmac_sha256("mailgun-signing-key", {ts, token}));
    auto r = post("/ingest/mailgun", body(good));
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["accepted"], 1);
    r = post("/ingest/mailgun", body(good));
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(reason(r), "replayed");
    r = post("/ingest/mailgun", body(std::string(64, '0')));
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(reason(r), "bad_signature");
    r = post("/ingest/mailgun", json{{"event-data", event}}.dump());
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(reason(r), "unauthorized");
}

TEST_F(VendorIngestTest, ZendeskTicketsNeedTheSignature) {
    const std::string ts = core::format_rfc3339_ms(now_ms() / 1000 * 1000);
    const std::string body =
        json{{"ticket", {{"id", 4711}, {"created_at", ts}, {"tags", "campaign_spring topic_not_received"},
                         {"requester_email", "ann@gmail.com"}}}}
            .dump();
    const std::string sig =
        core::base64_encode(core::hmac_sha256("zendesk-signing-secret", {ts, body}));
    auto r = post("/ingest/zendesk", body,
                  {{"X-Zendesk-Webhook-Signature", sig},
                   {"X-Zendesk-Webhook-Signature-Timestamp", ts}});
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    r = post("/ingest/zendesk", body + " ",
             {{"X-Zendesk-Webhook-Signature", sig}, {"X-Zendesk-Webhook-Signature-Timestamp", ts}});
    EXPECT_EQ(r->status, 401);
    EXPECT_EQ(reason(r), "bad_signature");
    r = post("/ingest/zendesk", body);
    EXPECT_EQ(r->status, 401);
}

TEST_F(VendorIngestTest, PostmarkTakesItsTokenAsBasicAuthPassword) {
    const json delivery = {{"RecordType", "Delivery"}, {"MessageID", "m-1"},
                           {"Recipient", "ann@yahoo.com"},
                           {"DeliveredAt", core::format_rfc3339_ms(now_ms() - 5000)}};
    auto r = post("/ingest/postmark", delivery.dump());
    EXPECT_EQ(r->status, 401);
    client_->set_basic_auth("terrain", "postmark-token");
    r = post("/ingest/postmark", delivery.dump());
    EXPECT_EQ(r->status, 200) << r->body;
    client_->set_basic_auth("terrain", "wrong");
    r = post("/ingest/postmark", delivery.dump());
    EXPECT_EQ(r->status, 401);
}

TEST_F(VendorIngestTest, SesThroughSnsConfirmsTheSubscriptionAndTakesSignedNotifications) {
    testing::SnsStandIn sns;
    json confirm = json::parse(testing::fixture("sns_subscription_confirmation.json"));
    confirm["Timestamp"] = core::format_rfc3339_ms(now_ms());
    confirm["SubscribeURL"] = sns.base() + "/confirm?Action=ConfirmSubscription&Token=t-42";
    // The certificate is fetched in the background: SNS sees a 503 with Retry-After first and
    // sends again.
    auto r = post("/ingest/ses", sns.sign(confirm).dump());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 503) << r->body;
    EXPECT_EQ(reason(r), "key_pending");
    EXPECT_TRUE(r->has_header("Retry-After"));
    for (int i = 0; i < 200 && r && r->status == 503; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(25));
        r = post("/ingest/ses", sns.sign(confirm).dump());
    }
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(sns.confirmed_token, "t-42");

    json ses = json::parse(testing::fixture("ses_delivery.json"));
    ses["delivery"]["timestamp"] = core::format_rfc3339_ms(now_ms() - 5000);
    json note = json::parse(testing::fixture("sns_notification.json"));
    note["Timestamp"] = core::format_rfc3339_ms(now_ms());
    note["Message"] = ses.dump();
    const json signed_note = sns.sign(note);
    r = post("/ingest/ses", signed_note.dump());
    EXPECT_EQ(r->status, 200) << r->body;
    EXPECT_EQ(json::parse(r->body)["accepted"], 1);
    r = post("/ingest/ses", signed_note.dump());
    EXPECT_EQ(reason(r), "replayed");
    // The documentation's own example: a placeholder signature and Amazon's certificate URL,
    // which this configuration does not allow.
    r = post("/ingest/ses", testing::fixture("sns_ses_bounce_notification.ASSEMBLED.json"));
    EXPECT_EQ(r->status, 401);
}

}  // namespace
}  // namespace terrain
