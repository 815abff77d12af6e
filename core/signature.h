#pragma once

#include <cstdint>
#include <deque>
#include <initializer_list>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>

#include "core/http.h"
#include "core/result.h"
#include "core/store.h"

namespace terrain::core {

// The primitives every signed or token-bearing request is checked with: constant-time secret
// comparison, base64, HMAC, freshness and a memory of used signatures. Each vendor's scheme
// lives with the vendor (webhooks/sources/<vendor>/, alerts/<platform>/).

// Equality of two secrets in time that does not depend on where they differ (both are hashed
// with SHA-256 and the digests compared with CRYPTO_memcmp), so a token cannot be guessed
// byte by byte.
bool secret_equals(std::string_view a, std::string_view b);

// The token of an "Authorization: Bearer <token>" value; nullopt without the Bearer scheme.
std::optional<std::string_view> bearer_token(std::string_view authorization);

// A refused request's error: a reason (unauthorized, bad_signature, ...) and what to tell.
Error refuse(std::string reason, std::string message);

// Standard base64 (RFC 4648, padding optional); nullopt on any other character.
std::optional<std::string> base64_decode(std::string_view text);
std::string base64_encode(std::string_view bytes);

// HMAC-SHA256 of the concatenated parts, as raw bytes.
std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts);
std::string hex(std::string_view bytes);

// A refusal unless a signed time is within max_age of terrain's clock, either way.
std::optional<Error> check_fresh(std::int64_t signed_ms, std::int64_t now_ms,
                                 std::int64_t max_age_ms);

// Remembers recently seen signatures until they expire, so a captured request cannot be sent
// again while its timestamp is still fresh. In memory it is bounded: beyond `capacity` the
// oldest are forgotten (they are then refused as stale anyway once max_age passes). Given a
// store (remember_in), it remembers there instead, under a scope, so the memory outlives a
// restart: a request captured before a crash is still refused after it. Thread-safe.
class ReplayGuard final {
public:
    explicit ReplayGuard(std::size_t capacity = 100'000) : capacity_(capacity) {}
    void remember_in(Store* store, std::string scope);
    // True the first time `signature` is seen (and remembers it until expires_ms).
    bool first_use(const std::string& signature, std::int64_t now_ms, std::int64_t expires_ms);

private:
    std::size_t capacity_;
    std::mutex mutex_;
    std::unordered_set<std::string> seen_;
    std::deque<std::pair<std::int64_t, std::string>> by_expiry_;
    Store* store_ = nullptr;
    std::string scope_;
};

// A vendor's request signature scheme. verify() is given the raw request.
class SignatureVerifier {
public:
    virtual ~SignatureVerifier() = default;
    virtual std::optional<Error> verify(const HttpRequest& req,
                                                 std::int64_t now_ms) const = 0;
    // Keeps the memory of used signatures in the store (see ReplayGuard).
    void remember_in(Store* store, std::string scope) {
        replays_.remember_in(store, std::move(scope));
    }

protected:
    mutable ReplayGuard replays_;
};

}  // namespace terrain::core
