#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace terrain::core {

using HashKey = std::array<std::uint8_t, 16>;

// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed 64-bit PRF, fast on short inputs.
std::uint64_t siphash24(const HashKey& key, std::string_view data);
// The 128-bit output variant of SipHash-2-4 (same paper, reference implementation's
// outlen = 16), as two 64-bit halves.
std::array<std::uint64_t, 2> siphash24_128(const HashKey& key, std::string_view data);

// SHA-256 of `data` as 64 lower-case hex characters (audit chain, idempotency keys).
std::string sha256_hex(std::string_view data);

// Turns customer identifiers (email addresses, phone numbers) into stable pseudonyms. The key
// is secret, so the pseudonym cannot be reversed by hashing a list of known addresses.
// Thread-safe after construction.
class SubjectHasher final {
public:
    explicit SubjectHasher(const HashKey& key);
    // 32 hex characters; input is trimmed and lower-cased first so that
    // "Jane@Example.com " and "jane@example.com" map to the same subject.
    std::string hash(std::string_view identifier) const;

private:
    HashKey key_;
};

// Reads the 16-byte key from `path`, creating it from /dev/urandom (mode 0600) on first use.
HashKey load_or_create_key(const std::string& path);

}  // namespace terrain::core
