#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/signature.h"
#include "core/config.h"

namespace terrain::webhooks {

using core::HttpRequest;
using core::SignatureVerifier;

// Amazon SNS (SES notifications): SignatureVersion 1 (SHA1withRSA) or 2 (SHA256withRSA) over
// SNS's canonical "name\nvalue\n" string, verified with the certificate at SigningCertURL.
// The certificate URL is parsed (at most core::kMaxUrlBytes) and fetched only from the
// `cert_origins` (by default Amazon SNS's own hosts over HTTPS), in the background: a message
// whose certificate is not cached yet is refused with the retryable reason "key_pending" (SNS
// retries), a certificate that failed is not fetched again for a minute. Stale Timestamps and
// reused MessageIds are refused.
class SnsSignature final : public SignatureVerifier {
public:
    // Throws std::invalid_argument when an origin does not parse.
    SnsSignature(const std::vector<std::string>& cert_origins, std::int64_t max_age_ms);
    ~SnsSignature() override;
    std::optional<core::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    struct Certs;
    std::shared_ptr<Certs> certs_;
    std::int64_t max_age_ms_;
};

// The Amazon SNS origins certificates and subscription URLs must come from by default.
struct SnsSignatureDefaults {
    static std::vector<std::string> origins() {
        return {"https://sns.*.amazonaws.com", "https://sns.*.amazonaws.com.cn"};
    }
};

// Confirms an SNS subscription by visiting its SubscribeURL (parsed, then allowed only on one
// of `origins`), with a 5-second deadline.
std::optional<core::Error> confirm_subscription(const std::string& url,
                                                   const std::vector<std::string>& origins);

}  // namespace terrain::webhooks
