// Mailgun, Zendesk and Amazon SNS signature checks: the vendors' published vectors where they
// publish one, and their documented failure cases (wrong key, tampered body, stale timestamp,
// replayed request).
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "tests/support/builders.h"
#include "tests/support/sns_stand_in.h"
#include "core/signature.h"
#include "webhooks/guard.h"
#include "webhooks/sources/sendgrid/signature.h"
#include "webhooks/sources/mailgun/signature.h"
#include "webhooks/sources/zendesk/signature.h"
#include "webhooks/sources/ses/signature.h"
#include "alerts/slack/signature.h"
#include "alerts/mattermost/receiver.h"

namespace terrain::webhooks {
namespace {

using nlohmann::json;
constexpr std::int64_t kFiveMinutes = 300'000;

// --- Mailgun -----------------------------------------------------------------------------

HttpRequest mailgun_request(const json& signature) {
    HttpRequest r;
    r.body = json{{"signature", signature}, {"event-data", {{"event", "delivered"}}}}.dump();
    r.remote_address = "203.0.113.7";
    return r;
}

TEST(MailgunSignatureTest, VerifiesThePublishedVectorAndRefusesItsBadCase) {
    const json v = json::parse(testing::fixture("mailgun_signature_vector.json"));
    const std::int64_t at = std::stoll(v["good"]["timestamp"].get<std::string>()) * 1000;
    MailgunSignature sig(v["signing_key"], kFiveMinutes);
    EXPECT_FALSE(sig.verify(mailgun_request(v["good"]), at + 1000).has_value());
    auto bad = sig.verify(mailgun_request(v["bad_token_same_signature"]), at + 1000);
    ASSERT_TRUE(bad.has_value());
    EXPECT_EQ(bad->reason, "bad_signature");
    // The same token again: a replay.
    auto replay = sig.verify(mailgun_request(v["good"]), at + 2000);
    ASSERT_TRUE(replay.has_value());
    EXPECT_EQ(replay->reason, "replayed");
    // A fresh verifier (no memory) still refuses the vector an hour later: stale.
    MailgunSignature later(v["signing_key"], kFiveMinutes);
    auto stale = later.verify(mailgun_request(v["good"]), at + 3'600'000);
    ASSERT_TRUE(stale.has_value());
    EXPECT_EQ(stale->reason, "stale_timestamp");
    // The envelope the documentation assembles verifies with the same key.
    HttpRequest assembled;
    assembled.body = testing::fixture("mailgun_webhook_failed_permanent.ASSEMBLED.json");
    MailgunSignature fresh(v["signing_key"], kFiveMinutes);
    EXPECT_FALSE(fresh.verify(assembled, at).has_value());
    // Wrong key; missing parts.
    MailgunSignature wrong("key-not-the-one", kFiveMinutes);
    EXPECT_EQ(wrong.verify(mailgun_request(v["good"]), at)->reason, "bad_signature");
    HttpRequest unsigned_body;
    unsigned_body.body = R"({"event-data":{}})";
    EXPECT_EQ(fresh.verify(unsigned_body, at)->reason, "unauthorized");
}

// --- Zendesk -----------------------------------------------------------------------------

HttpRequest zendesk_request(const json& v, std::string body) {
    HttpRequest r;
    r.body = std::move(body);
    r.headers = {{"x-zendesk-webhook-signature", v["headers"]["X-Zendesk-Webhook-Signature"]},
                 {"x-zendesk-webhook-signature-timestamp",
                  v["headers"]["X-Zendesk-Webhook-Signature-Timestamp"]}};
    return r;
}

TEST(ZendeskSignatureTest, VerifiesTheVectorAndRefusesTamperingStaleAndReplay) {
    const json v = json::parse(testing::fixture("zendesk_webhook_signature.CONSTRUCTED.json"));
    const std::int64_t at = *core::parse_rfc3339_ms(
        v["headers"]["X-Zendesk-Webhook-Signature-Timestamp"].get<std::string>());
    const std::string secret = v["static_test_signing_secret"];
    ZendeskSignature sig(secret, kFiveMinutes);
    EXPECT_FALSE(sig.verify(zendesk_request(v, v["raw_body"]), at + 1000).has_value());
    EXPECT_EQ(sig.verify(zendesk_request(v, v["raw_body"]), at + 2000)->reason, "replayed");
    ZendeskSignature other(secret, kFiveMinutes);
    EXPECT_EQ(other.verify(zendesk_request(v, R"({"event":"ticket.updated","id":124})"), at)->reason,
              "bad_signature");
    EXPECT_EQ(other.verify(zendesk_request(v, v["raw_body"]), at + 3'600'000)->reason,
              "stale_timestamp");
    ZendeskSignature wrong("another-secret", kFiveMinutes);
    EXPECT_EQ(wrong.verify(zendesk_request(v, v["raw_body"]), at)->reason, "bad_signature");
    HttpRequest bare;
    bare.body = v["raw_body"];
    EXPECT_EQ(other.verify(bare, at)->reason, "unauthorized");
}

TEST(SlackSignatureTest, VerifiesSlacksVectorAndRefusesStaleForgedAndReplayed) {
    const json v = json::parse(testing::fixture("slack_signing_vector.json"));
    const std::string ts = v["x_slack_request_timestamp"];
    const std::int64_t at = std::stoll(ts) * 1000;  // the clock pinned to the vector's time
    auto request = [&](const std::string& body, const std::string& signature) {
        HttpRequest r;
        r.body = body;
        r.headers = {{"x-slack-request-timestamp", ts}, {"x-slack-signature", signature}};
        return r;
    };
    const std::string expected = v["expected_x_slack_signature"];
    alerts::SlackSignature sig(v["signing_secret"], kFiveMinutes);
    EXPECT_FALSE(sig.verify(request(v["body"], expected), at + 1000).has_value());
    EXPECT_EQ(sig.verify(request(v["body"], expected), at + 2000)->reason, "replayed");
    alerts::SlackSignature fresh(v["signing_secret"], kFiveMinutes);
    EXPECT_EQ(fresh.verify(request(v["body"], expected), at + 5 * 60'000 + 1000)->reason,
              "stale_timestamp");
    EXPECT_EQ(fresh.verify(request(v["body"].get<std::string>() + "&x=1", expected), at)->reason,
              "bad_signature");
    alerts::SlackSignature wrong("another-secret", kFiveMinutes);
    EXPECT_EQ(wrong.verify(request(v["body"], expected), at)->reason, "bad_signature");
    HttpRequest bare;
    bare.body = v["body"];
    EXPECT_EQ(fresh.verify(bare, at)->reason, "unauthorized");
}

TEST(AuthHelpersTest, HmacHexAndBase64EncodeRoundTrip) {
    // RFC 4231 test case 2.
    EXPECT_EQ(core::hex(core::hmac_sha256("Jefe", {"what do ya want ", "for nothing?"})),
              "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
    for (const std::string& s : std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
        EXPECT_EQ(core::base64_decode(core::base64_encode(s)).value_or("<none>"), s);
    }
    EXPECT_EQ(core::base64_encode("abcd"), "YWJjZA==");
}

// --- Amazon SNS --------------------------------------------------------------------------

const std::vector<std::string> kLocalPattern = {"http://127.0.0.1:*"};

HttpRequest body_request(const json& message) {
    HttpRequest r;
    r.body = message.dump();
    return r;
}

// The certificate is fetched in the background: the first verification of a message with a
// certificate not yet cached answers "key_pending", as SNS would see a 503 and retry.
std::optional<core::Error> verify_retrying(const SnsSignature& sig, const HttpRequest& req,
                                              std::int64_t at) {
    for (int i = 0; i < 500; ++i) {
        auto r = sig.verify(req, at);
        if (!r || r->reason != "key_pending") {
            return r;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return core::Error{"timeout", "the certificate never arrived", -1, ""};
}

using testing::SnsStandIn;

TEST(SnsSignatureTest, VerifiesVersionsOneAndTwoWithTheFetchedCertificate) {
    SnsStandIn sns;
    SnsSignature sig(kLocalPattern, kFiveMinutes);
    json ses = json::parse(testing::fixture("sns_ses_bounce_notification.ASSEMBLED.json"));
    const std::int64_t at = *core::parse_rfc3339_ms(ses["Timestamp"].get<std::string>());
    EXPECT_EQ(sig.verify(body_request(sns.sign(ses, "2")), at)->reason, "key_pending");
    EXPECT_FALSE(verify_retrying(sig, body_request(sns.sign(ses, "2")), at).has_value());
    ses["MessageId"] = "another";
    EXPECT_FALSE(sig.verify(body_request(sns.sign(ses, "1")), at).has_value());
    EXPECT_EQ(sns.cert_fetches.load(), 1);  // cached
    // Replayed message id; tampered message; stale timestamp.
    EXPECT_EQ(sig.verify(body_request(sns.sign(ses)), at)->reason, "replayed");
    json tampered = sns.sign(ses);
    tampered["MessageId"] = "third";
    tampered["Message"] = "{}";
    EXPECT_EQ(sig.verify(body_request(tampered), at)->reason, "bad_signature");
    ses["MessageId"] = "fourth";
    EXPECT_EQ(sig.verify(body_request(sns.sign(ses)), at + 3'600'000)->reason, "stale_timestamp");
}

TEST(SnsSignatureTest, RefusesForeignCertificateHostsAndDocumentationPlaceholders) {
    SnsStandIn sns;
    const json doc = json::parse(testing::fixture("sns_ses_bounce_notification.ASSEMBLED.json"));
    const std::int64_t at = *core::parse_rfc3339_ms(doc["Timestamp"].get<std::string>());
    // The default pattern allows only Amazon SNS over HTTPS: a local certificate URL is refused
    // before anything is fetched.
    SnsSignature amazon_only(SnsSignatureDefaults::origins(), kFiveMinutes);
    auto foreign = amazon_only.verify(body_request(sns.sign(doc)), at);
    ASSERT_TRUE(foreign.has_value());
    EXPECT_EQ(foreign->reason, "bad_signature");
    EXPECT_NE(foreign->message.find("not an Amazon SNS certificate URL"), std::string::npos);
    EXPECT_EQ(sns.cert_fetches.load(), 0);
    // The documentation's placeholder signature, against the local certificate.
    json placeholder = doc;
    placeholder["SigningCertURL"] = sns.base() + "/cert.pem";
    SnsSignature local(kLocalPattern, kFiveMinutes);
    EXPECT_EQ(verify_retrying(local, body_request(placeholder), at)->reason, "bad_signature");
    json unversioned = sns.sign(doc);
    unversioned["SignatureVersion"] = "3";
    EXPECT_EQ(local.verify(body_request(unversioned), at)->reason, "bad_signature");
    EXPECT_EQ(local.verify(body_request(json{{"Type", "Notification"}}), at)->reason,
              "unauthorized");
}

TEST(SnsSignatureTest, SubscriptionConfirmationIsVerifiedThenVisited) {
    SnsStandIn sns;
    json confirm = json::parse(testing::fixture("sns_subscription_confirmation.json"));
    confirm["SubscribeURL"] = sns.base() + "/confirm?Action=ConfirmSubscription&Token=2336412f37";
    const std::int64_t at = *core::parse_rfc3339_ms(confirm["Timestamp"].get<std::string>());
    SnsSignature sig(kLocalPattern, kFiveMinutes);
    EXPECT_FALSE(verify_retrying(sig, body_request(sns.sign(confirm, "1")), at).has_value());
    EXPECT_FALSE(confirm_subscription(confirm["SubscribeURL"], kLocalPattern).has_value());
    EXPECT_EQ(sns.confirmed_token, "2336412f37");
    // A SubscribeURL elsewhere is not visited.
    auto refused = confirm_subscription("http://169.254.169.254/latest/meta-data",
                                        SnsSignatureDefaults::origins());
    ASSERT_TRUE(refused.has_value());
    EXPECT_EQ(refused->reason, "bad_field");
}

}  // namespace
}  // namespace terrain::webhooks
