#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "alerts/alert.h"
#include "alerts/policy.h"

namespace terrain::alerts {

// Text shared by the cards (Slack, Teams, Mattermost, the inbox): the state line ("Acknowledged
// by Ana · Pause campaign: done") and the figures, each named for what it is: what the alert
// fired on and what it is now, against the detector's expectation or a threshold's limit (for
// pairs, both sides).
std::string card_state_line(const alerts::Alert& alert);
// The state line after its first part (since when, or resolved): what people did.
std::vector<std::string> card_state_parts(const alerts::Alert& alert);
std::vector<std::pair<std::string, std::string>> card_facts(const alerts::Alert& alert);
// What a button asks for before it acts: snooze, how long; "not a problem", why (the
// configured reasons); none for other actions.
// "On duty: " and the alert's people on duty, each as `mention` writes a person with their
// identity on `platform` (their name when they have none there), the first 20 of them and
// how many more; "" when nobody is.
std::string card_on_duty_line(
    const alerts::Alert& alert,
    const alerts::Policy& policy,
    std::string_view platform,
    const std::function<std::string(const core::PersonConfig&, const std::string& id)>& mention);
// Where the whole alert is, one click away from a card whose text was cut: the inbox at
// interact.public_url, on this alert ("" when no public URL is configured).
std::string card_link(const alerts::Alert& alert, const alerts::Policy& policy);
// The customer signals behind an alert, as a card lists them ("ticket created 4521 · zendesk ·
// 2026-11-23 10:42 UTC"), each with its link where interact.signal_links has one for its
// source (the id percent-encoded into {id}); newest first.
struct CardSignal {
    std::string text;
    std::string url;  // "" without a link
};
std::vector<CardSignal> card_signals(const alerts::Alert& alert, const alerts::Policy& policy);
// The series' latest windows as a text sparkline with its range ("▁▁▂▁▇█ 0.10% to 0.92%"),
// for chat, where the inbox draws the chart; "" with fewer than two points.
std::string card_sparkline(const alerts::Alert& alert);
std::vector<std::string> card_choices(const core::ActionConfig& action,
                                      const alerts::Policy& policy);

}  // namespace terrain::alerts
