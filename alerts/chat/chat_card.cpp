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
    if (a.feedback == "confirmed") {
        add("Confirmed: a real problem");
    }
    for (const auto& o : a.overrides) {
        std::string state = o.state;
        std::replace(state.begin(), state.end(), '_', ' ');
        if (o.state == "done" && o.detail.rfind("dry run", 0) == 0) {
            state = "dry run, nothing sent";  // never "done" when the MAP was not called
        }
        if (o.state == "awaiting_approval") {
            add(o.label + ": waiting for a second person to approve (asked by " + o.by + ")");
            continue;
        }
        add(o.label + ": " + state + " (" + o.by + ")");
    }
    return line;
}

std::string card_on_duty_line(const alerts::Alert& alert,
                              const alerts::Policy& policy,
                              std::string_view platform,
                              const std::function<std::string(const core::PersonConfig&,
                                                              const std::string& id)>& mention) {
    // A card names at most this many; the inbox lists them all.
    constexpr std::size_t kNamed = 20;
    std::string line;
    const auto people = policy.identities(alert.on_duty, platform);
    for (std::size_t i = 0; i < people.size() && i < kNamed; ++i) {
        const auto& [person, id] = people[i];
        line += (line.empty() ? "On duty: " : ", ") +
                (id.empty() ? person->name : mention(*person, id));
    }
    if (people.size() > kNamed) {
        line += " and " + std::to_string(people.size() - kNamed) + " more";
    }
    return line;
}

std::string card_link(const alerts::Alert& alert, const alerts::Policy& policy) {
    const std::string& base = policy.interact().public_url;
    return base.empty() ? "" : base + "/inbox#alert=" + alert.id;
}

std::vector<std::string> card_choices(const core::ActionConfig& action,
                                      const alerts::Policy& policy) {
    if (action.name == "snooze") {
        return policy.interact().snooze_times;
    }
    if (action.name == "not_a_problem") {
        return policy.interact().not_a_problem_reasons;
    }
    return {};
}

std::vector<std::pair<std::string, std::string>> card_facts(const alerts::Alert& a) {
    using alerts::percent_text;
    // Each figure named for what it is: what it fired on (kept as it was) and what it is now;
    // the detector's expectation, or for a threshold the configured limit (never "usually").
    if (a.pair) {
        const auto& p = *a.pair;
        auto map_figure = [&](double v) {
            return p.claim_is_ratio ? percent_text(v) : alerts::count_text(v);
        };
        return {{"Customers: " + p.customer_says,
                 "fired on " + percent_text(a.fired.observed) + ", now " +
                     percent_text(a.observed) + " (expected " + percent_text(a.expected) + ")"},
                {"MAP: " + p.map_says,
                 map_figure(a.claim) + " (expected " + map_figure(a.claim_expected) + ")"}};
    }
    const bool ratio = a.denominator > 0;
    return {{"Fired on", alerts::plain_value(a.fired.observed, ratio)},
            {"Now", alerts::plain_value(a.observed, ratio)},
            {a.detector_type == "threshold" ? "Limit" : "Expected",
             alerts::plain_value(a.expected, ratio)}};
}

}  // namespace terrain::alerts
