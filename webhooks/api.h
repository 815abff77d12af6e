#pragma once

#include <functional>
#include <memory>
#include <vector>

#include <nlohmann/json.hpp>

#include "alerts/manager.h"
#include "monitor/clock.h"
#include "monitor/config.h"
#include "monitor/hash.h"
#include "monitor/intake.h"
#include "monitor/store.h"
#include "monitor/telemetry.h"
#include "webhooks/adapter.h"
#include "webhooks/http_server.h"
#include "webhooks/interact.h"

namespace terrain::webhooks {

// Everything the HTTP endpoints need; owned by the app and outliving the server.
struct ApiContext {
    monitor::Intake* intake = nullptr;
    alerts::AlertManager* alerts = nullptr;
    monitor::Store* store = nullptr;  // the audit trail, the memory of used signatures
    monitor::Telemetry* telemetry = nullptr;
    const monitor::SubjectHasher* hasher = nullptr;
    const monitor::Clock* clock = nullptr;
    const monitor::Config* config = nullptr;
    std::function<nlohmann::json()> status;  // pipeline state for /api/v1/status
    std::function<bool()> ready;             // for /readyz
    InteractContext interact;                // chat clicks and the inbox; unset: not served
};

// The list of inbound adapters, one line each: POST /ingest/<source>.
std::vector<std::unique_ptr<Adapter>> builtin_adapters();

// The body of POST /api/v1/alerts/<id>/actions: {"action", "by", "reason"?, "for"?}.
monitor::Result<alerts::ActionRequest> parse_action_request(std::string_view body);
// POST /api/v1/silences {"matchers": {label: value}, "ends_at" | "for", "created_by",
// "comment"?}; the silence starts now.
monitor::Result<alerts::Silence> parse_silence_request(std::string_view body, std::int64_t now_ms);

// Installs /ingest/<source> for every adapter, /api/v1/*, /metrics, /healthz and /readyz.
void install_routes(HttpServer& server, const ApiContext& ctx,
                    std::vector<std::unique_ptr<Adapter>> adapters);

}  // namespace terrain::webhooks
