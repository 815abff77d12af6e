#include "alerts/policy.h"

#include "core/duration.h"

#include <algorithm>

#include "core/template.h"

namespace terrain::alerts {

Policy::Policy(std::vector<core::PersonConfig> people,
               std::vector<core::ActionConfig> actions, core::InteractConfig interact)
    : people_(std::move(people)), actions_(std::move(actions)), interact_(std::move(interact)) {
    // Each override that can be reverted gets its undo, for the same people.
    const std::size_t configured = actions_.size();
    for (std::size_t i = 0; i < configured; ++i) {
        const auto& a = actions_[i];
        if (!a.revert || a.executor == "builtin") {
            continue;
        }
        core::ActionConfig undo;
        undo.name = "undo_" + a.name;
        undo.executor = "undo";
        undo.undoes = a.name;
        undo.label = a.revert_label.empty() ? "Undo: " + label(a) : a.revert_label;
        undo.roles = a.roles;
        undo.needs_labels = a.needs_labels;
        undo.path = a.path;
        actions_.push_back(std::move(undo));
    }
}

std::vector<std::pair<const core::PersonConfig*, std::string>> Policy::identities(
    const std::vector<std::string>& names, std::string_view platform) const {
    std::vector<std::pair<const core::PersonConfig*, std::string>> out;
    for (const auto& name : names) {
        for (const auto& p : people_) {
            if (p.name != name) {
                continue;
            }
            std::string id;
            for (const auto& [where, user_id] : p.ids) {
                id = where == platform ? user_id : id;
            }
            out.emplace_back(&p, id);
        }
    }
    return out;
}

const core::PersonConfig* Policy::person(std::string_view platform,
                                            std::string_view user_id) const {
    if (user_id.empty()) {
        return nullptr;
    }
    for (const auto& p : people_) {
        for (const auto& [where, id] : p.ids) {
            if (where == platform && id == user_id) {
                return &p;
            }
        }
    }
    return nullptr;
}

const core::ActionConfig* Policy::action(std::string_view name) const {
    for (const auto& a : actions_) {
        if (a.name == name) {
            return &a;
        }
    }
    return nullptr;
}

std::vector<const core::ActionConfig*> Policy::offered(const Alert& alert) const {
    std::vector<const core::ActionConfig*> out;
    const bool firing = alert.state == AlertState::kFiring;
    const bool judged = !alert.feedback.empty();
    // A verdict closes the loop for the people who tune: "confirm" once someone has taken the
    // alert on (it replaces acknowledge) and on a resolved alert, "not a problem" until a
    // verdict is given. A resolved alert offers only these.
    const bool acknowledged = alert.acknowledged_at_ms != 0;
    for (const char* name : {"acknowledge", "snooze", "confirm", "not_a_problem"}) {
        const std::string_view n = name;
        const bool show = n == "acknowledge"     ? firing && !acknowledged
                          : n == "snooze"        ? firing
                          : n == "confirm"       ? !judged && (acknowledged || !firing)
                                                 : !judged;
        const core::ActionConfig* builtin = action(name);
        if (builtin == nullptr || !show) {
            continue;  // (a policy built without the built-ins: parse_config adds them)
        }
        out.push_back(builtin);
    }
    // Overrides while the alert fires, except one that is running or done: a done one offers
    // its undo instead, also once the alert has resolved (a paused campaign stays paused).
    auto last_state = [&](const std::string& name) -> std::string {
        for (auto it = alert.overrides.rbegin(); it != alert.overrides.rend(); ++it) {
            if (it->action == name) {
                return it->state;
            }
        }
        return "";
    };
    for (const auto& a : actions_) {
        if (a.executor == "builtin") {
            continue;
        }
        const bool has_labels = std::all_of(
            a.needs_labels.begin(), a.needs_labels.end(),
            [&](const std::string& l) { return core::find_label(alert.labels, l) != nullptr; });
        const std::string state = last_state(a.executor == "undo" ? a.undoes : a.name);
        const bool show = a.executor == "undo"
                              ? state == "done"
                              : firing && state != "done" && state != "pending" &&
                                    state != "reverting";
        if (has_labels && show) {
            out.push_back(&a);
        }
    }
    return out;
}

std::optional<std::string> Policy::refusal(const core::PersonConfig* who,
                                           const core::ActionConfig& action,
                                           std::string_view platform,
                                           std::string_view user_id) const {
    if (who == nullptr) {
        return "your " + std::string(platform) + " account (" + std::string(user_id) +
               ") is not one of terrain's people; ask an administrator to add it under 'people'";
    }
    if (action.roles.empty()) {
        return std::nullopt;
    }
    for (const auto& r : who->roles) {
        if (std::find(action.roles.begin(), action.roles.end(), r) != action.roles.end()) {
            return std::nullopt;
        }
    }
    std::string roles;
    for (const auto& r : action.roles) {
        roles += (roles.empty() ? "" : ", ") + r;
    }
    return "'" + label(action) + "' needs one of the roles " + roles + "; " + who->name +
           " has " + (who->roles.empty() ? std::string("none") : [&] {
               std::string mine;
               for (const auto& r : who->roles) {
                   mine += (mine.empty() ? "" : ", ") + r;
               }
               return mine;
           }());
}

std::optional<std::string> alert_placeholder(const Alert& alert, const std::string& name,
                                             const std::string& person, const std::string& key) {
    if (name.rfind("labels.", 0) == 0) {
        if (const std::string* v = core::find_label(alert.labels, name.substr(7))) {
            return *v;
        }
        return std::nullopt;
    }
    if (name == "alert.id") return alert.id;
    if (name == "alert.metric") return alert.metric;
    if (name == "alert.fingerprint") return alert.fingerprint;
    if (name == "alert.severity") return alert.severity;
    if (name == "alert.team") return alert.team;
    if (name == "alert.detector") return alert.detector;
    if (name == "person") return person;
    if (name == "idempotency_key") return key;
    return std::nullopt;
}

std::string Policy::confirmation(const core::ActionConfig& action, const Alert& alert) const {
    auto text = core::render_template(
        action.confirm,
        [&](const std::string& name) -> std::optional<std::string> {
            if (name.rfind("secret.", 0) == 0) {
                return "(secret)";
            }
            return alert_placeholder(alert, name, "", "");
        },
        core::Escape::kNone);
    return text ? text.value() : action.confirm;
}

std::string Policy::label(const core::ActionConfig& action) {
    if (!action.label.empty()) {
        return action.label;
    }
    if (action.name == "acknowledge") return "Acknowledge";
    if (action.name == "snooze") return "Snooze";
    if (action.name == "resolve") return "Resolve";
    if (action.name == "not_a_problem") return "Not a problem";
    if (action.name == "confirm") return "Confirm: a real problem";
    return action.name;
}

std::optional<std::string> Policy::snooze_refused(std::int64_t ms) const {
    std::string list;
    for (const auto& o : interact_.snooze_times) {
        if (core::parse_duration_ms(o) == ms) {
            return std::nullopt;
        }
        list += (list.empty() ? "" : ", ") + o;
    }
    return "is not one of the snooze times offered (" + list + "; interact.snooze_times)";
}

}  // namespace terrain::alerts
