#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/alert.h"
#include "core/config.h"

namespace terrain::alerts {

// Who may do what: people known by their chat identities, the actions configured (built-ins
// included) and the roles each allows. Built from configuration once; immutable, so any
// thread may read it.
class Policy final {
public:
    Policy(std::vector<core::PersonConfig> people, std::vector<core::ActionConfig> actions,
           core::InteractConfig interact);

    // The person whose identity on `platform` (slack, mattermost, inbox) is `user_id`.
    const core::PersonConfig* person(std::string_view platform, std::string_view user_id) const;
    const core::ActionConfig* action(std::string_view name) const;
    // Each named person's identity on `platform` ("" when they have none there), in order;
    // names that are no configured person are skipped.
    std::vector<std::pair<const core::PersonConfig*, std::string>> identities(
        const std::vector<std::string>& names, std::string_view platform) const;

    // The buttons an alert's card offers, in order: acknowledge (until someone has), snooze,
    // confirm (once acknowledged) and not_a_problem (until a verdict is given), then each
    // configured override whose templates' labels the alert carries. A resolved alert offers
    // confirm and not_a_problem until a verdict is given, so a false alert that fired and
    // resolved can still be marked.
    std::vector<const core::ActionConfig*> offered(const Alert& alert) const;

    // nullopt when `who` may take `action`; otherwise why not, worded for that person.
    std::optional<std::string> refusal(const core::PersonConfig* who,
                                       const core::ActionConfig& action,
                                       std::string_view platform, std::string_view user_id) const;

    // The action's confirmation text with the alert's values filled in ("" when it has none).
    std::string confirmation(const core::ActionConfig& action, const Alert& alert) const;
    // The label a button shows: the configured one, or the built-in's own words.
    static std::string label(const core::ActionConfig& action);

    const core::InteractConfig& interact() const { return interact_; }
    // Whether a snooze of `ms` is one the menus offer (interact.snooze_times, by duration:
    // "60m" is "1h"); nullopt when it is, else why not ("is not one of ..."). The API and chat clicks both ask.
    std::optional<std::string> snooze_refused(std::int64_t ms) const;

private:
    std::vector<core::PersonConfig> people_;
    std::vector<core::ActionConfig> actions_;
    core::InteractConfig interact_;
};

// What a template placeholder of an action means for one alert (labels.X, alert.id, ...);
// nullopt when the alert has no such value. `person` and `key` fill {{person}} and
// {{idempotency_key}}.
std::optional<std::string> alert_placeholder(const Alert& alert, const std::string& name,
                                             const std::string& person, const std::string& key);

}  // namespace terrain::alerts
