#include "alerts/teams/bot_framework_auth.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>

#include <map>
#include <mutex>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/signature.h"
#include "core/json_poster.h"

namespace terrain::alerts {

using core::base64_decode;
using core::base64_encode;
using core::bearer_token;
using core::refuse;

namespace {

constexpr std::int64_t kSkewMs = 5 * 60'000;
constexpr std::int64_t kRefetchAfterMs = 60'000;      // an unknown key id, at most this often
constexpr std::int64_t kKeysLifetimeMs = 86'400'000;  // keys are fetched again after a day
constexpr std::size_t kMaxToken = 16 * 1024;
constexpr const char* kIssuer = "https://api.botframework.com";

// An RSA public key from a JSON Web Key's modulus and exponent; nullptr when they are not.
EVP_PKEY* rsa_key(const std::string& n_b64, const std::string& e_b64) {
    auto n = base64url_decode(n_b64);
    auto e = base64url_decode(e_b64);
    if (!n || !e || n->empty() || e->empty()) {
        return nullptr;
    }
    BIGNUM* bn_n = BN_bin2bn(reinterpret_cast<const unsigned char*>(n->data()),
                             static_cast<int>(n->size()), nullptr);
    BIGNUM* bn_e = BN_bin2bn(reinterpret_cast<const unsigned char*>(e->data()),
                             static_cast<int>(e->size()), nullptr);
    OSSL_PARAM_BLD* build = OSSL_PARAM_BLD_new();
    OSSL_PARAM* params = nullptr;
    EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_from_name(nullptr, "RSA", nullptr);
    EVP_PKEY* key = nullptr;
    if (bn_n != nullptr && bn_e != nullptr && build != nullptr && ctx != nullptr &&
        OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_N, bn_n) == 1 &&
        OSSL_PARAM_BLD_push_BN(build, OSSL_PKEY_PARAM_RSA_E, bn_e) == 1 &&
        (params = OSSL_PARAM_BLD_to_param(build)) != nullptr && EVP_PKEY_fromdata_init(ctx) == 1) {
        if (EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
            key = nullptr;
        }
    }
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(build);
    BN_free(bn_n);
    BN_free(bn_e);
    return key;
}

bool verify_rs256(EVP_PKEY* key, std::string_view signed_part, const std::string& signature) {
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok =
        ctx != nullptr && EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key) == 1 &&
        EVP_DigestVerifyUpdate(ctx, signed_part.data(), signed_part.size()) == 1 &&
        EVP_DigestVerifyFinal(ctx, reinterpret_cast<const unsigned char*>(signature.data()),
                              signature.size()) == 1;
    EVP_MD_CTX_free(ctx);
    return ok;
}

nlohmann::json get_json(const std::string& url, std::string& error) {
    core::HttpReply r = core::http_call("GET", url, {}, "", 5000);
    if (!r.ok()) {
        error = url + ": " + r.describe();
        return nullptr;
    }
    auto j = nlohmann::json::parse(r.body, nullptr, false);
    if (!j.is_object()) {
        error = url + ": the answer is not a JSON object";
        return nullptr;
    }
    return j;
}

}  // namespace

std::optional<std::string> base64url_decode(std::string_view text) {
    std::string standard(text);
    for (char& c : standard) {
        if (c == '+' || c == '/' || c == '=') {
            return std::nullopt;
        }
        c = c == '-' ? '+' : c == '_' ? '/' : c;
    }
    return base64_decode(standard);
}

std::string base64url_encode(std::string_view bytes) {
    std::string out = base64_encode(bytes);
    while (!out.empty() && out.back() == '=') {
        out.pop_back();
    }
    for (char& c : out) {
        c = c == '+' ? '-' : c == '/' ? '_' : c;
    }
    return out;
}

struct BotFrameworkAuth::Keys {
    struct Key {
        EVP_PKEY* pkey = nullptr;
        std::vector<std::string> endorsements;
    };
    std::string openid_url;
    std::mutex mutex;
    std::map<std::string, Key> by_kid;
    std::int64_t fetched_ms = 0;
    bool fetched = false;
    std::string last_error;
    bool refreshing = false;
    std::thread refresher;

