#include "core/time_zone.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace terrain::core {

namespace {

std::int64_t be(const unsigned char* p, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i) {
        v = (v << 8) | p[i];
    }
    if (bytes == 4) {
        return static_cast<std::int32_t>(static_cast<std::uint32_t>(v));
    }
    return static_cast<std::int64_t>(v);
}

// Reads a POSIX TZ string (IEEE Std 1003.1 section 8.3, with RFC 8536's extensions: hours of a
// change time from -167 to 167).
class RuleParser {
public:
    explicit RuleParser(const std::string& text) : s_(text) {}

    TimeZone::Rule parse() {
        TimeZone::Rule r;
        name();
        r.std_offset_s = -offset();
        if (done()) {
            return r;
        }
        name();
        r.has_dst = true;
        r.dst_offset_s = r.std_offset_s + 3600;
        if (!done() && peek() != ',') {
            r.dst_offset_s = -offset();
        }
        expect(',');
        r.start = date();
        expect(',');
        r.end = date();
        if (!done()) {
            fail("unexpected '" + s_.substr(i_) + "'");
        }
        return r;
    }

private:
    bool done() const { return i_ >= s_.size(); }
    char peek() const { return done() ? '\0' : s_[i_]; }
    [[noreturn]] void fail(const std::string& why) const {
        throw std::invalid_argument("the POSIX TZ rule '" + s_ + "' cannot be read: " + why);
    }
    void expect(char c) {
        if (peek() != c) {
            fail(std::string("expected '") + c + "' at position " + std::to_string(i_));
        }
        ++i_;
    }
    void name() {
        if (peek() == '<') {
            const auto close = s_.find('>', i_);
            if (close == std::string::npos) {
                fail("a '<' name is not closed");
            }
            i_ = close + 1;
            return;
        }
        const std::size_t from = i_;
        while (!done() && std::isalpha(static_cast<unsigned char>(peek()))) {
            ++i_;
        }
        if (i_ - from < 3) {
            fail("a zone abbreviation needs at least three letters");
        }
    }
    int number(int max) {
        if (!std::isdigit(static_cast<unsigned char>(peek()))) {
            fail("expected a number at position " + std::to_string(i_));
        }
        int v = 0;
        while (std::isdigit(static_cast<unsigned char>(peek()))) {
            v = v * 10 + (s_[i_++] - '0');
            if (v > max) {
                fail("a number above " + std::to_string(max));
            }
        }
        return v;
    }
    // [+-]hh[:mm[:ss]] in seconds.
    std::int64_t offset(int max_hours = 24) {
        int sign = 1;
        if (peek() == '+' || peek() == '-') {
            sign = s_[i_++] == '-' ? -1 : 1;
        }
        std::int64_t v = number(max_hours) * 3600LL;
        if (peek() == ':') {
            ++i_;
            v += number(59) * 60LL;
            if (peek() == ':') {
                ++i_;
                v += number(59);
            }
        }
        return sign * v;
    }
    TimeZone::Rule::Date date() {
        TimeZone::Rule::Date d;
        if (peek() == 'M') {
            ++i_;
            d.kind = 'M';
            d.month = number(12);
            expect('.');
            d.week = number(5);
            expect('.');
            d.day = number(6);
            if (d.month < 1 || d.week < 1) {
                fail("month and week start at 1");
            }
        } else if (peek() == 'J') {
            ++i_;
            d.kind = 'J';
            d.day = number(365);
            if (d.day < 1) {
                fail("a Julian day starts at 1");
            }
        } else {
            d.kind = 'D';
            d.day = number(365);
        }
        if (peek() == '/') {
            ++i_;
            d.time_s = offset(167);
        }
        return d;
    }

    const std::string& s_;
    std::size_t i_ = 0;
};

using std::chrono::days;
using std::chrono::sys_days;

std::int64_t day_number(std::chrono::year_month_day ymd) {
    return sys_days(ymd).time_since_epoch().count();
}

// The day (days since 1970-01-01) a rule's date falls on in `year`.
std::int64_t rule_day(const TimeZone::Rule::Date& d, int year) {
    using namespace std::chrono;
    const std::int64_t jan1 = day_number(std::chrono::year{year} / January / 1);
    if (d.kind == 'J') {
        // 1-365, February 29th never counted.
        const bool leap = std::chrono::year{year}.is_leap();
        return jan1 + d.day - 1 + (leap && d.day >= 60 ? 1 : 0);
    }
    if (d.kind == 'D') {
        return jan1 + d.day;
    }
    const auto first = sys_days(std::chrono::year{year} / month{static_cast<unsigned>(d.month)} / 1);
    const unsigned first_wd = weekday(first).c_encoding();
    std::int64_t day = first.time_since_epoch().count() +
                       (d.day - static_cast<int>(first_wd) + 7) % 7 + (d.week - 1) * 7;
    const auto last = sys_days(std::chrono::year{year} / month{static_cast<unsigned>(d.month)} /
                               std::chrono::last);
    while (day > last.time_since_epoch().count()) {
        day -= 7;  // week 5: the last such weekday of the month
    }
    return day;
}

}  // namespace

