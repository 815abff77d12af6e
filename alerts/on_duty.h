#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "alerts/alert.h"
#include "alerts/weekly_window.h"
#include "core/config.h"

namespace terrain::alerts {

// Who is on duty for which alerts: the configured shifts (OnDutyConfig) with their time zones
// loaded. Immutable; any thread may read it.
class DutyRoster final {
public:
    // Throws std::runtime_error when a shift's time zone cannot be loaded.
    explicit DutyRoster(const std::vector<core::OnDutyConfig>& shifts = {});

    struct Shift {
        WeeklyWindow window;
        std::vector<std::string> people;
    };
    // The people on duty for `alert` at `now_ms`: those of every shift on then that matches it,
    // each once, in the order configured.
    std::vector<std::string> for_alert(const Alert& alert, std::int64_t now_ms) const;
    const std::vector<Shift>& shifts() const { return shifts_; }

private:
    std::vector<Shift> shifts_;
};

}  // namespace terrain::alerts