    ~Keys() {
        if (refresher.joinable()) {
            refresher.join();
        }
        forget();
    }
    // Starts a refresh on its own thread unless one runs (holds mutex): no HTTP request thread
    // waits on Microsoft's hosts.
    void refresh_in_background(std::int64_t now_ms) {
        if (refreshing) {
            return;
        }
        if (refresher.joinable()) {
            refresher.join();  // finished: it cleared `refreshing` last
        }
        refreshing = true;
        fetched = true;
        fetched_ms = now_ms;
        refresher = std::thread([this] {
            std::map<std::string, Key> fresh;
            auto error = fetch(fresh);
            std::lock_guard lock(mutex);
            if (error) {
                last_error = *error;
            } else {
                forget();
                by_kid = std::move(fresh);
                last_error.clear();
            }
            refreshing = false;
        });
    }
    void forget() {
        for (auto& [kid, key] : by_kid) {
            EVP_PKEY_free(key.pkey);
        }
        by_kid.clear();
    }

    // Fetches the metadata and its key set into `fresh`; does not hold mutex.
    std::optional<std::string> fetch(std::map<std::string, Key>& fresh) const {
        std::string error;
        const auto metadata = get_json(openid_url, error);
        if (!metadata.is_object()) {
            return error;
        }
        const std::string jwks_uri = metadata.value("jwks_uri", "");
        if (jwks_uri.empty()) {
            return openid_url + ": the OpenID metadata has no jwks_uri";
        }
        const auto set = get_json(jwks_uri, error);
        if (!set.is_object() || !set.contains("keys") || !set["keys"].is_array()) {
            return error.empty() ? jwks_uri + ": no 'keys' array" : error;
        }
        for (const auto& k : set["keys"]) {
            if (!k.is_object() || k.value("kty", "") != "RSA" || !k.contains("kid") ||
                !k["kid"].is_string() || !k.contains("n") || !k.contains("e") ||
                !k["n"].is_string() || !k["e"].is_string()) {
                continue;
            }
            Key key;
            key.pkey = rsa_key(k["n"], k["e"]);
            if (key.pkey == nullptr) {
                continue;
            }
            if (auto e = k.find("endorsements"); e != k.end() && e->is_array()) {
                for (const auto& v : *e) {
                    if (v.is_string()) {
                        key.endorsements.push_back(v);
                    }
                }
            }
            if (auto [it, inserted] = fresh.emplace(k["kid"].get<std::string>(), key); !inserted) {
                EVP_PKEY_free(key.pkey);
            }
        }
        if (fresh.empty()) {
            return jwks_uri + ": no usable RSA key";
        }
        return std::nullopt;
    }
};

BotFrameworkAuth::BotFrameworkAuth(std::string app_id, std::string openid_url)
    : keys_(std::make_unique<Keys>()), app_id_(std::move(app_id)) {
    keys_->openid_url = std::move(openid_url);
    std::lock_guard lock(keys_->mutex);
    // Warm: the first click should find the keys. Its time is taken from the first verify.
    keys_->refresh_in_background(-1);
}

BotFrameworkAuth::~BotFrameworkAuth() = default;

