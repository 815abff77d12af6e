#include "core/duration.h"

#include <charconv>
#include <cstdio>
#include <ctime>

namespace terrain::core {

std::optional<std::int64_t> parse_duration_ms(std::string_view text) {
    if (text.empty()) {
        return std::nullopt;
    }
    std::int64_t total = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        std::int64_t n = 0;
        auto [end, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
        if (ec != std::errc() || end == text.data() + i || n < 0) {
            return std::nullopt;
        }
        i = static_cast<std::size_t>(end - text.data());
        std::size_t unit_start = i;
        while (i < text.size() && text[i] >= 'a' && text[i] <= 'z') {
            ++i;
        }
        std::string_view unit = text.substr(unit_start, i - unit_start);
        std::int64_t scale = 0;
        if (unit == "ms") {
            scale = 1;
        } else if (unit == "s") {
            scale = 1000;
        } else if (unit == "m") {
            scale = 60'000;
        } else if (unit == "h") {
            scale = 3'600'000;
        } else if (unit == "d") {
            scale = 86'400'000;
        } else if (unit == "w") {
            scale = 7 * 86'400'000LL;
        } else {
            return std::nullopt;
        }
        total += n * scale;
    }
    return total;
}

std::string format_duration_ms(std::int64_t ms) {
    struct Unit {
        std::int64_t scale;
        const char* name;
    };
    static constexpr Unit kUnits[] = {
        {7 * 86'400'000LL, "w"}, {86'400'000, "d"}, {3'600'000, "h"}, {60'000, "m"}, {1000, "s"}};
    if (ms == 0) {
        return "0s";
    }
    std::string out;
    for (const auto& u : kUnits) {
        if (ms >= u.scale) {
            out += std::to_string(ms / u.scale) + u.name;
            ms %= u.scale;
        }
    }
    if (ms > 0) {
        out += std::to_string(ms) + "ms";
    }
    return out;
}

namespace {

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
    y -= m <= 2;
    const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    const auto yoe = static_cast<unsigned>(y - era * 400);
    const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) {
        return false;
    }
    out = 0;
    for (std::size_t i = pos; i < pos + n; ++i) {
        if (s[i] < '0' || s[i] > '9') {
            return false;
        }
        out = out * 10 + (s[i] - '0');
    }
    return true;
}

}  // namespace

std::optional<std::int64_t> parse_rfc3339_ms(std::string_view s) {
    int y = 0;
    int mo = 0;
    int d = 0;
    int h = 0;
    int mi = 0;
    int se = 0;
    if (!digits(s, 0, 4, y) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, mo) ||
        s[7] != '-' || !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, 11, 2, h) || s[13] != ':' || !digits(s, 14, 2, mi) || s[16] != ':' ||
        !digits(s, 17, 2, se)) {
        return std::nullopt;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60) {
        return std::nullopt;
    }
    std::size_t i = 19;
    std::int64_t frac_ms = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        int scale = 100;
        std::size_t start = i;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
            frac_ms += (s[i] - '0') * scale;
            scale /= 10;
            ++i;
        }
        if (i == start) {
            return std::nullopt;
        }
    }
    std::int64_t offset_min = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        int oh = 0;
        int om = 0;
        if (!digits(s, i + 1, 2, oh) || i + 3 >= s.size() || s[i + 3] != ':' ||
            !digits(s, i + 4, 2, om)) {
            return std::nullopt;
        }
        offset_min = (oh * 60 + om) * (s[i] == '+' ? 1 : -1);
        i += 6;
    } else {
        return std::nullopt;
    }
    if (i != s.size()) {
        return std::nullopt;
    }
    std::int64_t days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    std::int64_t secs = days * 86400 + h * 3600 + mi * 60 + se - offset_min * 60;
    return secs * 1000 + frac_ms;
}

std::string format_rfc3339_ms(std::int64_t ms) {
    std::time_t secs = static_cast<std::time_t>(ms / 1000 - (ms % 1000 < 0 ? 1 : 0));
    std::tm tm{};
    gmtime_r(&secs, &tm);
    char buf[40];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(((ms % 1000) + 1000) % 1000));
    return buf;
}

}  // namespace terrain::core
