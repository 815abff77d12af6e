#include "alerts/chat/chat_card.h"

#include <algorithm>

#include "core/duration.h"

namespace terrain::alerts {

std::string card_state_line(const alerts::Alert& a) {
    std::string line;
    auto add = [&](const std::string& part) { line += (line.empty() ? "" : " · ") + part; };
    if (a.state == alerts::AlertState::kResolved) {
        add("Resolved (" + a.resolved_by + ")");
    } else {
        add("Firing since " + core::format_rfc3339_ms(a.since_ms));
    }
    if (a.acknowledged_at_ms != 0) {
        add("Acknowledged by " + a.acknowledged_by);
    }
    if (a.snoozed_until_ms != 0) {
        add("Snoozed until " + core::format_rfc3339_ms(a.snoozed_until_ms));
    }
    if (a.escalated_at_ms != 0) {
        add("Escalated");
    }
    if (a.feedback == "not_a_problem") {
        add("Not a problem: " + a.feedback_reason);
    }
    for (const auto& o : a.overrides) {
        std::string state = o.state;
        std::replace(state.begin(), state.end(), '_', ' ');
        add(o.label + ": " + state + " (" + o.by + ")");
    }
    return line;
}

std::string card_on_duty_line(const alerts::Alert& alert,
                              const alerts::Policy& policy,
                              std::string_view platform,
                              const std::function<std::string(const core::PersonConfig&,
                                                              const std::string& id)>& mention) {
    std::string line;
    for (const auto& [person, id] : policy.identities(alert.on_duty, platform)) {
        line += (line.empty() ? "On duty: " : ", ") +
                (id.empty() ? person->name : mention(*person, id));
    }
    return line;
}

std::vector<std::string> card_choices(const core::ActionConfig& action,
                                      const alerts::Policy& policy) {
    if (action.name == "snooze") {
        return {"1h", "4h", "1d"};
    }
    if (action.name == "not_a_problem") {
        return policy.interact().not_a_problem_reasons;
    }
    return {};
}

std::vector<std::pair<std::string, std::string>> card_facts(const alerts::Alert& a) {
    using alerts::percent_text;
    if (a.pair) {
        const auto& p = *a.pair;
        auto map_figure = [&](double v) {
            return p.claim_is_ratio ? percent_text(v) : alerts::count_text(v);
        };
        return {{"Customers: " + p.customer_says,
                 percent_text(a.observed) + " (usually " + percent_text(a.expected) + ")"},
                {"MAP: " + p.map_says,
                 map_figure(a.claim) + " (usually " + map_figure(a.claim_expected) + ")"}};
    }
    const bool ratio = a.denominator > 0;
    return {{"Now", alerts::plain_value(a.observed, ratio)},
            {"Usually", alerts::plain_value(a.expected, ratio)}};
}

}  // namespace terrain::alerts
