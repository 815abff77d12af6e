#include "alerts/teams/bot_framework_auth.h"

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "tests/support/bot_framework_signer.h"
#include "tests/support/chat_stand_in.h"

namespace terrain::alerts {
namespace {

constexpr const char* kApp = "5b7f1a2e-terrain-bot";
constexpr long long kNowS = 1'764'500'000;
constexpr std::int64_t kNowMs = kNowS * 1000;

class BotFrameworkAuthTest : public ::testing::Test {
protected:
    BotFrameworkAuthTest() : auth_(kApp, chat_.base() + "/teams/openid") {}
    std::string service() const { return chat_.base() + "/teams"; }
    std::string bearer(const nlohmann::json& claims, const std::string& kid = "") const {
        return "Bearer " + signer_.token(claims, kid);
    }
    nlohmann::json claims() const {
        return testing::BotFrameworkSigner::claims(kApp, service(), kNowS);
    }
    std::string refusal(const std::string& authorization, std::int64_t now_ms = kNowMs,
                        const std::string& channel = "msteams") const {
        auto denied = verify_retrying(auth_, authorization, channel, now_ms);
        return denied ? denied->reason + ": " + denied->message : "";
    }
    // The keys are fetched in the background: while they are, verify answers "key_pending"
    // (a 503 the Bot Framework retries), and the test retries as it would.
    std::optional<core::Error> verify_retrying(const BotFrameworkAuth& auth,
                                                  const std::string& authorization,
                                                  const std::string& channel,
                                                  std::int64_t now_ms) const {
        for (int i = 0; i < 500; ++i) {
            auto denied = auth.verify(authorization, service(), channel, now_ms);
            if (!denied || denied->reason != "key_pending") {
                return denied;
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return core::Error{"timeout", "the keys never arrived", -1, ""};
    }

    testing::ChatStandIn chat_;
    testing::BotFrameworkSigner signer_;
    bool jwks_published_ = (chat_.set_jwks(nlohmann::json::array({signer_.jwk()})), true);
    BotFrameworkAuth auth_;
};

TEST_F(BotFrameworkAuthTest, Base64UrlRoundTripsWithoutPadding) {
    const std::string bytes = "\xfb\xff\x01 terrain?";
    const std::string text = base64url_encode(bytes);
    EXPECT_EQ(text.find_first_of("+/="), std::string::npos);
    EXPECT_EQ(base64url_decode(text), bytes);
    EXPECT_FALSE(base64url_decode("ab+/"));
}

TEST_F(BotFrameworkAuthTest, AcceptsATokenSignedByAListedKeyAndFetchesTheKeysOnce) {
    EXPECT_EQ(refusal(bearer(claims())), "");
    EXPECT_EQ(refusal(bearer(claims()), kNowMs + 1000), "");
    EXPECT_EQ(chat_.to("/teams/openid").size(), 1U);
    EXPECT_EQ(chat_.to("/teams/keys").size(), 1U);
    nlohmann::json audiences = claims();
    audiences["aud"] = {"someone-else", kApp};
    EXPECT_EQ(refusal(bearer(audiences)), "");
}

TEST_F(BotFrameworkAuthTest, RefusesEachWayATokenCanBeWrong) {
    auto with = [&](const char* key, nlohmann::json value) {
        nlohmann::json c = claims();
        c[key] = std::move(value);
        return bearer(c);
    };
    EXPECT_EQ(refusal(""), "unauthorized: no 'Authorization: Bearer <token>' from the Bot "
                           "Framework");
    EXPECT_EQ(refusal("Bearer not-a-jwt"), "unauthorized: the bearer token is not a JSON Web Token");
    EXPECT_EQ(refusal(with("aud", "another-bot")).rfind("unauthorized: the token is for another bot", 0), 0U);
    EXPECT_EQ(refusal(with("iss", "https://example.com")).rfind("unauthorized: the token's issuer", 0), 0U);
    EXPECT_EQ(refusal(with("exp", kNowS - 301)), "stale_timestamp: the token has expired");
    EXPECT_EQ(refusal(with("exp", kNowS - 200)), "");  // five minutes of clock skew
    EXPECT_EQ(refusal(with("nbf", kNowS + 600)), "stale_timestamp: the token is not valid yet (nbf)");
    EXPECT_EQ(refusal(with("serviceurl", "https://evil.example.com/")).rfind("unauthorized: the token's serviceUrl", 0), 0U);
    EXPECT_EQ(refusal(bearer(claims()), kNowMs, "slack").rfind("bad_signature: the signing key is not endorsed", 0), 0U);

    // Signed by a key of the same id that the Bot Framework does not publish.
    testing::BotFrameworkSigner forger;
    EXPECT_EQ(refusal("Bearer " + forger.token(claims())),
              "bad_signature: the token's signature does not verify");
    // The claims changed after signing.
    std::string token = signer_.token(claims());
    const auto dot1 = token.find('.');
    const auto dot2 = token.find('.', dot1 + 1);
    nlohmann::json raised = claims();
    raised["aud"] = "another-bot";
    token = token.substr(0, dot1 + 1) + base64url_encode(raised.dump()) + token.substr(dot2);
    EXPECT_EQ(refusal("Bearer " + token), "bad_signature: the token's signature does not verify");
    // Not RS256: an unsigned token, or one "signed" with the public key as an HMAC secret.
    for (const char* alg : {"none", "HS256"}) {
        const nlohmann::json header = {{"alg", alg}, {"kid", "terrain-test-key"}};
        const std::string unsigned_token = base64url_encode(header.dump()) + "." +
                                           base64url_encode(claims().dump()) + ".";
        EXPECT_EQ(refusal("Bearer " + unsigned_token).rfind("bad_signature: the token must be signed with RS256", 0), 0U) << alg;
    }
}

TEST_F(BotFrameworkAuthTest, AnUnknownKeyIdFetchesTheKeysAgainAtMostOnceAMinute) {
    EXPECT_EQ(refusal(bearer(claims())), "");
    testing::BotFrameworkSigner rotated("rotated-key");
    chat_.set_jwks(nlohmann::json::array({signer_.jwk(), rotated.jwk()}));
    const std::string token = "Bearer " + rotated.token(claims());
    EXPECT_EQ(refusal(token, kNowMs + 10'000).rfind("bad_signature: the token is signed with a key", 0), 0U);
    EXPECT_EQ(chat_.to("/teams/keys").size(), 1U);  // not fetched again within the minute
    EXPECT_EQ(refusal(token, kNowMs + 61'000), "");
    EXPECT_EQ(chat_.to("/teams/keys").size(), 2U);
}

TEST_F(BotFrameworkAuthTest, KeysThatCannotBeFetchedRefuseWithTheReason) {
    BotFrameworkAuth nowhere(kApp, "http://127.0.0.1:9/openid");
    auto denied = verify_retrying(nowhere, bearer(claims()), "msteams", kNowMs);
    ASSERT_TRUE(denied);
    EXPECT_EQ(denied->reason, "bad_signature");
    EXPECT_NE(denied->message.find("cannot fetch the Bot Framework's signing keys"),
              std::string::npos)
        << denied->message;
}

}  // namespace
}  // namespace terrain::alerts
