#include "webhooks/sources/sendgrid/signature.h"

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <cstdlib>
#include <stdexcept>

namespace terrain::webhooks {

using core::base64_decode;
using core::refuse;

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

std::optional<core::Error> SendgridSignature::verify(const HttpRequest& req,
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

}  // namespace terrain::webhooks
