#include "alerts/slack/signature.h"

#include <algorithm>

#include "core/duration.h"

namespace terrain::alerts {

using core::check_fresh;
using core::hex;
using core::hmac_sha256;
using core::refuse;
using core::secret_equals;

std::optional<core::Error> SlackSignature::verify(const HttpRequest& req,
                                                    std::int64_t now_ms) const {
    const std::string* sig = req.header("x-slack-signature");
    const std::string* ts = req.header("x-slack-request-timestamp");
    if (sig == nullptr || ts == nullptr) {
        return refuse("unauthorized", "missing X-Slack-Signature or X-Slack-Request-Timestamp");
    }
    if (!secret_equals("v0=" + hex(hmac_sha256(secret_, {"v0:", *ts, ":", req.body})), *sig)) {
        return refuse("bad_signature", "the signature does not match the timestamp and body for "
                                       "the configured Slack signing secret");
    }
    std::int64_t seconds = 0;
    if (ts->empty() || ts->size() > 12 ||
        !std::all_of(ts->begin(), ts->end(), [](char c) { return c >= '0' && c <= '9'; })) {
        return refuse("bad_signature", "X-Slack-Request-Timestamp is not UNIX seconds");
    }
    seconds = std::stoll(*ts);
    if (auto stale = check_fresh(seconds * 1000, now_ms, max_age_ms_)) {
        return stale;
    }
    if (!replays_.first_use(*sig, now_ms, seconds * 1000 + max_age_ms_)) {
        return refuse("replayed", "this signed request was already received");
    }
    return std::nullopt;
}

}  // namespace terrain::alerts
