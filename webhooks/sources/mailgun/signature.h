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

// Mailgun: hex HMAC-SHA256 of timestamp followed by token, keyed with the webhook signing key,
// carried in the body's "signature" object. A token already used, or a timestamp more than
// max_age from now, is refused.
class MailgunSignature final : public SignatureVerifier {
public:
    MailgunSignature(std::string signing_key, std::int64_t max_age_ms)
        : key_(std::move(signing_key)), max_age_ms_(max_age_ms) {}
    std::optional<core::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    std::string key_;
    std::int64_t max_age_ms_;
};

}  // namespace terrain::webhooks
