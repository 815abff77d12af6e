#pragma once

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>

#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/teams/bot_framework_auth.h"

namespace terrain::testing {

// Plays the Bot Framework's token service in tests: a fresh RSA key, published as a JSON Web
// Key (`jwk()`, for a stand-in's jwks_uri), and RS256 tokens signed with it.
class BotFrameworkSigner final {
public:
    explicit BotFrameworkSigner(std::string kid = "terrain-test-key") : kid_(std::move(kid)) {
        key_ = EVP_RSA_gen(2048);
        if (key_ == nullptr) {
            throw std::runtime_error("cannot make an RSA key");
        }
    }
    ~BotFrameworkSigner() { EVP_PKEY_free(key_); }
    BotFrameworkSigner(const BotFrameworkSigner&) = delete;
    BotFrameworkSigner& operator=(const BotFrameworkSigner&) = delete;

    nlohmann::json jwk() const {
        return {{"kty", "RSA"},
                {"use", "sig"},
                {"kid", kid_},
                {"n", component(OSSL_PKEY_PARAM_RSA_N)},
                {"e", component(OSSL_PKEY_PARAM_RSA_E)},
                {"endorsements", {"msteams"}}};
    }

    // A signed token with these claims (RS256, this key's kid unless `kid` is given).
    std::string token(const nlohmann::json& claims, const std::string& kid = "") const {
        const nlohmann::json header = {{"alg", "RS256"}, {"typ", "JWT"},
                                       {"kid", kid.empty() ? kid_ : kid}};
        const std::string signed_part = alerts::base64url_encode(header.dump()) + "." +
                                        alerts::base64url_encode(claims.dump());
        EVP_MD_CTX* ctx = EVP_MD_CTX_new();
        std::size_t size = 0;
        std::string signature;
        if (EVP_DigestSignInit(ctx, nullptr, EVP_sha256(), nullptr, key_) == 1 &&
            EVP_DigestSign(ctx, nullptr, &size,
                           reinterpret_cast<const unsigned char*>(signed_part.data()),
                           signed_part.size()) == 1) {
            signature.resize(size);
            EVP_DigestSign(ctx, reinterpret_cast<unsigned char*>(signature.data()), &size,
                           reinterpret_cast<const unsigned char*>(signed_part.data()),
                           signed_part.size());
            signature.resize(size);
        }
        EVP_MD_CTX_free(ctx);
        return signed_part + "." + alerts::base64url_encode(signature);
    }

    // The claims the Bot Framework puts in a token for `app_id`, valid for an hour from
    // `now_s`, for activities from `service_url`.
    static nlohmann::json claims(const std::string& app_id, const std::string& service_url,
                                 long long now_s) {
        return {{"iss", "https://api.botframework.com"}, {"aud", app_id},
                {"serviceurl", service_url},             {"nbf", now_s - 300},
                {"exp", now_s + 3600},                   {"iat", now_s - 300}};
    }

private:
    std::string component(const char* name) const {
        BIGNUM* bn = nullptr;
        EVP_PKEY_get_bn_param(key_, name, &bn);
        std::string bytes(static_cast<std::size_t>(BN_num_bytes(bn)), '\0');
        BN_bn2bin(bn, reinterpret_cast<unsigned char*>(bytes.data()));
        BN_free(bn);
        return alerts::base64url_encode(bytes);
    }

    std::string kid_;
    EVP_PKEY* key_ = nullptr;
};

}  // namespace terrain::testing
