#include "alerts/on_duty.h"

#include <algorithm>

namespace terrain::alerts {

DutyRoster::DutyRoster(const std::vector<core::OnDutyConfig>& shifts) {
    for (const auto& s : shifts) {
        shifts_.push_back({WeeklyWindow(s.shift), s.people});
    }
}

std::vector<std::string> DutyRoster::for_alert(const Alert& alert, std::int64_t now_ms) const {
    std::vector<std::string> people;
    for (const auto& s : shifts_) {
        if (!s.window.active(now_ms) || !route_matches(s.window.config().match, alert)) {
            continue;
        }
        for (const auto& p : s.people) {
            if (std::find(people.begin(), people.end(), p) == people.end()) {
                people.push_back(p);
            }
        }
    }
    return people;
}

}  // namespace terrain::alerts
