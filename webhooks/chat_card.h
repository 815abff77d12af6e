#pragma once

#include <string>
#include <utility>
#include <vector>

#include "alerts/alert.h"
#include "alerts/policy.h"

namespace terrain::webhooks {

// Text shared by the chat cards (Slack, Mattermost): the state line ("Acknowledged by Ana ·
// Pause campaign: done") and the two sides' numbers for pairs (or observed against expected).
std::string card_state_line(const alerts::Alert& alert);
std::vector<std::pair<std::string, std::string>> card_facts(const alerts::Alert& alert);
// What a button asks for before it acts: snooze, how long; "not a problem", why (the
// configured reasons); none for other actions.
std::vector<std::string> card_choices(const monitor::ActionConfig& action,
                                      const alerts::Policy& policy);

}  // namespace terrain::webhooks
