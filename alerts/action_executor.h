#pragma once

#include <map>
#include <string>

#include "alerts/overrides.h"
#include "core/config.h"
#include "core/result.h"

namespace terrain::alerts {

// The request an action sends for one alert, rendered from its templates.
struct RenderedCall {
    std::string method;
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
};

// Runs override actions against a MAP or ESP over HTTP. `http` actions send their rendered
// `call` (or `revert`) with an Idempotency-Key header, so a retry after a timeout or a
// restart does not act twice where the API honours it; `dry_run` actions send nothing and
// answer with the request they would have sent (secrets masked). Secrets are read from the
// environment or files when constructed (a ConfigError names a missing one) and never appear
// in a result. Called from the overrides worker thread only.
class HttpExecutor final : public alerts::Executor {
public:
    explicit HttpExecutor(const std::vector<core::ActionConfig>& actions);
    Outcome run(const core::ActionConfig& action, const alerts::Alert& alert,
                const std::string& person, const std::string& idempotency_key,
                bool revert) override;

    // The rendered request; `mask_secrets` puts "****" where a secret goes.
    core::Result<RenderedCall> render(const core::ActionConfig& action,
                                         const alerts::Alert& alert, const std::string& person,
                                         const std::string& idempotency_key, bool revert,
                                         bool mask_secrets) const;

private:
    std::map<std::string, std::map<std::string, std::string>> secrets_;  // action -> name -> value
};

}  // namespace terrain::alerts