TimeZone TimeZone::posix(const std::string& rule) {
    TimeZone z;
    z.name_ = rule;
    z.rule_ = RuleParser(rule).parse();
    z.has_rule_ = true;
    return z;
}

TimeZone TimeZone::load(const std::string& name) {
    const char* tzdir = std::getenv("TZDIR");
    const std::string dir = tzdir != nullptr && *tzdir != '\0' ? tzdir : "/usr/share/zoneinfo";
    if (name.empty() || name.front() == '/' || name.find("..") != std::string::npos) {
        throw std::runtime_error("'" + name + "' is not a time zone name (like Europe/Berlin)");
    }
    std::ifstream in(dir + "/" + name, std::ios::binary);
    if (!in) {
        throw std::runtime_error("'" + name + "' is not a time zone in " + dir +
                                 " (names are like Europe/Berlin or America/New_York; "
                                 "the tzdata package provides them)");
    }
    const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto bad = [&](const std::string& why) {
        return std::runtime_error(dir + "/" + name + " is not a TZif file: " + why);
    };
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const std::size_t size = bytes.size();
    if (size < 44 || bytes.compare(0, 4, "TZif") != 0) {
        throw bad("no TZif header");
    }
    if (bytes[4] < '2') {
        throw bad("version 1 has no 64-bit data");
    }
    auto counts = [&](std::size_t at) {
        std::array<std::int64_t, 6> c{};
        for (int i = 0; i < 6; ++i) {
            c[i] = be(p + at + 20 + 4 * i, 4);
            if (c[i] < 0 || c[i] > 1'000'000) {
                throw bad("implausible counts");
            }
        }
        return c;  // isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt
    };
    auto block = [](const std::array<std::int64_t, 6>& c, int time_size) {
        return c[3] * time_size + c[3] + c[4] * 6 + c[5] + c[2] * (time_size + 4) + c[1] + c[0];
    };
    const auto v1 = counts(0);
    const std::size_t second = 44 + static_cast<std::size_t>(block(v1, 4));
    if (second + 44 > size || bytes.compare(second, 4, "TZif") != 0) {
        throw bad("no second header");
    }
    const auto c = counts(second);
    std::size_t at = second + 44;
    if (at + static_cast<std::size_t>(block(c, 8)) > size || c[4] == 0) {
        throw bad("truncated data");
    }
    TimeZone z;
    z.name_ = name;
    for (std::int64_t i = 0; i < c[3]; ++i, at += 8) {
        z.transitions_.push_back(be(p + at, 8));
    }
    for (std::int64_t i = 0; i < c[3]; ++i, ++at) {
        if (p[at] >= c[4]) {
            throw bad("a transition names a local time type that does not exist");
        }
        z.transition_type_.push_back(p[at]);
    }
    for (std::int64_t i = 0; i < c[4]; ++i, at += 6) {
        z.type_offset_.push_back(be(p + at, 4));
    }
    at += static_cast<std::size_t>(c[5] + c[2] * 12 + c[1] + c[0]);
    if (at < size && bytes[at] == '\n') {
        const auto end = bytes.find('\n', at + 1);
        const std::string footer = bytes.substr(at + 1, end == std::string::npos ? 0 : end - at - 1);
        if (!footer.empty()) {
            try {
                z.rule_ = RuleParser(footer).parse();
                z.has_rule_ = true;
            } catch (const std::invalid_argument& e) {
                throw bad(e.what());
            }
        }
    }
    return z;
}

std::int64_t TimeZone::rule_offset(std::int64_t utc_s) const {
    if (!rule_.has_dst) {
        return rule_.std_offset_s;
    }
    const auto day = std::chrono::floor<days>(std::chrono::sys_seconds{std::chrono::seconds{utc_s}});
    const int year = static_cast<int>(std::chrono::year_month_day(day).year());
    // The start is given in standard time, the end in daylight time.
    const std::int64_t start =
        rule_day(rule_.start, year) * 86400 + rule_.start.time_s - rule_.std_offset_s;
    const std::int64_t end = rule_day(rule_.end, year) * 86400 + rule_.end.time_s - rule_.dst_offset_s;
    const bool dst = start < end ? (utc_s >= start && utc_s < end) : !(utc_s >= end && utc_s < start);
    return dst ? rule_.dst_offset_s : rule_.std_offset_s;
}

std::int64_t TimeZone::offset_at(std::int64_t utc_s) const {
    if (transitions_.empty() || utc_s >= transitions_.back()) {
        if (has_rule_) {
            return rule_offset(utc_s);
        }
        if (transitions_.empty()) {
            return type_offset_.empty() ? 0 : type_offset_.front();
        }
    }
    if (utc_s < transitions_.front()) {
        return type_offset_.front();
    }
    const auto it = std::upper_bound(transitions_.begin(), transitions_.end(), utc_s);
    return type_offset_[transition_type_[static_cast<std::size_t>(it - transitions_.begin() - 1)]];
}

}  // namespace terrain::core
