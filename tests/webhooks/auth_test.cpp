#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/builders.h"
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

struct Vector {
    json doc;
    std::string body;
    std::int64_t ts_ms;
};

Vector vector(const std::string& name) {
    Vector v;
    v.doc = json::parse(testing::fixture("sendgrid_signed_webhook_vector_" + name + ".json"));
    v.body = testing::fixture("sendgrid_signed_webhook_vector_" + name + ".body.bin");
    v.ts_ms = std::stoll(v.doc["headers"]["X-Twilio-Email-Event-Webhook-Timestamp"].get<std::string>()) *
              1000;
    return v;
}

HttpRequest signed_request(const std::string& signature,
                           const std::string& timestamp,
                           const std::string& body) {
    HttpRequest r;
    r.body = body;
    r.remote_address = "203.0.113.7";
    r.headers = {{"x-twilio-email-event-webhook-signature", signature},
                 {"x-twilio-email-event-webhook-timestamp", timestamp}};
    return r;
}

HttpRequest signed_request(const Vector& v) {
    return signed_request(v.doc["headers"]["X-Twilio-Email-Event-Webhook-Signature"],
                          v.doc["headers"]["X-Twilio-Email-Event-Webhook-Timestamp"],
                          v.body);
}

TEST(SendgridSignatureTest, VerifiesTheVendorsVectors) {
    for (const char* name : {"A", "B"}) {
        auto v = vector(name);
        ASSERT_EQ(v.body, v.doc["raw_body"].get<std::string>()) << name;
        SendgridSignature verifier(v.doc["public_key_b64_der_spki"], 300'000);
        auto e = verifier.verify(signed_request(v), v.ts_ms + 1000);
        EXPECT_FALSE(e) << name << ": " << e->message;
    }
}

TEST(SendgridSignatureTest, RefusesTheNegativeCases) {
    auto v = vector("A");
    const auto& neg = v.doc["negative_cases"];
    const std::string sig = v.doc["headers"]["X-Twilio-Email-Event-Webhook-Signature"];
    const std::string ts = v.doc["headers"]["X-Twilio-Email-Event-Webhook-Timestamp"];
    SendgridSignature verifier(v.doc["public_key_b64_der_spki"], 300'000);
    auto reason = [&](const HttpRequest& r) {
        auto e = verifier.verify(r, v.ts_ms);
        return e ? e->reason : std::string("accepted");
    };
    EXPECT_EQ(reason(signed_request(neg["bad_signature_last_byte_changed"], ts, v.body)),
              "bad_signature");
    EXPECT_EQ(reason(signed_request(sig, neg["bad_timestamp"], v.body)), "bad_signature");
    EXPECT_EQ(reason(signed_request(sig, ts, neg["bad_payload"])), "bad_signature");
    EXPECT_EQ(reason(signed_request("not base64!", ts, v.body)), "bad_signature");
    HttpRequest unsigned_request;
    unsigned_request.body = v.body;
    EXPECT_EQ(reason(unsigned_request), "unauthorized");
    // Vector B's body without its trailing CRLF no longer verifies: raw bytes matter.
    auto b = vector("B");
    SendgridSignature verifier_b(b.doc["public_key_b64_der_spki"], 300'000);
    auto stripped = signed_request(b);
    stripped.body.resize(stripped.body.size() - 2);
    EXPECT_TRUE(verifier_b.verify(stripped, b.ts_ms));
    // The right signature under another key.
    SendgridSignature other(neg["wrong_public_key"], 300'000);
    EXPECT_EQ(other.verify(signed_request(v), v.ts_ms)->reason, "bad_signature");
}

TEST(SendgridSignatureTest, RefusesStaleAndReplayedRequests) {
    auto v = vector("A");
    SendgridSignature verifier(v.doc["public_key_b64_der_spki"], 300'000);
    EXPECT_EQ(verifier.verify(signed_request(v), v.ts_ms + 301'000)->reason, "stale_timestamp");
    EXPECT_EQ(verifier.verify(signed_request(v), v.ts_ms - 301'000)->reason, "stale_timestamp");
    EXPECT_FALSE(verifier.verify(signed_request(v), v.ts_ms + 10'000));
    EXPECT_EQ(verifier.verify(signed_request(v), v.ts_ms + 20'000)->reason, "replayed");
}

TEST(SendgridSignatureTest, RefusesKeysThatAreNotEcPublicKeys) {
    EXPECT_THROW(SendgridSignature("not base64!", 1000), std::invalid_argument);
    EXPECT_THROW(SendgridSignature("AAAA", 1000), std::invalid_argument);
}

TEST(SourceGuardTest, TokenOrLoopback) {
    HttpRequest r;
    r.remote_address = "127.0.0.1";
    SourceGuard open("events", "", nullptr);
    EXPECT_FALSE(open.check(r, 0));
    r.remote_address = "198.51.100.1";
    EXPECT_EQ(open.check(r, 0)->reason, "unauthorized");

    SourceGuard guarded("events", "s3cret-token", nullptr);
    r.remote_address = "127.0.0.1";  // loopback is no exemption once a token is configured
    EXPECT_EQ(guarded.check(r, 0)->reason, "unauthorized");
    r.headers = {{"authorization", "Bearer s3cret-tokem"}};
    EXPECT_EQ(guarded.check(r, 0)->reason, "unauthorized");
    r.headers = {{"authorization", "Bearer s3cret-token"}};
    EXPECT_FALSE(guarded.check(r, 0));
    r.headers = {{"authorization", "Basic s3cret-token"}};
    EXPECT_TRUE(guarded.check(r, 0));
}

TEST(AuthHelpersTest, SecretEqualsAndBase64) {
    EXPECT_TRUE(core::secret_equals("abc", "abc"));
    EXPECT_FALSE(core::secret_equals("abc", "abd"));
    EXPECT_FALSE(core::secret_equals("abc", "abcd"));
    EXPECT_EQ(*core::base64_decode("aGVsbG8="), "hello");
    EXPECT_EQ(*core::base64_decode("aGVsbG8"), "hello");
    EXPECT_FALSE(core::base64_decode("aGVs*G8="));
    EXPECT_TRUE(is_loopback("127.0.0.1"));
    EXPECT_TRUE(is_loopback("::1"));
    EXPECT_TRUE(is_loopback("::ffff:127.0.0.1"));
    EXPECT_FALSE(is_loopback("10.0.0.1"));
}

}  // namespace
}  // namespace terrain::webhooks
