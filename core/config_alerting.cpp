#include "core/config.h"

#include <algorithm>
#include <set>

#include "core/config_reader.h"
#include "core/duration.h"
#include "core/matcher.h"
#include "core/template.h"
#include "core/time_zone.h"
#include "core/url.h"

namespace terrain::core::config_reading {

namespace {

using TemplateCheck = std::function<void(const std::string&, const std::string&)>;

HttpCallConfig parse_call(const Section& parent, std::string_view key,
                          const TemplateCheck& check_template) {
    Section s(parent.get(key), parent.child(key), {"method", "url", "headers", "body"});
    HttpCallConfig c;
    c.method = s.str("method", "POST");
    static const std::vector<std::string> kMethods = {"GET", "POST", "PUT", "PATCH", "DELETE"};
    if (std::find(kMethods.begin(), kMethods.end(), c.method) == kMethods.end()) {
        s.fail("method", "'" + c.method + "' is not one of GET, POST, PUT, PATCH, DELETE");
    }
    c.url = s.required_str("url");
    check_url(s, "url", c.url);
    c.headers = s.pairs("headers");
    c.body = s.str("body", "");
    check_template(s.child("url"), c.url);
    for (const auto& [h, v] : c.headers) {
        check_template(s.child("headers") + "." + h, v);
    }
    check_template(s.child("body"), c.body);
    return c;
}

// Placeholders an action's templates may use; labels.* must be known labels and secret.* must
// be declared under the action's `secrets`. Labels used are remembered in needs_labels.
void check_action_template(ActionConfig& a, const std::vector<std::string>& labels,
                           const std::string& where, const std::string& text) {
    auto names = template_names(text);
    if (!names) {
        throw ConfigError(where + ": " + names.error().message);
    }
    static const std::vector<std::string> kFixed = {
        "alert.id", "alert.metric", "alert.fingerprint", "alert.severity", "alert.team",
        "alert.detector", "person", "idempotency_key"};
    for (const auto& n : names.value()) {
        if (n.rfind("labels.", 0) == 0) {
            const auto label = n.substr(7);
            check_label(label, labels, where + ": '{{" + n + "}}'");
            if (std::find(a.needs_labels.begin(), a.needs_labels.end(), label) ==
                a.needs_labels.end()) {
                a.needs_labels.push_back(label);
            }
        } else if (n.rfind("secret.", 0) == 0) {
            const auto name = n.substr(7);
            if (std::none_of(a.secrets.begin(), a.secrets.end(),
                             [&](const auto& x) { return x.first == name; })) {
                throw ConfigError(where + ": '{{" + n + "}}': no secret '" + name +
                                  "' under " + a.path + ".secrets");
            }
        } else if (std::find(kFixed.begin(), kFixed.end(), n) == kFixed.end()) {
            std::vector<std::string> known = kFixed;
            known.emplace_back("labels.campaign");
            known.emplace_back("secret.NAME");
            throw ConfigError(where + ": '{{" + n + "}}' is not a placeholder" +
                              suggest(n, known));
        }
    }
}

}  // namespace

ReceiverConfig parse_receiver(const YAML::Node& node, const std::string& path,
                              const std::vector<std::string>& labels) {
    ReceiverConfig r;
    const Section s = open_section(node, path,
                                   {"name", "type", "match", "escalate_after", "escalate_to",
                                    "remind_every", "timeout", "max_attempts", "initial_backoff",
                                    "max_backoff"},
                                   r.params);
    r.path = path;
    r.name = s.required_str("name");
    r.type = s.required_str("type");
    r.match = parse_matchers(s, "match", labels);
    r.escalate_after_ms = s.duration("escalate_after", 0);
    r.escalate_to = s.str("escalate_to", "");
    if ((r.escalate_after_ms > 0) != !r.escalate_to.empty()) {
        s.fail("", "give 'escalate_after' and 'escalate_to' together");
    }
    r.remind_every_ms = s.duration("remind_every", 0);
    r.timeout_ms = s.duration("timeout", r.timeout_ms);
    r.max_attempts = static_cast<int>(s.integer("max_attempts", r.max_attempts, 1, 100));
    r.initial_backoff_ms = s.duration("initial_backoff", r.initial_backoff_ms);
    r.max_backoff_ms = s.duration("max_backoff", r.max_backoff_ms);
    return r;
}

InhibitRuleConfig parse_inhibit_rule(const YAML::Node& node, const std::string& path,
                                     const std::vector<std::string>& labels) {
    Section s(node, path, {"source_match", "target_match", "equal"});
    InhibitRuleConfig r;
    r.path = path;
    r.source_match = parse_matchers(s, "source_match", labels);
    r.target_match = parse_matchers(s, "target_match", labels);
    if (r.source_match.empty() || r.target_match.empty()) {
        s.fail("", "give both source_match and target_match (an empty one would match every "
                   "alert)");
    }
    const std::vector<std::string> keys = matcher_keys(labels);
    r.equal = s.strings("equal");
    for (std::size_t i = 0; i < r.equal.size(); ++i) {
        check_label(r.equal[i], keys, s.child("equal") + "[" + std::to_string(i) + "]");
    }
    return r;
}

PersonConfig parse_person(const YAML::Node& node, const std::string& path) {
    static const std::vector<std::string> kPlatforms = {"slack", "mattermost", "teams", "inbox"};
    std::vector<std::string> keys = {"name", "roles", "mattermost_username", "inbox_token"};
    keys.insert(keys.end(), kPlatforms.begin(), kPlatforms.end());
    Section s(node, path, keys);
    PersonConfig p;
    p.name = s.required_str("name");
    p.roles = s.strings("roles");
    for (const auto& platform : kPlatforms) {
        if (s.has(platform)) {
            p.ids.emplace_back(platform, s.str(platform, ""));
        }
    }
    if (p.ids.empty()) {
        s.fail("", "give at least one identity (slack, mattermost, teams or inbox: the user id)");
    }
    p.inbox_token = parse_secret(s, "inbox_token");
    if (!p.inbox_token.empty() && !s.has("inbox")) {
        s.fail("inbox_token",
               "give the person's inbox identity too (inbox: ana): the inbox acts "
               "as it for whoever bears the token");
    }
    p.mattermost_username = s.str("mattermost_username", "");
    if (!p.mattermost_username.empty() && p.mattermost_username[0] == '@') {
        p.mattermost_username.erase(0, 1);
    }
    return p;
}

ActionConfig parse_action(const YAML::Node& node, const std::string& path,
                          const std::vector<std::string>& labels) {
    Section s(node, path,
              {"name", "label", "roles", "confirm", "executor", "call", "revert", "revert_after",
               "revert_label", "secrets", "timeout", "max_attempts", "initial_backoff", "holds",
               "second_approver"});
    ActionConfig a;
    a.path = path;
    a.name = snake_case_name(s);
    const auto& builtins = builtin_actions();
    const bool builtin = std::find(builtins.begin(), builtins.end(), a.name) != builtins.end();
    a.executor = s.str("executor", builtin ? "builtin" : "");
    a.label = s.str("label", "");
    a.roles = s.strings("roles");
    a.confirm = s.str("confirm", "");
    if (builtin) {
        for (const char* key : {"call", "revert", "revert_after", "revert_label", "secrets",
                                "holds", "second_approver"}) {
            if (s.has(key)) {
                s.fail(key, "'" + a.name + "' is built in; give it only roles, label or confirm");
            }
        }
        if (a.executor != "builtin") {
            s.fail("executor", "'" + a.name + "' is built in; give it only roles, label or confirm");
        }
        return a;
    }
    static const std::vector<std::string> kExecutors = {"http", "dry_run"};
    if (std::find(kExecutors.begin(), kExecutors.end(), a.executor) == kExecutors.end()) {
        s.fail("executor", "'" + a.executor + "' is not an executor (use http or dry_run)" +
                               suggest(a.executor, kExecutors));
    }
    if (a.label.empty()) {
        s.fail("", "missing required key 'label' (the button's text)");
    }
    a.revert_after_ms = s.duration("revert_after", 0);
    a.holds = s.strings("holds");
    a.second_approver = s.boolean("second_approver", false);
    for (std::size_t i = 0; i < a.holds.size(); ++i) {
        check_label(a.holds[i], labels, s.child("holds") + "[" + std::to_string(i) + "]");
    }
    a.timeout_ms = s.duration("timeout", a.timeout_ms);
    a.max_attempts = static_cast<int>(s.integer("max_attempts", a.max_attempts, 1, 20));
    a.initial_backoff_ms = s.duration("initial_backoff", a.initial_backoff_ms);
    auto secrets = s.get("secrets");
    if (secrets && !secrets.IsNull()) {
        if (!secrets.IsMap()) {
            s.fail("secrets", "must be a mapping of names to {env: VARIABLE} or {file: PATH}");
        }
        std::vector<std::string> names;
        for (const auto& kv : secrets) {
            names.push_back(kv.first.as<std::string>());
        }
        Section sec(secrets, s.child("secrets"), names);
        for (const auto& name : names) {
            a.secrets.emplace_back(name, parse_secret(sec, name));
        }
    }
    const TemplateCheck check = [&](const std::string& where, const std::string& text) {
        check_action_template(a, labels, where, text);
    };
    if (!s.has("call")) {
        s.fail("", "missing required key 'call' (the request that carries out '" + a.name + "')");
    }
    a.call = parse_call(s, "call", check);
    if (s.has("revert")) {
        a.revert = parse_call(s, "revert", check);
    }
    if (a.revert_after_ms > 0 && !a.revert) {
        s.fail("revert_after", "needs 'revert', the request that undoes the action");
    }
    a.revert_label = s.str("revert_label", "");
    if (!a.revert_label.empty() && !a.revert) {
        s.fail("revert_label", "needs 'revert', the request that undoes the action");
    }
    check(s.child("confirm"), a.confirm);
    return a;
}

}  // namespace terrain::core::config_reading
