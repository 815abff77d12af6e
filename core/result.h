#pragma once

#include <string>
#include <utility>
#include <variant>

namespace terrain::core {

// A problem with input from outside the process. `reason` is a short, bounded token used as a
// metric label ("bad_json", "missing_field"); `message` is what a person reads.
struct Error {
    std::string reason;
    std::string message;
    long index = -1;    // which event of a batch, when it is about one event
    std::string field;  // which field, when it is about one field
};

// Either a value or an Error; the data path returns this instead of throwing (g++ 12 has no
// std::expected).
template <typename T>
class [[nodiscard]] Result final {
public:
    Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
    Result(Error error) : v_(std::move(error)) {}  // NOLINT(google-explicit-constructor)

    bool ok() const { return v_.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(v_); }
    T&& value() && { return std::get<0>(std::move(v_)); }
    const T& value() const& { return std::get<0>(v_); }
    const Error& error() const { return std::get<1>(v_); }

private:
    std::variant<T, Error> v_;
};

}  // namespace terrain::core
