#pragma once

#include <cstdint>
#include <string>

#include "core/config.h"
#include "core/time_zone.h"

namespace terrain::alerts {

// A configured weekly window (a quiet window, an on-duty shift) with its time zone loaded.
class WeeklyWindow final {
public:
    // Throws std::runtime_error when the time zone cannot be loaded.
    explicit WeeklyWindow(core::WeeklyWindowConfig config);

    bool active(std::int64_t now_ms) const;
    const core::WeeklyWindowConfig& config() const { return config_; }
    // "'nights' (weekdays 20:00-08:00 Europe/Berlin)"
    std::string describe() const;
    // "weekdays 20:00-08:00 Europe/Berlin"
    std::string schedule() const;

private:
    bool starts_on(std::int64_t local_day) const;

    core::WeeklyWindowConfig config_;
    core::TimeZone zone_;
};

}  // namespace terrain::alerts
