#include "webhooks/auth.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <openssl/x509.h>

#include <array>
#include <cstdlib>
#include <stdexcept>

namespace terrain::webhooks {

namespace {

monitor::Error refuse(std::string reason, std::string message) {
    monitor::Error e;
    e.reason = std::move(reason);
    e.message = std::move(message);
    return e;
}

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view s) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
    return out;
}

}  // namespace

bool secret_equals(std::string_view a, std::string_view b) {
    const auto da = sha256(a);
    const auto db = sha256(b);
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::optional<std::string> base64_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    if (bits >= 6) {
        return std::nullopt;  // a lone trailing character cannot be valid base64
    }
    return out;
}

bool ReplayGuard::first_use(const std::string& signature, std::int64_t now_ms,
                            std::int64_t expires_ms) {
    std::lock_guard lock(mutex_);
    while (!by_expiry_.empty() &&
           (by_expiry_.front().first < now_ms || by_expiry_.size() >= capacity_)) {
        seen_.erase(by_expiry_.front().second);
        by_expiry_.pop_front();
    }
    if (!seen_.insert(signature).second) {
        return false;
    }
    // Expiry times are not monotonic across requests, but close enough: an entry may be kept a
    // little longer than needed, never shorter than the freshness window of the request that
    // expires first.
    by_expiry_.emplace_back(expires_ms, signature);
    return true;
}

struct SendgridSignature::Key {
    EVP_PKEY* pkey = nullptr;
    ~Key() { EVP_PKEY_free(pkey); }
};

SendgridSignature::SendgridSignature(const std::string& public_key_b64, std::int64_t max_age_ms)
    : key_(std::make_unique<Key>()), max_age_ms_(max_age_ms) {
    auto der = base64_decode(public_key_b64);
    if (!der) {
        throw std::invalid_argument("the SendGrid public key is not base64");
    }
    const auto* p = reinterpret_cast<const unsigned char*>(der->data());
    key_->pkey = d2i_PUBKEY(nullptr, &p, static_cast<long>(der->size()));
    if (key_->pkey == nullptr || EVP_PKEY_get_base_id(key_->pkey) != EVP_PKEY_EC) {
        throw std::invalid_argument(
            "the SendGrid public key is not a DER-encoded EC public key (it starts MFkwEwYH...)");
    }
}

SendgridSignature::~SendgridSignature() = default;

std::optional<monitor::Error> SendgridSignature::verify(const HttpRequest& req,
                                                        std::int64_t now_ms) const {
    const std::string* sig_b64 = req.header("x-twilio-email-event-webhook-signature");
    const std::string* ts = req.header("x-twilio-email-event-webhook-timestamp");
    if (sig_b64 == nullptr || ts == nullptr) {
        return refuse("unauthorized",
                      "missing X-Twilio-Email-Event-Webhook-Signature or -Timestamp header");
    }
    char* end = nullptr;
    const long long secs = std::strtoll(ts->c_str(), &end, 10);
    if (ts->empty() || *end != '\0') {
        return refuse("bad_signature", "X-Twilio-Email-Event-Webhook-Timestamp is not UNIX seconds");
    }
    auto sig = base64_decode(*sig_b64);
    if (!sig) {
        return refuse("bad_signature", "X-Twilio-Email-Event-Webhook-Signature is not base64");
    }
    EVP_MD_CTX* ctx = EVP_MD_CTX_new();
    const bool ok =
        ctx != nullptr &&
        EVP_DigestVerifyInit(ctx, nullptr, EVP_sha256(), nullptr, key_->pkey) == 1 &&
        EVP_DigestVerifyUpdate(ctx, ts->data(), ts->size()) == 1 &&
        EVP_DigestVerifyUpdate(ctx, req.body.data(), req.body.size()) == 1 &&
        EVP_DigestVerifyFinal(ctx, reinterpret_cast<const unsigned char*>(sig->data()),
                              sig->size()) == 1;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        return refuse("bad_signature",
                      "the signature does not match the timestamp and body for the configured "
                      "SendGrid public key");
    }
    const std::int64_t ts_ms = secs * 1000;
    if (ts_ms < now_ms - max_age_ms_ || ts_ms > now_ms + max_age_ms_) {
        return refuse("stale_timestamp", "the signed timestamp is more than " +
                                             std::to_string(max_age_ms_ / 1000) +
                                             " s from terrain's clock");
    }
    if (!replays_.first_use(*sig_b64, now_ms, ts_ms + max_age_ms_)) {
        return refuse("replayed", "this signed request was already received");
    }
    return std::nullopt;
}

bool is_loopback(std::string_view address) {
    return address.rfind("127.", 0) == 0 || address == "::1" ||
           address.rfind("::ffff:127.", 0) == 0;
}

std::optional<monitor::Error> SourceGuard::check(const HttpRequest& req,
                                                 std::int64_t now_ms) const {
    if (open_to_loopback()) {
        if (is_loopback(req.remote_address)) {
            return std::nullopt;
        }
        return refuse("unauthorized", source_ + " has no credentials configured, so only "
                                                "loopback clients may use it; configure a "
                                                "token or signature key for it");
    }
    if (!token_.empty()) {
        if (const std::string* auth = req.header("authorization")) {
            static constexpr std::string_view kBearer = "Bearer ";
            if (auth->size() > kBearer.size() && auth->compare(0, kBearer.size(), kBearer) == 0 &&
                secret_equals(std::string_view(*auth).substr(kBearer.size()), token_)) {
                return std::nullopt;
            }
            if (!verifier_) {
                return refuse("unauthorized", "the bearer token is not the one configured for " +
                                                  source_);
            }
        } else if (!verifier_) {
            return refuse("unauthorized", "missing 'Authorization: Bearer <token>' header");
        }
    }
    return verifier_->verify(req, now_ms);
}

}  // namespace terrain::webhooks
