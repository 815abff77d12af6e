#include "core/config.h"

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <regex>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "core/config_reader.h"

#include "core/duration.h"
#include "core/matcher.h"
#include "core/template.h"
#include "core/time_zone.h"
#include "core/url.h"

namespace terrain::core {

using namespace config_reading;


std::vector<std::string> alert_keys(const Config& config) {
    std::vector<std::string> labels = known_labels();
    labels.insert(labels.end(), config.extra_labels.begin(), config.extra_labels.end());
    return matcher_keys(labels);
}

const std::vector<std::string>& builtin_actions() {
    static const std::vector<std::string> kActions = {"acknowledge", "snooze", "resolve",
                                                      "not_a_problem", "confirm"};
    return kActions;
}


namespace {

std::vector<std::string> declared_labels(const Config& c) {
    std::vector<std::string> labels = known_labels();
    labels.insert(labels.end(), c.extra_labels.begin(), c.extra_labels.end());
    return labels;
}

// Each element of the list under `key`, parsed by `parse` (which returns its name: names are
// unique within the list).
template <typename Parse>
void each_named(const Section& top, const char* key, Parse parse) {
    auto node = top.get(key);
    if (!node || node.IsNull()) {
        return;
    }
    if (!node.IsSequence()) {
        top.fail(key, "must be a list");
    }
    std::set<std::string> names;
    for (std::size_t i = 0; i < node.size(); ++i) {
        const auto path = std::string(key) + "[" + std::to_string(i) + "]";
        const std::string name = parse(node[i], path);
        if (!names.insert(name).second) {
            throw ConfigError(path + ".name: '" + name + "' is declared twice");
        }
    }
}

void parse_sources(const Section& top, Config& c) {
    auto sources = top.get("sources");
    if (sources && !sources.IsNull()) {
        if (!sources.IsMap()) {
            top.fail("sources", "must be a mapping of source name to its credentials");
        }
        for (const auto& kv : sources) {
            SourceConfig src;
            src.name = kv.first.as<std::string>();
            src.path = "sources." + src.name;
            const Section s = open_section(kv.second, src.path, {"token", "max_age"},
                                           src.params);
            src.token = parse_secret(s, "token");
            src.max_age_ms = s.duration("max_age", src.max_age_ms);
            c.sources.push_back(std::move(src));
        }
    }
}

void parse_server(const Section& top, Config& c) {
    Section api(top.get("api"), "api", {"token"});
    c.api.token = parse_secret(api, "token");
    Section server(top.get("server"), "server",
                   {"listen", "max_body_bytes", "max_events_per_request", "threads",
                    "max_connections", "hosts"});
    c.server.max_events_per_request = static_cast<std::size_t>(server.integer(
        "max_events_per_request", static_cast<std::int64_t>(c.server.max_events_per_request),
        1, 10'000'000));
    c.server.listen = server.str("listen", c.server.listen);
    c.server.max_body_bytes = static_cast<std::size_t>(
        server.integer("max_body_bytes", static_cast<std::int64_t>(c.server.max_body_bytes),
                       1024, 1LL << 30));
    c.server.threads = static_cast<int>(server.integer("threads", c.server.threads, 1, 64));
    c.server.max_connections = static_cast<std::size_t>(server.integer(
        "max_connections", static_cast<std::int64_t>(c.server.max_connections), 1, 1'000'000));
    c.server.hosts = server.strings("hosts");
    for (const auto& h : c.server.hosts) {
        if (h != "*" && !parse_url("http://" + h + "/").ok()) {
            server.fail("hosts", "'" + h.substr(0, 200) +
                                     "' is not a host name (no scheme, port or path)");
        }
    }
}

void parse_pipeline(const Section& top, Config& c) {
    Section pipe(top.get("pipeline"), "pipeline",
                 {"allowed_lateness", "idle_flush", "max_future", "max_past", "queue_events",
                  "dedup_capacity", "export_series", "fsync", "checkpoint_interval",
                  "return_within", "return_capacity", "send_capacity", "parked_bytes",
                  "history_bytes"});
    c.pipeline.allowed_lateness_ms =
        pipe.duration("allowed_lateness", c.pipeline.allowed_lateness_ms);
    c.pipeline.idle_flush_ms = pipe.duration("idle_flush", c.pipeline.idle_flush_ms);
    c.pipeline.max_future_ms = pipe.duration("max_future", c.pipeline.max_future_ms);
    c.pipeline.max_past_ms = pipe.duration("max_past", c.pipeline.max_past_ms);
    c.pipeline.checkpoint_interval_ms =
        pipe.duration("checkpoint_interval", c.pipeline.checkpoint_interval_ms);
    c.pipeline.queue_events = static_cast<std::size_t>(pipe.integer(
        "queue_events", static_cast<std::int64_t>(c.pipeline.queue_events), 1, 1LL << 32));
    c.pipeline.dedup_capacity = static_cast<std::size_t>(
        pipe.integer("dedup_capacity", static_cast<std::int64_t>(c.pipeline.dedup_capacity),
                     0, 1LL << 32));

    c.pipeline.return_within_ms = pipe.duration("return_within", c.pipeline.return_within_ms);
    if (c.pipeline.return_within_ms > 7 * 24 * 3'600'000LL) {
        pipe.fail("return_within", "at most 1w");
    }
    c.pipeline.send_capacity = static_cast<std::size_t>(
        pipe.integer("send_capacity", static_cast<std::int64_t>(c.pipeline.send_capacity), 0,
                     100'000'000));
    c.pipeline.history_bytes = static_cast<std::uint64_t>(
        pipe.integer("history_bytes", static_cast<std::int64_t>(c.pipeline.history_bytes), 0,
                     std::int64_t{1} << 50));
    c.pipeline.parked_bytes = static_cast<std::size_t>(
        pipe.integer("parked_bytes", static_cast<std::int64_t>(c.pipeline.parked_bytes), 0,
                     1LL << 40));
    c.pipeline.return_capacity = static_cast<std::size_t>(
        pipe.integer("return_capacity", static_cast<std::int64_t>(c.pipeline.return_capacity),
                     1, 1LL << 28));
    c.pipeline.export_series = static_cast<std::size_t>(
        pipe.integer("export_series", static_cast<std::int64_t>(c.pipeline.export_series), 0,
                     1'000'000));
    const auto fsync = pipe.str("fsync", "always");
    if (fsync != "always" && fsync != "never") {
        pipe.fail("fsync", "'" + fsync + "' is not always or never");
    }
    c.pipeline.fsync = fsync == "always";
}

void parse_cluster(const Section& top, Config& c) {
    if (!top.has("cluster")) {
        return;
    }
    Section cl(top.get("cluster"), "cluster",
               {"brokers", "topic", "partitions", "replication", "group", "node", "postgres",
                "produce_timeout", "advertise"});
    auto& k = c.cluster;
    k.enabled = true;
    k.brokers = cl.strings("brokers");
    if (k.brokers.empty()) {
        cl.fail("brokers", "is required: the Kafka brokers as host:port, e.g. [127.0.0.1:9092]");
    }
    for (const auto& b : k.brokers) {
        const auto colon = b.rfind(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 == b.size() ||
            b.find_first_not_of("0123456789", colon + 1) != std::string::npos) {
            cl.fail("brokers", "'" + b.substr(0, 200) + "' is not host:port");
        }
    }
    k.topic = cl.str("topic", k.topic);
    if (k.topic.empty() || k.topic.size() > 249 ||
        k.topic.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") !=
            std::string::npos) {
        cl.fail("topic", "'" + k.topic.substr(0, 200) +
                             "' is not a Kafka topic name (letters, digits, '.', '_', '-')");
    }
    k.partitions = static_cast<int>(cl.integer("partitions", k.partitions, 1, 10'000));
    k.replication = static_cast<int>(cl.integer("replication", k.replication, 1, 7));
    k.group = cl.str("group", k.group);
    if (k.group.empty()) {
        cl.fail("group", "must not be empty");
    }
    k.node = cl.str("node", "");
    k.postgres = parse_secret(cl, "postgres");
    if (k.postgres.empty()) {
        cl.fail("postgres", "is required: {env: VAR} or {file: PATH} holding a PostgreSQL "
                            "connection string");
    }
    // Where the other nodes pass alert and people requests on to while this node leads the
    // alerting; empty: http://<server.listen> (monitor/startup.cpp checks it is not a wildcard).
    k.advertise = cl.str("advertise", "");
    if (!k.advertise.empty() && k.advertise.rfind("http://", 0) != 0 &&
        k.advertise.rfind("https://", 0) != 0) {
        cl.fail("advertise", "'" + k.advertise.substr(0, 200) + "' is not an http(s) URL");
    }
    while (!k.advertise.empty() && k.advertise.back() == '/') {
        k.advertise.pop_back();
    }
    k.produce_timeout_ms = cl.duration("produce_timeout", k.produce_timeout_ms);
    if (k.produce_timeout_ms < 100 || k.produce_timeout_ms > 300'000) {
        cl.fail("produce_timeout", "must be between 100ms and 5m");
    }
}

// Parses one metric or pair; its errors name it ("metrics[6]" alone does not) and, when they
// have no line, its line: "... (line 40; metric complaint_rate)".
template <typename Parse>
auto named(const YAML::Node& node, Parse parse) {
    try {
        return parse();
    } catch (const ConfigError& e) {
        std::string message = e.what();
        const YAML::Node name = node.IsMap() ? node["name"] : YAML::Node();
        const std::string what =
            name && name.IsScalar() ? "metric " + name.Scalar() : std::string();
        if (const auto at = message.rfind(" (line "); at != std::string::npos && message.back() == ')') {
            if (!what.empty() && message.find("; metric ", at) == std::string::npos) {
                message.insert(message.size() - 1, "; " + what);
            }
        } else {
            message += " (line " + std::to_string(node.Mark().line + 1) +
                       (what.empty() ? "" : "; " + what) + ")";
        }
        throw ConfigError(message);
    }
}

void parse_metrics(const Section& top, Config& c) {
    const std::vector<std::string> labels = declared_labels(c);
    auto metrics = top.get("metrics");
    if (metrics && !metrics.IsNull()) {
        if (!metrics.IsSequence()) {
            top.fail("metrics", "must be a list");
        }
        std::set<std::string> names;
        for (std::size_t i = 0; i < metrics.size(); ++i) {
            auto path = "metrics[" + std::to_string(i) + "]";
            auto m = named(metrics[i], [&] { return parse_metric(metrics[i], path, labels); });
            if (!names.insert(m.name).second) {
                throw ConfigError(path + ".name: '" + m.name + "' is declared twice");
            }
            // Each roll-up is a metric of its own, of the same family.
            std::vector<MetricConfig> levels;
            for (const auto& level : m.roll_up) {
                MetricConfig coarser = m;
                coarser.roll_up.clear();
                coarser.group_by = level;
                coarser.name = m.name + "_by_" + (level.empty() ? std::string("all") : level[0]);
                for (std::size_t l = 1; l < level.size(); ++l) {
                    coarser.name += "_and_" + level[l];
                }
                coarser.family = m.name;
                if (!names.insert(coarser.name).second) {
                    throw ConfigError(path + ".roll_up: '" + coarser.name + "' is declared twice");
                }
                levels.push_back(std::move(coarser));
            }
            if (!m.roll_up.empty()) {
                m.family = m.name;
            }
            c.metrics.push_back(std::move(m));
            for (auto& level : levels) {
                c.metrics.push_back(std::move(level));
            }
        }
        auto pairs = top.get("pairs");
        if (pairs && !pairs.IsNull()) {
            if (!pairs.IsSequence()) {
                top.fail("pairs", "must be a list");
            }
            for (std::size_t i = 0; i < pairs.size(); ++i) {
                auto path = "pairs[" + std::to_string(i) + "]";
                auto m = named(pairs[i], [&] { return parse_pair(pairs[i], path, c.metrics, labels); });
                if (!names.insert(m.name).second) {
                    throw ConfigError(path + ".name: '" + m.name +
                                      "' is already the name of a metric or pair");
                }
                c.metrics.push_back(std::move(m));
            }
        }
    }
}

void parse_receivers(const Section& top, Config& c) {
    const std::vector<std::string> labels = declared_labels(c);
    each_named(top, "receivers", [&](const YAML::Node& n, const std::string& path) {
        c.receivers.push_back(parse_receiver(n, path, labels));
        return c.receivers.back().name;
    });
    std::vector<std::string> receiver_names;
    for (const auto& r : c.receivers) {
        receiver_names.push_back(r.name);
    }
    for (const auto& r : c.receivers) {
        if (!r.escalate_to.empty() &&
            (r.escalate_to == r.name ||
             std::find(receiver_names.begin(), receiver_names.end(), r.escalate_to) ==
                 receiver_names.end())) {
            throw ConfigError(r.path + ".escalate_to: '" + r.escalate_to +
                              "' is not another receiver" +
                              suggest(r.escalate_to, receiver_names));
        }
    }
    each_named(top, "quiet_windows", [&](const YAML::Node& n, const std::string& path) {
        c.quiet_windows.push_back(parse_weekly_window(n, path, labels));
        return c.quiet_windows.back().name;
    });
    {
        auto rules = top.get("inhibit_rules");
        if (rules && !rules.IsNull() && !rules.IsSequence()) {
            top.fail("inhibit_rules", "must be a list");
        }
        for (std::size_t i = 0; rules && rules.IsSequence() && i < rules.size(); ++i) {
            c.inhibit_rules.push_back(parse_inhibit_rule(
                rules[i], "inhibit_rules[" + std::to_string(i) + "]", labels));
        }
    }
}

void parse_people_and_actions(const Section& top, Config& c) {
    const std::vector<std::string> labels = declared_labels(c);
    each_named(top, "people", [&](const YAML::Node& n, const std::string& path) {
        c.people.push_back(parse_person(n, path));
        return c.people.back().name;
    });
    std::vector<std::string> people_names;
    for (const auto& p : c.people) {
        people_names.push_back(p.name);
    }
    each_named(top, "on_duty", [&](const YAML::Node& n, const std::string& path) {
        OnDutyConfig d;
        d.shift = parse_weekly_window(n, path, labels, {"people"});
        const Section s(n, path, weekly_window_keys({"people"}));
        d.people = s.strings("people");
        if (d.people.empty()) {
            s.fail("people", "name at least one person on duty");
        }
        for (std::size_t i = 0; i < d.people.size(); ++i) {
            if (std::find(people_names.begin(), people_names.end(), d.people[i]) ==
                people_names.end()) {
                throw ConfigError(s.child("people") + "[" + std::to_string(i) + "]: '" +
                                  d.people[i] + "' is not one of the people" +
                                  suggest(d.people[i], people_names));
            }
        }
        c.on_duty.push_back(std::move(d));
        return c.on_duty.back().shift.name;
    });
    for (const auto& name : builtin_actions()) {
        ActionConfig a;
        a.name = name;
        a.executor = "builtin";
        a.path = "actions";
        c.actions.push_back(std::move(a));
    }
    each_named(top, "actions", [&](const YAML::Node& n, const std::string& path) {
        ActionConfig a = parse_action(n, path, labels);
        auto same = std::find_if(c.actions.begin(), c.actions.end(),
                                 [&](const ActionConfig& x) { return x.name == a.name; });
        if (same != c.actions.end() && same->executor == "builtin") {
            *same = a;  // a built-in's roles or words, configured
        } else {
            c.actions.push_back(a);
        }
        return a.name;
    });
    // Each override that can be reverted gets its undo (alerts::Policy), `undo_<name>`.
    for (const auto& a : c.actions) {
        for (const auto& other : c.actions) {
            if (a.revert && other.name == "undo_" + a.name) {
                throw ConfigError(other.path + ": '" + other.name + "' is the name of " + a.name +
                                  "'s undo; choose another");
            }
        }
    }
}

void parse_interact(const Section& top, Config& c) {
    const Section interact = open_section(top.get("interact"), "interact",
                                          {"public_url", "max_age", "not_a_problem_reasons", "snooze_times",
                                           "inbox_resolved_for", "signal_links"},
                                          c.interact.params);
    c.interact.public_url = interact.str("public_url", "");
    if (!c.interact.public_url.empty()) {
        check_url(interact, "public_url", c.interact.public_url);
        while (!c.interact.public_url.empty() && c.interact.public_url.back() == '/') {
            c.interact.public_url.pop_back();
        }
    }
    c.interact.max_age_ms = interact.duration("max_age", c.interact.max_age_ms);
    c.interact.inbox_resolved_for_ms =
        interact.duration("inbox_resolved_for", c.interact.inbox_resolved_for_ms);
    c.interact.signal_links = interact.pairs("signal_links");
    for (const auto& [source, link] : c.interact.signal_links) {
        // It goes into chat markup as it is: no character that ends or adds to a link.
        if (link.rfind("https://", 0) != 0 || link.find("{id}") == std::string::npos ||
            link.find_first_of("<>|()[]\"'` \t\\") != std::string::npos ||
            !parse_url(std::string(link).replace(link.find("{id}"), 4, "1")).ok()) {
            interact.fail("signal_links", "'" + source + "': '" + link +
                                              "' is not an https URL with {id} in it, without spaces, quotes, "
                                              "brackets, '<', '>' or '|'");
        }
    }
    if (interact.has("snooze_times")) {
        c.interact.snooze_times = interact.strings("snooze_times");
        if (c.interact.snooze_times.empty() || c.interact.snooze_times.size() > 10) {
            interact.fail("snooze_times", std::to_string(c.interact.snooze_times.size()) +
                                              " times; from 1 to 10 (a menu)");
        }
        for (const auto& t : c.interact.snooze_times) {
            const auto ms = parse_duration_ms(t);
            if (!ms || *ms <= 0 || *ms > 30LL * 24 * 3'600'000) {
                interact.fail("snooze_times", "'" + t + "' is not a duration up to 30d (e.g. 4h)");
            }
        }
    }
    if (interact.has("not_a_problem_reasons")) {
        c.interact.not_a_problem_reasons = interact.strings("not_a_problem_reasons");
        if (c.interact.not_a_problem_reasons.size() > 20) {
            interact.fail("not_a_problem_reasons",
                          std::to_string(c.interact.not_a_problem_reasons.size()) +
                              " reasons; at most 20 (a menu people choose from under pressure)");
        }
        for (std::size_t i = 0; i < c.interact.not_a_problem_reasons.size(); ++i) {
            // Slack carries the choice in an option's value (alert id, '|', reason: 150 at most).
            if (c.interact.not_a_problem_reasons[i].empty() ||
                c.interact.not_a_problem_reasons[i].size() > 120) {
                interact.fail("not_a_problem_reasons",
                              "reason " + std::to_string(i + 1) + " is " +
                                  std::to_string(c.interact.not_a_problem_reasons[i].size()) +
                                  " bytes; from 1 to 120 (the chat menus carry it)");
            }
        }
    }
}

}  // namespace

Config parse_config(std::string_view yaml, const std::string& origin) {
    YAML::Node root;
    try {
        root = YAML::Load(std::string(yaml));
    } catch (const YAML::Exception& e) {
        throw ConfigError(origin + ": not valid YAML: " + e.what());
    }
    Config c;
    try {
        const Section top(root, "",
                          {"server", "sources", "api", "pipeline", "labels", "metrics", "pairs",
                           "receivers", "quiet_windows", "inhibit_rules", "people", "on_duty",
                           "actions", "interact", "cluster"});
        parse_sources(top, c);
        parse_cluster(top, c);
        parse_server(top, c);
        parse_pipeline(top, c);
        c.extra_labels = top.strings("labels");
        parse_metrics(top, c);
        parse_receivers(top, c);
        parse_people_and_actions(top, c);
        parse_interact(top, c);
    } catch (const YAML::Exception& e) {
        throw ConfigError(origin + ": " + e.what());
    } catch (const ConfigError& e) {
        throw ConfigError(origin + ": " + e.what());
    }
    return c;
}

std::string resolve_secret(const SecretRef& ref) {
    std::string value;
    if (!ref.env.empty()) {
        const char* v = std::getenv(ref.env.c_str());
        if (v == nullptr || *v == '\0') {
            throw ConfigError(ref.path + ": environment variable " + ref.env + " is not set");
        }
        value = v;
    } else {
        std::ifstream in(ref.file, std::ios::binary);
        if (!in) {
            throw ConfigError(ref.path + ": cannot read secret file " + ref.file);
        }
        value.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
        while (!value.empty() && (value.back() == '\n' || value.back() == '\r')) {
            value.pop_back();
        }
        if (value.empty()) {
            throw ConfigError(ref.path + ": secret file " + ref.file + " is empty");
        }
    }
    return value;
}

std::string read_config_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw ConfigError(path + ": cannot open configuration file");
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

Config load_config_file(const std::string& path) {
    return parse_config(read_config_file(path), path);
}


}  // namespace terrain::core
