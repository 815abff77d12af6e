#include "alerts/chat/chat_card.h"

#include <algorithm>
#include <cctype>
#include <cmath>

#include "core/duration.h"

namespace terrain::alerts {

std::vector<std::string> card_state_parts(const alerts::Alert& a) {
    std::vector<std::string> parts;
    if (a.acknowledged_at_ms != 0) {
        parts.push_back("Acknowledged by " + a.acknowledged_by);
    }
    if (a.snoozed_until_ms != 0) {
        parts.push_back("Snoozed until " + core::format_rfc3339_ms(a.snoozed_until_ms));
    }
    if (a.escalated_at_ms != 0) {
        parts.push_back("Escalated");
    }
    if (a.feedback == "not_a_problem") {
        parts.push_back("Not a problem: " + a.feedback_reason);
    }
    if (a.feedback == "confirmed") {
        parts.push_back("Confirmed: a real problem");
    }
    for (const auto& o : a.overrides) {
        std::string state = o.state;
        std::replace(state.begin(), state.end(), '_', ' ');
        if (o.state == "done" && o.detail.rfind("dry run", 0) == 0) {
            state = "dry run, nothing sent";  // never "done" when the MAP was not called
        }
        if (o.state == "awaiting_approval") {
            parts.push_back(o.label + ": waiting for a second person to approve (asked by " +
                            o.by + ")");
            continue;
        }
        parts.push_back(o.label + ": " + state + " (" + o.by + ")");
    }
    return parts;
}

std::string card_state_line(const alerts::Alert& a) {
    std::string line = a.state == alerts::AlertState::kResolved
                           ? "Resolved (" + a.resolved_by + ")"
                           : "Firing since " + core::format_rfc3339_ms(a.since_ms);
    for (const auto& part : card_state_parts(a)) {
        line += " · " + part;
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

namespace {

// A vendor id as it goes into a link: the ticket number of terrain's "ticket:" ids, every byte
// but RFC 3986's unreserved ones percent-encoded (an id cannot end the link or add to it).
std::string link_id(std::string_view id) {
    if (id.rfind("ticket:", 0) == 0) {
        id.remove_prefix(7);
    }
    static const char* kHex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : id) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out.push_back(static_cast<char>(c));
        } else {
            out += {'%', kHex[c >> 4], kHex[c & 15]};
        }
    }
    return out;
}

}  // namespace

std::vector<CardSignal> card_signals(const alerts::Alert& a, const alerts::Policy& policy) {
    std::vector<CardSignal> out;
    for (const auto& s : a.signals) {
        std::string kind = s.kind;
        std::replace(kind.begin(), kind.end(), '.', ' ');
        std::replace(kind.begin(), kind.end(), '_', ' ');
        CardSignal c;
        c.text = kind;
        for (const auto& [source, link] : policy.interact().signal_links) {
            if (source == s.source) {
                const std::string id = link_id(s.id);
                c.text += " " + id;
                c.url = link;
                c.url.replace(c.url.find("{id}"), 4, id);
            }
        }
        const std::string at = core::format_rfc3339_ms(s.time_ms);
        c.text += " · " + s.source + " · " + at.substr(0, 10) + " " + at.substr(11, 5) + " UTC";
        out.push_back(std::move(c));
    }
    return out;
}

std::string card_sparkline(const alerts::Alert& a) {
    static const char* kBars[] = {"▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"};
    constexpr std::size_t kShown = 24;
    const std::size_t from = a.trail.size() > kShown ? a.trail.size() - kShown : 0;
    double lo = INFINITY;
    double hi = -INFINITY;
    for (std::size_t i = from; i < a.trail.size(); ++i) {
        if (std::isfinite(a.trail[i].observed)) {
            lo = std::min(lo, static_cast<double>(a.trail[i].observed));
            hi = std::max(hi, static_cast<double>(a.trail[i].observed));
        }
    }
    if (a.trail.size() - from < 2 || !std::isfinite(lo)) {
        return "";
    }
    std::string line;
    for (std::size_t i = from; i < a.trail.size(); ++i) {
        const double v = a.trail[i].observed;
        if (!std::isfinite(v)) {
            line += " ";
            continue;
        }
        const auto bar = hi > lo ? static_cast<std::size_t>(std::lround((v - lo) / (hi - lo) * 7)) : 0;
        line += kBars[std::min<std::size_t>(bar, 7)];
    }
    const bool ratio = a.denominator > 0 || a.pair;
    return line + " " + alerts::plain_value(lo, ratio) + " to " + alerts::plain_value(hi, ratio);
}

std::vector<std::pair<std::string, std::string>> card_facts(const alerts::Alert& a) {
    using alerts::percent_text;
    // Each figure named for what it is: what it fired on (kept as it was) and what it is now;
    // the detector's expectation, or for a threshold the configured limit (never "usually").
    std::vector<std::pair<std::string, std::string>> facts;
    if (a.pair) {
        const auto& p = *a.pair;
        auto map_figure = [&](double v) {
            return p.claim_is_ratio ? percent_text(v) : alerts::count_text(v);
        };
        facts = {{"Customers: " + p.customer_says,
                  "fired on " + percent_text(a.fired.observed) + ", now " +
                      percent_text(a.observed) + " (expected " + percent_text(a.expected) + ")"},
                 {"MAP: " + p.map_says,
                  map_figure(a.claim) + " (expected " + map_figure(a.claim_expected) + ")"}};
    } else {
        const bool ratio = a.denominator > 0;
        facts = {{"Fired on", alerts::plain_value(a.fired.observed, ratio)},
                 {"Now", alerts::plain_value(a.observed, ratio)},
                 {a.detector_type == "threshold" ? "Limit" : "Expected",
                  alerts::plain_value(a.expected, ratio)}};
    }
    // Counted from its anomalous windows, never who.
    if (const auto [signals, reached] = alerts::affected(a); reached > 0) {
        facts.emplace_back("Customers affected", alerts::count_text(signals) + " of " +
                                                     alerts::count_text(reached) + " reached");
    } else if (a.excess > 0) {
        facts.emplace_back("Above expected", "+" + alerts::count_text(a.excess));
    }
    if (auto line = card_sparkline(a); !line.empty()) {
        facts.emplace_back("Trend", std::move(line));
    }
    return facts;
}

}  // namespace terrain::alerts
