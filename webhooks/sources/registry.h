#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/config.h"
#include "core/params.h"
#include "core/signature.h"
#include "core/store.h"
#include "webhooks/guard.h"
#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// What a source's own keys set up: the vendor's signature check (null: the bearer token or
// loopback only) and, for vendors that subscribe by a confirmation visit (Amazon SNS), where
// such a visit may go.
struct SourceSetup {
    std::unique_ptr<core::SignatureVerifier> verifier;
    std::function<std::optional<core::Error>(const std::string& url)> confirm;
};

// A kind of source: a vendor whose webhooks POST /ingest/<name> takes. Its adapter turns the
// vendor's body into events; `setup` validates its keys under sources.<name> (secrets read
// now) and throws core::ConfigError naming the key.
struct SourceKind {
    std::string name;
    std::string help;                // one line: what sends it
    std::vector<core::KeyDoc> keys;  // beyond the shared token and max_age
    std::function<std::unique_ptr<Adapter>()> adapter;
    std::function<SourceSetup(const core::Params& params, std::int64_t max_age_ms)> setup;
};

// The keys every source has.
const std::vector<core::KeyDoc>& shared_source_keys();

// Maps source names to their kinds. Filled once at start-up by register_builtin_sources.
class SourceRegistry final {
public:
    void add(SourceKind kind);
    const SourceKind* find(std::string_view name) const;
    std::vector<std::string> names() const;
    const std::vector<SourceKind>& kinds() const { return kinds_; }

    // The guard of every source, from the configuration's `sources` (a source not configured is
    // open to loopback clients only). Validates every entry: an unknown source, an unknown or
    // bad key, a missing secret, or neither a token nor a signature throws core::ConfigError.
    // With a store, used signatures are remembered there (see core::ReplayGuard).
    std::map<std::string, std::shared_ptr<const SourceGuard>> guards(const core::Config& config,
                                                                     core::Store* store) const;

private:
    std::vector<SourceKind> kinds_;
};

// The one list of built-in sources: each vendor's folder registers itself with one line here.
void register_builtin_sources(SourceRegistry& registry);

}  // namespace terrain::webhooks
