#include "monitor/startup.h"

#include <unistd.h>

#include <cstdio>
#include <filesystem>

#include "alerts/action_executor.h"
#include "alerts/policy.h"
#include "core/hash.h"
#include "monitor/default_config.h"
#include "webhooks/http_server.h"

namespace terrain::monitor {

Kinds::Kinds() {
    detectors::register_builtin_detectors(detectors);
    webhooks::register_builtin_sources(sources);
    alerts::register_builtin_receivers(receivers);
}

std::pair<std::string, std::uint16_t> split_listen(const std::string& listen) {
    auto colon = listen.rfind(':');
    if (colon == std::string::npos) {
        throw core::ConfigError("server.listen: '" + listen + "' is not HOST:PORT");
    }
    std::string host = listen.substr(0, colon);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
        host = host.substr(1, host.size() - 2);
    }
    const std::string digits = listen.substr(colon + 1);
    int port = -1;
    if (!digits.empty() && digits.size() <= 5 &&
        digits.find_first_not_of("0123456789") == std::string::npos) {
        port = std::stoi(digits);
    }
    if (port < 0 || port > 65535) {
        throw core::ConfigError("server.listen: '" + listen +
                                "' has no valid port (a number, 0-65535)");
    }
    return {host, static_cast<std::uint16_t>(port)};
}

Plan load_plan(const RunOptions& options) {
    Plan plan;
    plan.origin = options.config_path.empty() ? "<embedded default>" : options.config_path;
    // Read once: the hash is of the very text that was parsed.
    const std::string text = options.config_path.empty()
                                 ? std::string(kDefaultConfigYaml)
                                 : core::read_config_file(options.config_path);
    plan.config = options.config_path.empty() ? default_config()
                                              : core::parse_config(text, options.config_path);
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx",
                  static_cast<unsigned long long>(core::siphash24(core::HashKey{}, text)));
    plan.hash = hex;
    if (!options.listen.empty()) {
        plan.config.server.listen = options.listen;
    }
    plan.data_dir = options.data_dir;
    return plan;
}

namespace {

void check_detectors(const Plan& plan, const Kinds& kinds) {
    for (const auto& m : plan.config.metrics) {
        for (const auto& d : m.detectors) {
            kinds.detectors.make(d);
        }
    }
}

// People, actions and the API: the policy they make, and every secret they name.
void check_people_and_actions(const Plan& plan, const Kinds&) {
    const auto& c = plan.config;
    alerts::Policy policy(c.people, c.actions, c.interact);
    alerts::HttpExecutor executor(c.actions);
    for (const auto& p : c.people) {
        if (!p.inbox_token.empty()) {
            core::resolve_secret(p.inbox_token);
        }
    }
    if (!c.api.token.empty()) {
        core::resolve_secret(c.api.token);
    }
}

// The scale-out mode: its PostgreSQL connection string must be readable (nothing connects here).
void check_cluster(const Plan& plan, const Kinds&) {
    const auto& cluster = plan.config.cluster;
    if (!cluster.enabled) {
        return;
    }
    const auto host = split_listen(plan.config.server.listen).first;
    if (cluster.advertise.empty() && (host == "0.0.0.0" || host == "::")) {
        throw core::ConfigError("cluster.advertise: is required when server.listen is a "
                                "wildcard address ('" + plan.config.server.listen +
                                "'): the URL the other nodes reach this one at");
    }
    core::resolve_secret(cluster.postgres);
}

void check_listen(const Plan& plan, const Kinds&) {
    const auto [host, port] = split_listen(plan.config.server.listen);
    try {
        webhooks::resolve_listen_host(host);
    } catch (const std::runtime_error& e) {
        throw core::ConfigError("server.listen: " + std::string(e.what()));
    }
}

// The data directory must be a writable directory, or creatable in the nearest existing one;
// nothing is created here.
void check_data_dir(const Plan& plan, const Kinds&) {
    namespace fs = std::filesystem;
    std::error_code ec;
    fs::path dir = fs::absolute(plan.data_dir, ec);
    fs::path existing = dir;
    while (!existing.empty() && !fs::exists(existing, ec)) {
        existing = existing.parent_path();
    }
    const std::string where = "--data-dir: '" + plan.data_dir + "'";
    if (existing == dir && !fs::is_directory(dir, ec)) {
        throw core::ConfigError(where + " is not a directory");
    }
    if (!fs::is_directory(existing, ec)) {
        throw core::ConfigError(where + " cannot be created: '" + existing.string() +
                                "' is not a directory");
    }
    if (::access(existing.c_str(), W_OK | X_OK) != 0) {
        throw core::ConfigError(where + (existing == dir ? " is not writable"
                                                         : " cannot be created: '" +
                                                               existing.string() +
                                                               "' is not writable"));
    }
}

}  // namespace

const std::vector<ValidationStep>& validation_steps() {
    static const std::vector<ValidationStep> steps = {
        {"detectors", check_detectors},
        {"sources",
         [](const Plan& p, const Kinds& k) { k.sources.guards(p.config, nullptr); }},
        {"receivers", [](const Plan& p, const Kinds& k) { k.receivers.validate(p.config); }},
        {"people and actions", check_people_and_actions},
        {"cluster", check_cluster},
        {"listen address", check_listen},
        {"data directory", check_data_dir},
    };
    return steps;
}

void validate(const Plan& plan, const Kinds& kinds) {
    for (const auto& step : validation_steps()) {
        try {
            step.run(plan, kinds);
        } catch (const core::ConfigError& e) {
            throw core::ConfigError(plan.origin + ": " + e.what());
        }
    }
}

}  // namespace terrain::monitor
