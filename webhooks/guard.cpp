#include "webhooks/guard.h"

#include <cctype>

namespace terrain::webhooks {

using core::base64_decode;
using core::bearer_token;
using core::refuse;
using core::secret_equals;

std::optional<HttpResponse> require_json(const HttpRequest& req) {
    const std::string* type = req.header("content-type");
    std::string media = type != nullptr ? type->substr(0, type->find(';')) : "";
    media.erase(media.find_last_not_of(" \t") + 1);
    for (auto& c : media) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    if (media == "application/json") {
        return std::nullopt;
    }
    return HttpResponse::error(415, "unsupported_media_type",
                               "send the body as JSON with 'Content-Type: application/json'");
}

HttpResponse unauthorized(const core::Error& e) {
    if (e.reason == "key_pending") {
        auto r = HttpResponse::error(503, e.reason, e.message);
        r.headers.emplace_back("Retry-After", "2");
        return r;
    }
    auto r = HttpResponse::error(401, e.reason, e.message);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
}

bool is_loopback(std::string_view address) {
    return address.rfind("127.", 0) == 0 || address == "::1" ||
           address.rfind("::ffff:127.", 0) == 0;
}

std::optional<core::Error> SourceGuard::check(const HttpRequest& req,
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
            static constexpr std::string_view kBasic = "Basic ";
            if (const auto bearer = bearer_token(*auth);
                bearer && !bearer->empty() && secret_equals(*bearer, token_)) {
                return std::nullopt;
            }
            // Basic authentication with the token as password, for vendors that only offer
            // credentials in the webhook URL (Postmark).
            if (auth->size() > kBasic.size() && auth->compare(0, kBasic.size(), kBasic) == 0) {
                const auto decoded = base64_decode(std::string_view(*auth).substr(kBasic.size()));
                const auto colon = decoded ? decoded->find(':') : std::string::npos;
                if (colon != std::string::npos &&
                    secret_equals(std::string_view(*decoded).substr(colon + 1), token_)) {
                    return std::nullopt;
                }
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

std::optional<core::Error> SourceGuard::confirm(const std::string& url) const {
    if (!confirm_) {
        return refuse("bad_field", source_ + " does not confirm subscriptions");
    }
    return confirm_(url);
}

}  // namespace terrain::webhooks
