#pragma once

#include <string>
#include <utility>
#include <vector>

#include "alerts/alert.h"

namespace terrain::webhooks {

// Text shared by the chat cards (Slack, Mattermost): the state line ("Acknowledged by Ana ·
// Pause campaign: done") and the two sides' numbers for pairs (or observed against expected).
std::string card_state_line(const alerts::Alert& alert);
std::vector<std::pair<std::string, std::string>> card_facts(const alerts::Alert& alert);

}  // namespace terrain::webhooks
