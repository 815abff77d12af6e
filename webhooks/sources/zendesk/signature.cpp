#include "webhooks/sources/zendesk/signature.h"

#include "core/duration.h"

namespace terrain::webhooks {

using core::base64_encode;
using core::check_fresh;
using core::hmac_sha256;
using core::refuse;
using core::secret_equals;

std::optional<core::Error> ZendeskSignature::verify(const HttpRequest& req,
                                                       std::int64_t now_ms) const {
    const std::string* sig = req.header("x-zendesk-webhook-signature");
    const std::string* ts = req.header("x-zendesk-webhook-signature-timestamp");
    if (sig == nullptr || ts == nullptr) {
        return refuse("unauthorized",
                      "missing X-Zendesk-Webhook-Signature or X-Zendesk-Webhook-Signature-Timestamp");
    }
    if (!secret_equals(base64_encode(hmac_sha256(secret_, {*ts, req.body})), *sig)) {
        return refuse("bad_signature", "the signature does not match the timestamp and body for "
                                       "the configured Zendesk signing secret");
    }
    const auto at = core::parse_rfc3339_ms(*ts);
    if (!at) {
        return refuse("bad_signature", "X-Zendesk-Webhook-Signature-Timestamp is not RFC 3339");
    }
    if (auto stale = check_fresh(*at, now_ms, max_age_ms_)) {
        return stale;
    }
    if (!replays_.first_use(*sig, now_ms, *at + max_age_ms_)) {
        return refuse("replayed", "this signed request was already received");
    }
    return std::nullopt;
}

}  // namespace terrain::webhooks
