#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/manager.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/hash.h"
#include "core/intake.h"
#include "core/store.h"
#include "core/telemetry.h"
#include "webhooks/sources/adapter.h"
#include "webhooks/sources/registry.h"
#include "webhooks/http_server.h"
#include "webhooks/interact.h"

namespace terrain::webhooks {

// Everything the HTTP endpoints need; owned by the app and outliving the server.
// What POST /-/reload answers: the file was valid and is being loaded (its hash), or was
// refused and the running configuration stays (why).
struct ReloadAnswer {
    bool accepted = false;
    std::string hash;
    std::string error;
};

struct ApiContext {
    core::Intake* intake = nullptr;
    alerts::AlertManager* alerts = nullptr;
    core::Store* store = nullptr;  // the audit trail, the memory of used signatures
    core::Telemetry* telemetry = nullptr;
    const core::SubjectHasher* hasher = nullptr;
    const core::Clock* clock = nullptr;
    const core::Config* config = nullptr;
    std::function<nlohmann::json()> status;  // pipeline state for /api/v1/status
    std::function<bool()> ready;             // for /readyz
    std::function<ReloadAnswer()> reload;    // POST /-/reload; unset: not served
    // GET /api/v1/detectors/<metric>/<detector>/suggestion: the suggestion for
    // "metric/detector" as JSON, null when it has no verdicts; unset: not served.
    std::function<nlohmann::json(const std::string&)> suggestion;
    // POST /api/v1/whatif {"config": "<YAML>"}: the candidate on the history terrain holds;
    // throws core::ConfigError for a refused configuration. Unset: not served.
    std::function<nlohmann::json(const std::string&)> whatif;
    InteractContext interact;                // chat clicks and the inbox; unset: not served
    // The scale-out mode: the alert and people routes (install_alerting_routes) are answered by
    // this, wherever the node leading the alerting runs; unset: they are answered here.
    std::function<HttpResponse(const HttpRequest&)> alerting;
};

// The body of POST /api/v1/alerts/<id>/actions: {"action", "by", "reason"?, "for"?}.
core::Result<alerts::ActionRequest> parse_action_request(std::string_view body);
// POST /api/v1/silences {"matchers": {label: value}, "ends_at" | "for", "created_by",
// "comment"?}; the silence starts now.
core::Result<alerts::Silence> parse_silence_request(std::string_view body, std::int64_t now_ms);

// The alert and people routes: /api/v1/alerts, /api/v1/audit, /api/v1/silences,
// /api/v1/on_duty, /api/v1/dead-letters, and (with ctx.interact) /interact/* and /inbox*.
void install_alerting_routes(HttpServer& server, const ApiContext& ctx);

// Installs /ingest/<source> for every source kind (guarded as `sources.guards` says), /api/v1/*,
// /metrics, /healthz and /readyz. Throws core::ConfigError on a bad `sources` entry.
void install_routes(HttpServer& server, const ApiContext& ctx, const SourceRegistry& sources);

}  // namespace terrain::webhooks
