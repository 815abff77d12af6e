#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace terrain::core {

// Parses "500ms", "30s", "5m", "1h", "1d", "1w" (and sums such as "1h30m") into milliseconds.
std::optional<std::int64_t> parse_duration_ms(std::string_view text);
std::string format_duration_ms(std::int64_t ms);
// The start of the `step`-long slot that holds `t` (rounding down, also before 1970).
constexpr std::int64_t floor_to(std::int64_t t, std::int64_t step) {
    return (t / step - (t % step < 0 ? 1 : 0)) * step;
}

// Parses RFC 3339 / ISO 8601 UTC times ("2026-11-23T10:00:00Z", with optional fraction and
// offset) into milliseconds since the epoch.
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text);
std::string format_rfc3339_ms(std::int64_t ms);

}  // namespace terrain::core
