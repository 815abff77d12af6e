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

// SendGrid's Signed Event Webhook: ECDSA P-256 with SHA-256 over the timestamp header's bytes
// followed by the raw body, signature in X-Twilio-Email-Event-Webhook-Signature (base64 DER),
// timestamp in X-Twilio-Email-Event-Webhook-Timestamp (UNIX seconds). Requests whose
// timestamp is more than max_age away from now, or whose signature was already used, are
// refused.
class SendgridSignature final : public SignatureVerifier {
public:
    // Throws std::invalid_argument when the key is not a base64 DER P-256 public key.
    SendgridSignature(const std::string& public_key_b64, std::int64_t max_age_ms);
    ~SendgridSignature() override;
    std::optional<core::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    struct Key;
    std::unique_ptr<Key> key_;
    std::int64_t max_age_ms_;
};

}  // namespace terrain::webhooks
