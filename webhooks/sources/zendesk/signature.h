#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/signature.h"

namespace terrain::webhooks {

using core::HttpRequest;
using core::SignatureVerifier;

// Zendesk: base64 HMAC-SHA256 of the X-Zendesk-Webhook-Signature-Timestamp header's bytes
// followed by the raw body, in X-Zendesk-Webhook-Signature; the secret is used as its ASCII
// bytes. Stale timestamps and reused signatures are refused.
class ZendeskSignature final : public SignatureVerifier {
public:
    ZendeskSignature(std::string secret, std::int64_t max_age_ms)
        : secret_(std::move(secret)), max_age_ms_(max_age_ms) {}
    std::optional<core::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    std::string secret_;
    std::int64_t max_age_ms_;
};

}  // namespace terrain::webhooks
