#include "core/hash.h"

#include <openssl/sha.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <random>
#include <stdexcept>

namespace terrain::core {

std::string sha256_hex(std::string_view data) {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string out;
    out.reserve(2 * SHA256_DIGEST_LENGTH);
    for (unsigned char b : digest) {
        out += kDigits[b >> 4];
        out += kDigits[b & 0xf];
    }
    return out;
}


namespace {

inline std::uint64_t rotl(std::uint64_t x, int b) { return (x << b) | (x >> (64 - b)); }

inline void sipround(std::uint64_t& v0, std::uint64_t& v1, std::uint64_t& v2, std::uint64_t& v3) {
    v0 += v1;
    v1 = rotl(v1, 13);
    v1 ^= v0;
    v0 = rotl(v0, 32);
    v2 += v3;
    v3 = rotl(v3, 16);
    v3 ^= v2;
    v0 += v3;
    v3 = rotl(v3, 21);
    v3 ^= v0;
    v2 += v1;
    v1 = rotl(v1, 17);
    v1 ^= v2;
    v2 = rotl(v2, 32);
}

inline std::uint64_t load_le64(const std::uint8_t* p) {
    std::uint64_t v = 0;
    std::memcpy(&v, p, 8);
    return v;  // x86_64 and aarch64 are little-endian
}

}  // namespace

namespace {

template <bool kWide>
std::array<std::uint64_t, 2> siphash(const HashKey& key, std::string_view data) {
    const std::uint64_t k0 = load_le64(key.data());
    const std::uint64_t k1 = load_le64(key.data() + 8);
    std::uint64_t v0 = 0x736f6d6570736575ULL ^ k0;
    std::uint64_t v1 = 0x646f72616e646f6dULL ^ k1;
    std::uint64_t v2 = 0x6c7967656e657261ULL ^ k0;
    std::uint64_t v3 = 0x7465646279746573ULL ^ k1;
    if (kWide) {
        v1 ^= 0xee;
    }
    const auto* in = reinterpret_cast<const std::uint8_t*>(data.data());
    const std::size_t len = data.size();
    const std::size_t full = len & ~std::size_t{7};
    for (std::size_t i = 0; i < full; i += 8) {
        std::uint64_t m = load_le64(in + i);
        v3 ^= m;
        sipround(v0, v1, v2, v3);
        sipround(v0, v1, v2, v3);
        v0 ^= m;
    }
    std::uint64_t b = static_cast<std::uint64_t>(len) << 56;
    for (std::size_t i = 0; i < (len & 7); ++i) {
        b |= static_cast<std::uint64_t>(in[full + i]) << (8 * i);
    }
    v3 ^= b;
    sipround(v0, v1, v2, v3);
    sipround(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= kWide ? 0xee : 0xff;
    for (int i = 0; i < 4; ++i) {
        sipround(v0, v1, v2, v3);
    }
    const std::uint64_t first = v0 ^ v1 ^ v2 ^ v3;
    if (!kWide) {
        return {first, 0};
    }
    v1 ^= 0xdd;
    for (int i = 0; i < 4; ++i) {
        sipround(v0, v1, v2, v3);
    }
    return {first, v0 ^ v1 ^ v2 ^ v3};
}

}  // namespace

std::uint64_t siphash24(const HashKey& key, std::string_view data) {
    return siphash<false>(key, data)[0];
}

std::array<std::uint64_t, 2> siphash24_128(const HashKey& key, std::string_view data) {
    return siphash<true>(key, data);
}

SubjectHasher::SubjectHasher(const HashKey& key) : key_(key) {}

std::string SubjectHasher::hash(std::string_view identifier) const {
    while (!identifier.empty() && (identifier.front() == ' ' || identifier.front() == '\t')) {
        identifier.remove_prefix(1);
    }
    while (!identifier.empty() && (identifier.back() == ' ' || identifier.back() == '\t')) {
        identifier.remove_suffix(1);
    }
    char lower[320];
    std::string owned;
    std::string_view normalised;
    if (identifier.size() <= sizeof lower) {
        for (std::size_t i = 0; i < identifier.size(); ++i) {
            char c = identifier[i];
            lower[i] = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        normalised = std::string_view(lower, identifier.size());
    } else {
        owned.assign(identifier);
        for (auto& c : owned) {
            c = (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
        }
        normalised = owned;
    }
    static constexpr char kHex[] = "0123456789abcdef";
    std::string out(32, '0');
    const auto parts = siphash24_128(key_, normalised);
    for (int p = 0; p < 2; ++p) {
        for (int i = 0; i < 16; ++i) {
            out[static_cast<std::size_t>(p * 16 + i)] =
                kHex[(parts[static_cast<std::size_t>(p)] >> (60 - 4 * i)) & 0xf];
        }
    }
    return out;
}

HashKey load_or_create_key(const std::string& path) {
    HashKey key{};
    std::ifstream in(path, std::ios::binary);
    if (in) {
        in.read(reinterpret_cast<char*>(key.data()), key.size());
        if (in.gcount() != static_cast<std::streamsize>(key.size())) {
            throw std::runtime_error(path + ": key file is shorter than 16 bytes");
        }
        return key;
    }
    std::random_device rd;
    for (auto& byte : key) {
        byte = static_cast<std::uint8_t>(rd());
    }
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        throw std::runtime_error(path + ": cannot create key file: " + std::strerror(errno));
    }
    bool written = ::write(fd, key.data(), key.size()) == static_cast<ssize_t>(key.size());
    ::fsync(fd);
    ::close(fd);
    if (!written) {
        throw std::runtime_error(path + ": cannot write key file");
    }
    return key;
}

}  // namespace terrain::core
