#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace terrain::core {

// A time zone of the IANA database, read from the system's compiled files
// (/usr/share/zoneinfo/<name>, or $TZDIR/<name>; RFC 8536 TZif, version 2 or later): its
// transitions, and beyond the last one the POSIX TZ rule of the file's footer. Immutable, so
// thread-safe.
class TimeZone final {
public:
    // Throws std::runtime_error naming the problem ("Europe/Berln is not a time zone in
    // /usr/share/zoneinfo").
    static TimeZone load(const std::string& name);
    // From a POSIX TZ string alone ("CET-1CEST,M3.5.0,M10.5.0/3"); throws std::invalid_argument.
    static TimeZone posix(const std::string& rule);

    const std::string& name() const { return name_; }
    // Seconds east of UTC in effect at the UTC instant `utc_s` (UNIX seconds).
    std::int64_t offset_at(std::int64_t utc_s) const;
    // The local wall-clock time at `utc_s`, as seconds since 1970-01-01 00:00 local.
    std::int64_t local(std::int64_t utc_s) const { return utc_s + offset_at(utc_s); }

    // A POSIX TZ rule: standard offset, and optionally daylight time between two dates.
    struct Rule {
        struct Date {
            char kind = 'M';  // 'M' month.week.day, 'J' Julian day 1-365, 'D' day 0-365
            int month = 0, week = 0, day = 0;
            std::int64_t time_s = 7200;  // local time of the change, may be negative or > 24h
        };
        std::int64_t std_offset_s = 0;  // seconds east of UTC
        bool has_dst = false;
        std::int64_t dst_offset_s = 0;
        Date start, end;
    };

private:
    std::int64_t rule_offset(std::int64_t utc_s) const;

    std::string name_;
    std::vector<std::int64_t> transitions_;    // UTC seconds, ascending
    std::vector<std::uint8_t> transition_type_;
    std::vector<std::int64_t> type_offset_;    // seconds east of UTC, per local time type
    bool has_rule_ = false;
    Rule rule_;
};

}  // namespace terrain::core
