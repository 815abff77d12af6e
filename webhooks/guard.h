#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/signature.h"

namespace terrain::webhooks {

using core::HttpRequest;
using core::HttpResponse;
using core::SignatureVerifier;

// Whether a request to one source (or to the API) may proceed: a valid vendor signature, or
// the configured bearer token, or, with neither configured, a loopback client.
class SourceGuard final {
public:
    using Confirm = std::function<std::optional<core::Error>(const std::string& url)>;
    SourceGuard(std::string source, std::string token, std::unique_ptr<SignatureVerifier> verifier,
                Confirm confirm = {})
        : source_(std::move(source)),
          token_(std::move(token)),
          verifier_(std::move(verifier)),
          confirm_(std::move(confirm)) {}

    // nullopt: allowed. Otherwise the reason (unauthorized, bad_signature, stale_timestamp,
    // replayed) and a message for the sender.
    std::optional<core::Error> check(const HttpRequest& req, std::int64_t now_ms) const;
    bool open_to_loopback() const { return token_.empty() && !verifier_; }
    // Confirms a subscription (a verified request asked for a visit to `url`): refused unless
    // the source's kind subscribes that way.
    std::optional<core::Error> confirm(const std::string& url) const;

private:
    std::string source_;
    std::string token_;
    std::unique_ptr<SignatureVerifier> verifier_;
    Confirm confirm_;
};

bool is_loopback(std::string_view address);

// A 415 unless the request's Content-Type is application/json. A page of another origin can
// send a form or text/plain without asking, but not JSON (the browser asks first, with a CORS
// preflight terrain never approves), so routes that change state for a person take only JSON.
std::optional<HttpResponse> require_json(const HttpRequest& req);

// The 401 answer to a refused request: {"error": reason, "message": ...} and
// WWW-Authenticate: Bearer; for "key_pending" (a signing key or certificate being fetched in
// the background) 503 with Retry-After, which the vendors retry.
HttpResponse unauthorized(const core::Error& e);

}  // namespace terrain::webhooks