std::optional<core::Error> BotFrameworkAuth::verify(std::string_view authorization,
                                                       const std::string& service_url,
                                                       const std::string& channel_id,
                                                       std::int64_t now_ms) const {
    const auto bearer = bearer_token(authorization);
    if (!bearer) {
        return refuse("unauthorized", "no 'Authorization: Bearer <token>' from the Bot Framework");
    }
    const std::string_view token = *bearer;
    const auto dot1 = token.find('.');
    const auto dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (token.size() > kMaxToken || dot2 == std::string_view::npos) {
        return refuse("unauthorized", "the bearer token is not a JSON Web Token");
    }
    const auto header_bytes = base64url_decode(token.substr(0, dot1));
    const auto claims_bytes = base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
    const auto signature = base64url_decode(token.substr(dot2 + 1));
    if (!header_bytes || !claims_bytes || !signature) {
        return refuse("unauthorized", "the bearer token is not base64url");
    }
    const auto header = nlohmann::json::parse(*header_bytes, nullptr, false);
    const auto claims = nlohmann::json::parse(*claims_bytes, nullptr, false);
    if (!header.is_object() || !claims.is_object()) {
        return refuse("unauthorized", "the token's header or claims are not JSON objects");
    }
    auto text = [](const nlohmann::json& j, const char* key) {
        auto it = j.find(key);
        return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    if (text(header, "alg") != "RS256") {
        return refuse("bad_signature", "the token must be signed with RS256, not '" +
                                           text(header, "alg") + "'");
    }
    const std::string kid = text(header, "kid");
    {
        std::lock_guard lock(keys_->mutex);
        if (keys_->fetched_ms < 0) {
            keys_->fetched_ms = now_ms;
        }
        auto found = keys_->by_kid.find(kid);
        const bool stale = keys_->fetched && now_ms - keys_->fetched_ms > kKeysLifetimeMs;
        const bool may_refetch = !keys_->fetched || now_ms - keys_->fetched_ms >= kRefetchAfterMs;
        if ((found == keys_->by_kid.end() && may_refetch) || stale) {
            keys_->refresh_in_background(now_ms);
        }
        if (found == keys_->by_kid.end() && keys_->refreshing) {
            return refuse("key_pending",
                          "terrain is fetching the Bot Framework's signing keys; retry");
        }
        if (found == keys_->by_kid.end() && !keys_->last_error.empty()) {
            return refuse("bad_signature",
                          "cannot fetch the Bot Framework's signing keys: " + keys_->last_error);
        }
        if (found == keys_->by_kid.end()) {
            return refuse("bad_signature",
                          "the token is signed with a key the Bot Framework does not list ('" +
                              kid.substr(0, 64) + "')");
        }
        if (!verify_rs256(found->second.pkey, token.substr(0, dot2), *signature)) {
            return refuse("bad_signature", "the token's signature does not verify");
        }
        const auto& endorsements = found->second.endorsements;
        if (!endorsements.empty() &&
            std::find(endorsements.begin(), endorsements.end(), channel_id) ==
                endorsements.end()) {
            return refuse("bad_signature", "the signing key is not endorsed for channel '" +
                                               channel_id.substr(0, 64) + "'");
        }
    }
    if (text(claims, "iss") != kIssuer) {
        return refuse("unauthorized", std::string("the token's issuer is not ") + kIssuer);
    }
    bool audience = text(claims, "aud") == app_id_;
    if (auto aud = claims.find("aud"); aud != claims.end() && aud->is_array()) {
        audience = std::find(aud->begin(), aud->end(), app_id_) != aud->end();
    }
    if (!audience) {
        return refuse("unauthorized", "the token is for another bot (its audience is not "
                                      "interact.teams_app_id)");
    }
    auto seconds = [&](const char* key) -> std::optional<std::int64_t> {
        auto it = claims.find(key);
        if (it == claims.end() || !it->is_number()) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(it->get<double>());
    };
    const auto exp = seconds("exp");
    if (!exp) {
        return refuse("unauthorized", "the token has no exp claim");
    }
    if (*exp * 1000 + kSkewMs < now_ms) {
        return refuse("stale_timestamp", "the token has expired");
    }
    if (const auto nbf = seconds("nbf"); nbf && *nbf * 1000 - kSkewMs > now_ms) {
        return refuse("stale_timestamp", "the token is not valid yet (nbf)");
    }
    const std::string claimed_service = text(claims, "serviceurl").empty()
                                            ? text(claims, "serviceUrl")
                                            : text(claims, "serviceurl");
    if (claimed_service != service_url) {
        return refuse("unauthorized",
                      "the token's serviceUrl claim does not match the activity's serviceUrl");
    }
    return std::nullopt;
}

}  // namespace terrain::alerts
