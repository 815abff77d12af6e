#include "alerts/receivers.h"

#include <algorithm>

namespace terrain::alerts {

void register_slack(ReceiverRegistry& registry);
void register_mattermost(ReceiverRegistry& registry);
void register_teams(ReceiverRegistry& registry);
void register_pagerduty(ReceiverRegistry& registry);
void register_webhook(ReceiverRegistry& registry);
void register_alertmanager(ReceiverRegistry& registry);

void register_builtin_receivers(ReceiverRegistry& registry) {
    registry.add({"log",
                  "one readable line per notification on terrain's log",
                  {},
                  {},
                  [](const core::Params&, const core::Params&, const core::Config&) {},
                  [](const core::ReceiverConfig& c, const ReceiverDeps&) {
                      return std::make_unique<LogReceiver>(c.name);
                  }});
    register_webhook(registry);
    register_alertmanager(registry);
    register_slack(registry);
    register_mattermost(registry);
    register_teams(registry);
    register_pagerduty(registry);
}

const std::vector<core::KeyDoc>& shared_receiver_keys() {
    static const std::vector<core::KeyDoc> keys = {
        {"name", "name", "the receiver's name (required, unique)"},
        {"type", "kind", "the receiver kind (required)"},
        {"match", "matchers",
         "labels (and severity, team, metric, detector) an alert must carry to come here; "
         "empty: every alert"},
        {"escalate_after", "duration",
         "unacknowledged this long, the alert escalates to `escalate_to`"},
        {"escalate_to", "name", "the receiver that hears of escalated alerts"},
        {"remind_every", "duration", "acknowledged but still firing: a reminder this often"},
        {"timeout", "duration", "each delivery attempt's deadline (default 5s)"},
        {"max_attempts", "integer", "attempts before a notification is a dead letter (default 8)"},
        {"initial_backoff", "duration", "the first retry's delay, doubling (default 500ms)"},
        {"max_backoff", "duration", "the longest retry delay (default 1m)"},
    };
    return keys;
}

void ReceiverRegistry::add(ReceiverKind kind) { kinds_.push_back(std::move(kind)); }

const ReceiverKind* ReceiverRegistry::find(std::string_view name) const {
    for (const auto& k : kinds_) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

std::vector<std::string> ReceiverRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& k : kinds_) {
        out.push_back(k.name);
    }
    return out;
}

void ReceiverRegistry::validate(const core::Config& config) const {
    std::vector<std::string> interact_keys;
    for (const auto& k : kinds_) {
        for (const auto& key : k.interact_keys) {
            interact_keys.push_back(key.name);
        }
    }
    const core::Params interact(config.interact.params, "interact", interact_keys,
                                {"public_url", "max_age", "not_a_problem_reasons"});
    for (const auto& k : kinds_) {
        for (const auto& key : k.interact_keys) {
            interact.check(key);
        }
    }
    for (const auto& r : config.receivers) {
        const ReceiverKind* kind = find(r.type);
        if (kind == nullptr) {
            std::string list;
            for (const auto& n : names()) {
                list += (list.empty() ? "" : ", ") + n;
            }
            throw core::ConfigError(r.path + ".type: '" + r.type + "' is not a receiver type (use " +
                                    list + ")" + core::suggest(r.type, names()));
        }
        std::vector<std::string> shared = core::key_names(shared_receiver_keys());
        const core::Params own(r.params, r.path, core::key_names(kind->keys), shared);
        for (const auto& key : kind->keys) {
            own.check(key);
        }
        kind->validate(own, interact, config);
    }
}

std::vector<Notifier::Route> ReceiverRegistry::make(const core::Config& config,
                                                    const ReceiverDeps& deps) const {
    validate(config);
    std::vector<Notifier::Route> routes;
    for (const auto& r : config.receivers) {
        routes.push_back({find(r.type)->make(r, deps), r});
    }
    return routes;
}

void check_group_by(const core::Params& own, const core::Config& config) {
    const auto keys = core::alert_keys(config);
    const auto group_by = own.strings("group_by");
    for (std::size_t i = 0; i < group_by.size(); ++i) {
        if (std::find(keys.begin(), keys.end(), group_by[i]) == keys.end()) {
            own.fail("group_by[" + std::to_string(i) + "]",
                     "unknown label '" + group_by[i] + "'" + core::suggest(group_by[i], keys) +
                         " (declare custom labels under the top-level 'labels' key)");
        }
    }
}

void required(const core::Params& params, const std::string& key, const std::string& what) {
    if (!params.has(key)) {
        params.fail("", "missing required key '" + key + "' (" + what + ")");
    }
}

}  // namespace terrain::alerts
