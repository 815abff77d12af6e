#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/alert.h"
#include "alerts/policy.h"

namespace terrain::alerts {

// Text shared by the chat cards (Slack, Mattermost): the state line ("Acknowledged by Ana ·
// Pause campaign: done") and the two sides' numbers for pairs (or observed against expected).
std::string card_state_line(const alerts::Alert& alert);
std::vector<std::pair<std::string, std::string>> card_facts(const alerts::Alert& alert);
// What a button asks for before it acts: snooze, how long; "not a problem", why (the
// configured reasons); none for other actions.
// "On duty: " and the alert's people on duty, each as `mention` writes a person with their
// identity on `platform` (their name when they have none there); "" when nobody is.
std::string card_on_duty_line(
    const alerts::Alert& alert,
    const alerts::Policy& policy,
    std::string_view platform,
    const std::function<std::string(const core::PersonConfig&, const std::string& id)>& mention);
std::vector<std::string> card_choices(const core::ActionConfig& action,
                                      const alerts::Policy& policy);

}  // namespace terrain::alerts
