#include "webhooks/sources/registry.h"

#include <algorithm>

namespace terrain::webhooks {

void register_sendgrid(SourceRegistry& registry);
void register_mailgun(SourceRegistry& registry);
void register_ses(SourceRegistry& registry);
void register_postmark(SourceRegistry& registry);
void register_zendesk(SourceRegistry& registry);
void register_connect(SourceRegistry& registry);
void register_events(SourceRegistry& registry);
void register_connect_ctr(SourceRegistry& registry);
void register_alertmanager(SourceRegistry& registry);

void register_builtin_sources(SourceRegistry& registry) {
    register_sendgrid(registry);
    register_mailgun(registry);
    register_ses(registry);
    register_postmark(registry);
    register_zendesk(registry);
    register_connect(registry);
    register_connect_ctr(registry);
    register_events(registry);
    register_alertmanager(registry);
}

const std::vector<core::KeyDoc>& shared_source_keys() {
    static const std::vector<core::KeyDoc> keys = {
        {"token", "secret",
         "the bearer token requests carry (Authorization: Bearer, or Basic with the token as "
         "password)"},
        {"max_age", "duration",
         "signed requests whose timestamp is further than this from terrain's clock are "
         "refused (default 5m)"},
    };
    return keys;
}

void SourceRegistry::add(SourceKind kind) { kinds_.push_back(std::move(kind)); }

const SourceKind* SourceRegistry::find(std::string_view name) const {
    for (const auto& k : kinds_) {
        if (k.name == name) {
            return &k;
        }
    }
    return nullptr;
}

std::vector<std::string> SourceRegistry::names() const {
    std::vector<std::string> out;
    for (const auto& k : kinds_) {
        out.push_back(k.name);
    }
    return out;
}

std::map<std::string, std::shared_ptr<const SourceGuard>> SourceRegistry::guards(
    const core::Config& config, core::Store* store) const {
    std::map<std::string, std::shared_ptr<const SourceGuard>> out;
    for (const auto& sc : config.sources) {
        const SourceKind* kind = find(sc.name);
        if (kind == nullptr) {
            throw core::ConfigError(sc.path + ": no such source" + core::suggest(sc.name, names()));
        }
        const core::Params params(sc.params, sc.path, core::key_names(kind->keys),
                                  core::key_names(shared_source_keys()));
        for (const auto& key : kind->keys) {
            params.check(key);
        }
        SourceSetup setup = kind->setup(params, sc.max_age_ms);
        std::string token = sc.token.empty() ? "" : core::resolve_secret(sc.token);
        if (token.empty() && !setup.verifier) {
            std::string signing;
            for (const auto& k : kind->keys) {
                signing += ", '" + k.name + "'";
            }
            throw core::ConfigError(sc.path + ": give a 'token'" +
                                    (signing.empty() ? "" : " or the vendor's signature key (" +
                                                                signing.substr(2) + ")") +
                                    " (or remove the source to leave it open to loopback "
                                    "clients only)");
        }
        if (setup.verifier && store != nullptr) {
            setup.verifier->remember_in(store, sc.name);
        }
        out[sc.name] = std::make_shared<const SourceGuard>(sc.name, std::move(token),
                                                           std::move(setup.verifier),
                                                           std::move(setup.confirm));
    }
    // A source not configured is open to loopback clients, with its kind's defaults (an SNS
    // subscription is still confirmed only on Amazon's origins).
    for (const auto& k : kinds_) {
        if (!out.count(k.name)) {
            const core::SourceConfig defaults;
            SourceSetup setup = k.setup(core::Params(nlohmann::json::object(), "sources." + k.name),
                                        defaults.max_age_ms);
            out[k.name] = std::make_shared<const SourceGuard>(k.name, "", nullptr,
                                                              std::move(setup.confirm));
        }
    }
    return out;
}

}  // namespace terrain::webhooks
