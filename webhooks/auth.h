#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <initializer_list>
#include <string_view>
#include <unordered_set>

#include "monitor/config.h"
#include "monitor/result.h"
#include "monitor/store.h"
#include "webhooks/http_server.h"

namespace terrain::webhooks {

// Equality of two secrets in time that does not depend on where they differ (both are hashed
// with SHA-256 and the digests compared with CRYPTO_memcmp), so a token cannot be guessed
// byte by byte.
bool secret_equals(std::string_view a, std::string_view b);

// The token of an "Authorization: Bearer <token>" value; nullopt without the Bearer scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// A refused request's error: a reason (unauthorized, bad_signature, ...) and what to tell.
monitor::Error refuse(std::string reason, std::string message);

// Standard base64 (RFC 4648, padding optional); nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

// HMAC-SHA256 of the concatenated parts, as raw bytes.
std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts);
std::string hex(std::string_view bytes);

// The token a Mattermost button's context carries: hex HMAC-SHA256, keyed with
// interact.mattermost_secret, over the alert id and the action's name. Mattermost posts the
// context back unchanged with the clicker's user id, so a click whose token verifies came
// through a button terrain made for that alert and action.
std::string mattermost_token(std::string_view secret, std::string_view alert,
                             std::string_view action);

// Remembers recently seen signatures until they expire, so a captured request cannot be sent
// again while its timestamp is still fresh. In memory it is bounded: beyond `capacity` the
// oldest are forgotten (they are then refused as stale anyway once max_age passes). Given a
// store (remember_in), it remembers there instead, under a scope, so the memory outlives a
// restart: a request captured before a crash is still refused after it. Thread-safe.
class ReplayGuard final {
public:
    explicit ReplayGuard(std::size_t capacity = 100'000) : capacity_(capacity) {}
    void remember_in(monitor::Store* store, std::string scope);
    // True the first time `signature` is seen (and remembers it until expires_ms).
    bool first_use(const std::string& signature, std::int64_t now_ms, std::int64_t expires_ms);

private:
    std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_set<std::string> seen_;
    std::deque<std::pair<std::int64_t, std::string>> by_expiry_;
    monitor::Store* store_ = nullptr;
    std::string scope_;
};

// A vendor's request signature scheme. verify() is given the raw request.
class SignatureVerifier {
public:
    virtual ~SignatureVerifier() = default;
    virtual std::optional<monitor::Error> verify(const HttpRequest& req,
                                                 std::int64_t now_ms) const = 0;
    // Keeps the memory of used signatures in the store (see ReplayGuard).
    void remember_in(monitor::Store* store, std::string scope) {
        replays_.remember_in(store, std::move(scope));
    }

protected:
    mutable ReplayGuard replays_;
};

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
    std::optional<monitor::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    struct Key;
    std::unique_ptr<Key> key_;
    std::int64_t max_age_ms_;
};

// Mailgun: hex HMAC-SHA256 of timestamp followed by token, keyed with the webhook signing key,
// carried in the body's "signature" object. A token already used, or a timestamp more than
// max_age from now, is refused.
class MailgunSignature final : public SignatureVerifier {
public:
    MailgunSignature(std::string signing_key, std::int64_t max_age_ms)
        : key_(std::move(signing_key)), max_age_ms_(max_age_ms) {}
    std::optional<monitor::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    std::string key_;
    std::int64_t max_age_ms_;
};

// Zendesk: base64 HMAC-SHA256 of the X-Zendesk-Webhook-Signature-Timestamp header's bytes
// followed by the raw body, in X-Zendesk-Webhook-Signature; the secret is used as its ASCII
// bytes. Stale timestamps and reused signatures are refused.
class ZendeskSignature final : public SignatureVerifier {
public:
    ZendeskSignature(std::string secret, std::int64_t max_age_ms)
        : secret_(std::move(secret)), max_age_ms_(max_age_ms) {}
    std::optional<monitor::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    std::string secret_;
    std::int64_t max_age_ms_;
};

// Slack (interactivity requests): "v0=" + hex HMAC-SHA256 of "v0:" + X-Slack-Request-Timestamp
// + ":" + the raw body, keyed with the app's signing secret, in X-Slack-Signature. Timestamps
// more than max_age (Slack says 5 minutes) from now, and signatures already used, are refused.
class SlackSignature final : public SignatureVerifier {
public:
    SlackSignature(std::string signing_secret, std::int64_t max_age_ms)
        : secret_(std::move(signing_secret)), max_age_ms_(max_age_ms) {}
    std::optional<monitor::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    std::string secret_;
    std::int64_t max_age_ms_;
};

// Amazon SNS (SES notifications): SignatureVersion 1 (SHA1withRSA) or 2 (SHA256withRSA) over
// SNS's canonical "name\nvalue\n" string, verified with the certificate at SigningCertURL.
// The certificate URL is parsed (at most monitor::kMaxUrlBytes) and fetched only from the
// `cert_origins` (by default Amazon SNS's own hosts over HTTPS), in the background: a message
// whose certificate is not cached yet is refused with the retryable reason "key_pending" (SNS
// retries), a certificate that failed is not fetched again for a minute. Stale Timestamps and
// reused MessageIds are refused.
class SnsSignature final : public SignatureVerifier {
public:
    // Throws std::invalid_argument when an origin does not parse.
    SnsSignature(const std::vector<std::string>& cert_origins, std::int64_t max_age_ms);
    ~SnsSignature() override;
    std::optional<monitor::Error> verify(const HttpRequest& req,
                                         std::int64_t now_ms) const override;

private:
    struct Certs;
    std::shared_ptr<Certs> certs_;
    std::int64_t max_age_ms_;
};

// The Amazon SNS origins certificates and subscription URLs must come from by default.
struct SnsSignatureDefaults {
    static std::vector<std::string> origins() { return monitor::SourceConfig{}.cert_origins; }
};

// Confirms an SNS subscription by visiting its SubscribeURL (parsed, then allowed only on one
// of `origins`), with a 5-second deadline.
std::optional<monitor::Error> confirm_subscription(const std::string& url,
                                                   const std::vector<std::string>& origins);

// Whether a request to one source (or to the API) may proceed: a valid vendor signature, or
// the configured bearer token, or, with neither configured, a loopback client.
class SourceGuard final {
public:
    SourceGuard(std::string source, std::string token, std::unique_ptr<SignatureVerifier> verifier)
        : source_(std::move(source)), token_(std::move(token)), verifier_(std::move(verifier)) {}

    // nullopt: allowed. Otherwise the reason (unauthorized, bad_signature, stale_timestamp,
    // replayed) and a message for the sender.
    std::optional<monitor::Error> check(const HttpRequest& req, std::int64_t now_ms) const;
    bool open_to_loopback() const { return token_.empty() && !verifier_; }

private:
    std::string source_;
    std::string token_;
    std::unique_ptr<SignatureVerifier> verifier_;
};

bool is_loopback(std::string_view address);

// A 415 unless the request's Content-Type is application/json. A page of another origin can
// send a form or text/plain without asking, but not JSON (the browser asks first, with a CORS
// preflight terrain never approves), so routes that change state for a person take only JSON.
std::optional<HttpResponse> require_json(const HttpRequest& req);

// The 401 answer to a refused request: {"error": reason, "message": ...} and
// WWW-Authenticate: Bearer; for "key_pending" (a signing key or certificate being fetched in
// the background) 503 with Retry-After, which the vendors retry.
HttpResponse unauthorized(const monitor::Error& e);

}  // namespace terrain::webhooks
