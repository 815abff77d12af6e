#pragma once

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

// Little helpers for terrain's own binary formats (event log records, checkpoints): fixed-width
// integers in host byte order and length-prefixed strings. Written and read on the same machine.
namespace terrain::core::binary {

inline void put_u32(std::string& out, std::uint32_t v) {
    out.append(reinterpret_cast<const char*>(&v), 4);
}
inline void put_u64(std::string& out, std::uint64_t v) {
    out.append(reinterpret_cast<const char*>(&v), 8);
}
inline void put_i64(std::string& out, std::int64_t v) { put_u64(out, static_cast<std::uint64_t>(v)); }
inline void put_f64(std::string& out, double v) { out.append(reinterpret_cast<const char*>(&v), 8); }
inline void put_str(std::string& out, std::string_view s) {
    put_u32(out, static_cast<std::uint32_t>(s.size()));
    out.append(s);
}

// Reads what the put_ functions wrote; every read returns false (and reads nothing) past the end.
class Reader final {
public:
    explicit Reader(std::string_view data) : data_(data) {}
    bool u8(std::uint8_t& v) { return raw(&v, 1); }
    bool u32(std::uint32_t& v) { return raw(&v, 4); }
    bool u64(std::uint64_t& v) { return raw(&v, 8); }
    bool i64(std::int64_t& v) { return raw(&v, 8); }
    bool f64(double& v) { return raw(&v, 8); }
    bool str(std::string& s) {
        std::uint32_t n = 0;
        if (!u32(n) || n > data_.size() - pos_) {
            return false;
        }
        s.assign(data_.substr(pos_, n));
        pos_ += n;
        return true;
    }
    // A count of items of at least `min_bytes` each that the rest of the data can hold.
    bool count(std::uint32_t& n, std::size_t min_bytes) {
        return u32(n) && n <= (data_.size() - pos_) / (min_bytes == 0 ? 1 : min_bytes);
    }
    bool done() const { return pos_ == data_.size(); }

private:
    bool raw(void* out, std::size_t n) {
        if (n > data_.size() - pos_) {
            return false;
        }
        std::memcpy(out, data_.data() + pos_, n);
        pos_ += n;
        return true;
    }
    std::string_view data_;
    std::size_t pos_ = 0;
};

}  // namespace terrain::core::binary
