#include "alerts/weekly_window.h"

#include <algorithm>

namespace terrain::alerts {

namespace {

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    return a / b - (a % b < 0 ? 1 : 0);
}

std::string clock_text(int minute) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "%02d:%02d", minute / 60, minute % 60);
    return buf;
}

}  // namespace

WeeklyWindow::WeeklyWindow(core::WeeklyWindowConfig config)
    : config_(std::move(config)), zone_(core::TimeZone::load(config_.time_zone)) {}

bool WeeklyWindow::starts_on(std::int64_t local_day) const {
    const int weekday = static_cast<int>(((local_day % 7) + 7 + 4) % 7);  // 1970-01-01: Thursday
    return std::find(config_.days.begin(), config_.days.end(), weekday) != config_.days.end();
}

bool WeeklyWindow::active(std::int64_t now_ms) const {
    const std::int64_t local_s = zone_.local(floor_div(now_ms, 1000));
    const std::int64_t day = floor_div(local_s, 86400);
    const int minute = static_cast<int>((local_s - day * 86400) / 60);
    const int from = config_.from_minute;
    const int to = config_.to_minute;
    if (from < to) {
        return starts_on(day) && minute >= from && minute < to;
    }
    // Past midnight: from `from` on a listed day to `to` on the next.
    return (starts_on(day) && minute >= from) || (starts_on(day - 1) && minute < to);
}

std::string WeeklyWindow::describe() const {
    return "'" + config_.name + "' (" + schedule() + ")";
}

std::string WeeklyWindow::schedule() const {
    static const char* kNames[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    std::string days;
    if (config_.days.size() == 7) {
        days = "every day";
    } else if (config_.days == std::vector<int>{1, 2, 3, 4, 5}) {
        days = "weekdays";
    } else if (config_.days == std::vector<int>{0, 6}) {
        days = "weekends";
    } else {
        for (int d : config_.days) {
            days += (days.empty() ? "" : ",") + std::string(kNames[d]);
        }
    }
    return days + " " + clock_text(config_.from_minute) + "-" + clock_text(config_.to_minute) +
           " " + config_.time_zone;
}

}  // namespace terrain::alerts
