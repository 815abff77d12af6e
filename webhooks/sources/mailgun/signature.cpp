#include "webhooks/sources/mailgun/signature.h"

#include <cstdlib>

#include <nlohmann/json.hpp>

#include "webhooks/sources/document.h"

namespace terrain::webhooks {

using core::check_fresh;
using core::hex;
using core::hmac_sha256;
using core::refuse;
using core::secret_equals;

std::optional<core::Error> MailgunSignature::verify(const HttpRequest& req,
                                                       std::int64_t now_ms) const {
    const auto body = nlohmann::json::parse(req.body, nullptr, false);
    const auto sig = body.is_object() ? body.find("signature") : body.end();
    if (!body.is_object() || sig == body.end() || !sig->is_object()) {
        return refuse("unauthorized", "missing the Mailgun 'signature' object in the body");
    }
    auto field = [&](const char* key) { return text_at(*sig, key); };
    const std::string timestamp = field("timestamp");
    const std::string token = field("token");
    const std::string signature = field("signature");
    if (timestamp.empty() || token.empty() || signature.empty()) {
        return refuse("unauthorized",
                      "the Mailgun signature needs 'timestamp', 'token' and 'signature' strings");
    }
    if (!secret_equals(hex(hmac_sha256(key_, {timestamp, token})), signature)) {
        return refuse("bad_signature", "the signature does not match the timestamp and token for "
                                       "the configured Mailgun signing key");
    }
    char* end = nullptr;
    const long long secs = std::strtoll(timestamp.c_str(), &end, 10);
    if (*end != '\0') {
        return refuse("bad_signature", "the signature's timestamp is not UNIX seconds");
    }
    if (auto stale = check_fresh(secs * 1000, now_ms, max_age_ms_)) {
        return stale;
    }
    if (!replays_.first_use(token, now_ms, secs * 1000 + max_age_ms_)) {
        return refuse("replayed", "this Mailgun token was already used");
    }
    return std::nullopt;
}

}  // namespace terrain::webhooks
