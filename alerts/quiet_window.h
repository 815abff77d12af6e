#pragma once

#include <cstdint>
#include <string>

#include "monitor/config.h"
#include "monitor/time_zone.h"

namespace terrain::alerts {

// A configured quiet window with its time zone loaded (see QuietWindowConfig).
class QuietWindow final {
public:
    // Throws std::runtime_error when the time zone cannot be loaded.
    explicit QuietWindow(monitor::QuietWindowConfig config);

    bool active(std::int64_t now_ms) const;
    const monitor::QuietWindowConfig& config() const { return config_; }
    // "quiet window 'nights' (weekdays 20:00-08:00 Europe/Berlin)"
    std::string describe() const;

private:
    bool starts_on(std::int64_t local_day) const;

    monitor::QuietWindowConfig config_;
    monitor::TimeZone zone_;
};

}  // namespace terrain::alerts
