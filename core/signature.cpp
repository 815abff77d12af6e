#include "core/signature.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <array>

#include "core/duration.h"
#include "core/hash.h"

namespace terrain::core {

std::optional<std::string_view> bearer_token(std::string_view authorization) {
    constexpr std::string_view kBearer = "Bearer ";
    if (!authorization.starts_with(kBearer)) {
        return std::nullopt;
    }
    return authorization.substr(kBearer.size());
}

Error refuse(std::string reason, std::string message) {
    return {std::move(reason), std::move(message), -1, ""};
}

namespace {

std::array<unsigned char, SHA256_DIGEST_LENGTH> sha256(std::string_view s) {
    std::array<unsigned char, SHA256_DIGEST_LENGTH> out{};
    SHA256(reinterpret_cast<const unsigned char*>(s.data()), s.size(), out.data());
    return out;
}

}  // namespace

bool secret_equals(std::string_view a, std::string_view b) {
    const auto da = sha256(a);
    const auto db = sha256(b);
    return CRYPTO_memcmp(da.data(), db.data(), da.size()) == 0;
}

std::optional<std::string> base64_decode(std::string_view text) {
    auto value = [](char c) -> int {
        if (c >= 'A' && c <= 'Z') return c - 'A';
        if (c >= 'a' && c <= 'z') return c - 'a' + 26;
        if (c >= '0' && c <= '9') return c - '0' + 52;
        if (c == '+') return 62;
        if (c == '/') return 63;
        return -1;
    };
    while (!text.empty() && text.back() == '=') {
        text.remove_suffix(1);
    }
    std::string out;
    out.reserve(text.size() * 3 / 4);
    std::uint32_t acc = 0;
    int bits = 0;
    for (char c : text) {
        const int v = value(c);
        if (v < 0) {
            return std::nullopt;
        }
        acc = (acc << 6) | static_cast<std::uint32_t>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out.push_back(static_cast<char>((acc >> bits) & 0xff));
        }
    }
    if (bits >= 6) {
        return std::nullopt;  // a lone trailing character cannot be valid base64
    }
    return out;
}

std::string base64_encode(std::string_view bytes) {
    static constexpr char kAlphabet[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((bytes.size() + 2) / 3 * 4);
    std::size_t i = 0;
    for (; i + 2 < bytes.size(); i += 3) {
        const std::uint32_t v = (static_cast<unsigned char>(bytes[i]) << 16) |
                                (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                                static_cast<unsigned char>(bytes[i + 2]);
        for (int shift : {18, 12, 6, 0}) {
            out.push_back(kAlphabet[(v >> shift) & 63]);
        }
    }
    if (i < bytes.size()) {
        std::uint32_t v = static_cast<unsigned char>(bytes[i]) << 16;
        if (i + 1 < bytes.size()) {
            v |= static_cast<unsigned char>(bytes[i + 1]) << 8;
        }
        out.push_back(kAlphabet[(v >> 18) & 63]);
        out.push_back(kAlphabet[(v >> 12) & 63]);
        out.push_back(i + 1 < bytes.size() ? kAlphabet[(v >> 6) & 63] : '=');
        out.push_back('=');
    }
    return out;
}

std::string hmac_sha256(std::string_view key, std::initializer_list<std::string_view> parts) {
    std::string data;
    for (auto p : parts) {
        data.append(p);
    }
    unsigned char out[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &len);
    return std::string(reinterpret_cast<const char*>(out), len);
}

std::string hex(std::string_view bytes) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
        out.push_back(kDigits[c >> 4]);
        out.push_back(kDigits[c & 15]);
    }
    return out;
}

std::optional<Error> check_fresh(std::int64_t signed_ms, std::int64_t now_ms,
                                          std::int64_t max_age_ms) {
    if (signed_ms < now_ms - max_age_ms || signed_ms > now_ms + max_age_ms) {
        return refuse("stale_timestamp", "the signed timestamp is more than " +
                                             format_duration_ms(max_age_ms) +
                                             " from terrain's clock");
    }
    return std::nullopt;
}


void ReplayGuard::remember_in(Store* store, std::string scope) {
    std::lock_guard lock(mutex_);
    store_ = store;
    scope_ = std::move(scope);
}

bool ReplayGuard::first_use(const std::string& signature, std::int64_t now_ms,
                            std::int64_t expires_ms) {
    std::lock_guard lock(mutex_);
    if (store_ != nullptr) {
        return store_->first_use(scope_, sha256_hex(signature), now_ms, expires_ms);
    }
    while (!by_expiry_.empty() &&
           (by_expiry_.front().first < now_ms || by_expiry_.size() >= capacity_)) {
        seen_.erase(by_expiry_.front().second);
        by_expiry_.pop_front();
    }
    if (!seen_.insert(signature).second) {
        return false;
    }
    // Expiry times are not monotonic across requests, but close enough: an entry may be kept a
    // little longer than needed, never shorter than the freshness window of the request that
    // expires first.
    by_expiry_.emplace_back(expires_ms, signature);
    return true;
}

}  // namespace terrain::core
