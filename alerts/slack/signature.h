#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/signature.h"

namespace terrain::alerts {

using core::HttpRequest;
using core::SignatureVerifier;

// Slack (interactivity requests): "v0=" + hex HMAC-SHA256 of "v0:" + X-Slack-Request-Timestamp
// + ":" + the raw body, keyed with the app's signing secret, in X-Slack-Signature. Timestamps
// more than max_age (Slack says 5 minutes) from now, and signatures already used, are refused.
class SlackSignature final : public SignatureVerifier {
public:
    SlackSignature(std::string signing_secret, std::int64_t max_age_ms)
        : secret_(std::move(signing_secret)), max_age_ms_(max_age_ms) {}
    std::optional<core::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    std::string secret_;
    std::int64_t max_age_ms_;
};

}  // namespace terrain::alerts
