#include "webhooks/api.h"

#include <algorithm>
#include <memory>

#include "core/duration.h"
#include "core/log.h"
#include "core/matcher.h"
#include "webhooks/guard.h"
#include "webhooks/metrics.h"

namespace terrain::webhooks {

namespace {

// Per-source counters resolved once, so the hot path does not look up label sets.
struct SourceCounters {
    prometheus::Counter* ok;
    prometheus::Counter* refused_busy;
    prometheus::Counter* accepted;
    prometheus::Counter* duplicate;
    prometheus::Counter* ignored;
    prometheus::Counter* rejected;
};

constexpr std::size_t kMaxIdBytes = 256;

nlohmann::json error_json(const core::Error& e) {
    nlohmann::json body = {{"error", e.reason}, {"message", e.message}};
    if (e.index >= 0) {
        body["event"] = e.index;
    }
    if (!e.field.empty()) {
        body["field"] = e.field;
    }
    return body;
}

// The refused events of a batch, at most 100 named (the count is always whole).
nlohmann::json refused_json(const std::vector<core::Error>& refused) {
    nlohmann::json list = nlohmann::json::array();
    for (std::size_t i = 0; i < refused.size() && i < 100; ++i) {
        list.push_back(error_json(refused[i]));
    }
    return {{"count", refused.size()}, {"events", list}};
}

HttpResponse ingest(const Adapter& adapter, const ApiContext& ctx,
                    const std::vector<std::string>& labels, const SourceCounters& c,
                    const SourceGuard& guard, const HttpRequest& req) {
    auto& t = ctx.telemetry->of<IngestMetrics>();
    const std::string source(adapter.source());
    // Every refused request is counted the same way, whatever refused it.
    auto count_refused = [&](int status, const std::string& reason) {
        t.ingest_errors.Add({{"source", source}, {"reason", reason}}).Increment();
        t.ingest_requests.Add({{"source", source}, {"code", std::to_string(status)}}).Increment();
        c.rejected->Increment();
    };
    const std::int64_t now_ms = ctx.clock->now_ms();
    if (auto denied = guard.check(req, now_ms)) {
        auto r = unauthorized(*denied);
        count_refused(r.status, denied->reason);
        return r;
    }
    AdapterContext actx;
    actx.hasher = ctx.hasher;
    actx.now_ms = now_ms;
    actx.max_future_ms = ctx.config->pipeline.max_future_ms;
    actx.max_past_ms = ctx.config->pipeline.max_past_ms;
    actx.labels = &labels;
    auto parsed = adapter.parse(req.body, actx);
    if (!parsed.ok()) {
        const auto& e = parsed.error();
        count_refused(400, e.reason);
        return HttpResponse::json(400, error_json(e).dump());
    }
    Parsed& p = parsed.value();
    if (!p.confirm_url.empty()) {
        if (auto failed = guard.confirm(p.confirm_url)) {
            count_refused(400, failed->reason);
            return HttpResponse::error(400, failed->reason, failed->message);
        }
        core::log_info("ingest: " + source + ": subscription confirmed");
    }
    auto refuse = [&](int status, const std::string& reason, const std::string& message) {
        count_refused(status, reason);
        return HttpResponse::error(status, reason, message);
    };
    const std::size_t total = p.events.size() + p.refused.size();
    if (total > ctx.config->server.max_events_per_request) {
        return refuse(413, "too_many_events",
                      std::to_string(total) + " events in one request; the limit is " +
                          std::to_string(ctx.config->server.max_events_per_request) +
                          " (server.max_events_per_request)");
    }
    // An event id is kept in the event log: bounded like every other field.
    std::erase_if(p.events, [&](const core::Event& e) {
        if (e.id.size() <= kMaxIdBytes) {
            return false;
        }
        p.refused.push_back(core::Error{"bad_field",
                                           "an event id is longer than " +
                                               std::to_string(kMaxIdBytes) + " bytes",
                                           -1, "id"});
        return true;
    });
    if (p.events.empty() && !p.refused.empty()) {
        // Nothing usable: the request as a whole is refused, naming its first problem.
        const auto& first = p.refused.front();
        count_refused(400, first.reason);
        auto body = error_json(first);
        body["refused"] = refused_json(p.refused);
        return HttpResponse::json(400, body.dump());
    }
    auto outcome = ctx.intake->submit(source, std::move(p.events));
    if (!outcome.queued) {
        c.refused_busy->Increment();
        const bool log_failed = !outcome.error.empty();
        t.ingest_errors.Add({{"source", source}, {"reason", log_failed ? "log_write" : "queue_full"}})
            .Increment();
        if (log_failed) {
            core::log_error("ingest: " + outcome.error);
        }
        auto r = HttpResponse::error(
            503, log_failed ? "log_write" : "queue_full",
            log_failed ? "terrain cannot write its event log; nothing from this request was "
                         "accepted"
                       : "terrain is busy; nothing from this request was accepted, retry after "
                         "the given delay");
        r.headers.emplace_back("Retry-After", "1");
        return r;
    }
    c.ok->Increment();
    c.accepted->Increment(static_cast<double>(outcome.accepted));
    c.duplicate->Increment(static_cast<double>(outcome.duplicates));
    c.ignored->Increment(static_cast<double>(p.ignored));
    std::string answer = "{\"accepted\":" + std::to_string(outcome.accepted) +
                         ",\"duplicates\":" + std::to_string(outcome.duplicates) +
                         ",\"ignored\":" + std::to_string(p.ignored);
    if (!p.refused.empty()) {
        // The valid events are accepted (2xx, so the vendor does not send them again); each
        // refused one is counted by reason and named in the answer.
        c.rejected->Increment(static_cast<double>(p.refused.size()));
        for (const auto& e : p.refused) {
            t.events_refused.Add({{"source", source}, {"reason", e.reason}}).Increment();
        }
        answer += ",\"refused\":" + refused_json(p.refused).dump();
    }
    for (const auto& [key, value] : p.answer.items()) {
        answer += "," + nlohmann::json(key).dump() + ":" + value.dump();
    }
    return HttpResponse::json(200, answer + "}");
}

HttpResponse list_alerts(const ApiContext& ctx, const HttpRequest& req) {
    std::optional<alerts::AlertState> state;
    std::string s = req.query_param("state");
    if (s == "firing") {
        state = alerts::AlertState::kFiring;
    } else if (s == "resolved") {
        state = alerts::AlertState::kResolved;
    } else if (!s.empty()) {
        return HttpResponse::error(400, "bad_parameter",
                                   "state: '" + s + "' is not firing or resolved");
    }
    auto list = ctx.alerts->list(state);
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& a : list) {
        arr.push_back(alerts::to_json(a));
    }
    return HttpResponse::json(200, nlohmann::json{{"alerts", arr}}.dump());
}

nlohmann::json audit_json(const std::vector<core::Store::AuditEntry>& entries) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : entries) {
        arr.push_back({{"at", core::format_rfc3339_ms(e.at_ms)},
                       {"alert", e.alert_id},
                       {"action", e.action},
                       {"by", e.actor},
                       {"detail", e.detail},
                       {"result", e.result},
                       {"seq", e.seq},
                       {"prev_hash", e.prev_hash},
                       {"hash", e.hash}});
    }
    return nlohmann::json{{"entries", arr}};
}

core::Error fail(const char* reason, std::string message) {
    core::Error e;
    e.reason = reason;
    e.message = std::move(message);
    return e;
}

// An API request body: a JSON object whose string members are read with limits; the first
// problem is kept.
class Body final {
public:
    explicit Body(std::string_view text) : json_(nlohmann::json::parse(text, nullptr, false)) {
        if (json_.is_discarded()) {
            problem = fail("bad_json", "the body is not valid JSON");
        } else if (!json_.is_object()) {
            problem = fail("bad_json", "the body must be a JSON object");
        }
    }
    void read(const char* key, std::string& out, bool required, std::size_t max) {
        if (problem) {
            return;
        }
        auto it = json_.find(key);
        if (it == json_.end() || it->is_null()) {
            if (required) {
                problem = fail("missing_field", std::string("'") + key + "' is required");
            }
            return;
        }
        if (!it->is_string() || it->get_ref<const std::string&>().size() > max) {
            problem = fail("bad_field", std::string("'") + key + "' must be a string of at most " +
                                            std::to_string(max) + " characters");
            return;
        }
        out = it->get<std::string>();
    }
    const nlohmann::json& json() const { return json_; }
    std::optional<core::Error> problem;

private:
    nlohmann::json json_;
};

}  // namespace

core::Result<alerts::ActionRequest> parse_action_request(std::string_view text) {
    Body body(text);
    alerts::ActionRequest a;
    std::string duration;
    body.read("action", a.action, true, 64);
    body.read("by", a.actor, true, 128);
    body.read("reason", a.reason, false, 1000);
    body.read("for", duration, false, 32);
    if (body.problem) {
        return *body.problem;
    }
    if (a.actor.empty()) {
        return fail("missing_field", "'by' must name who is acting");
    }
    if (!duration.empty()) {
        auto ms = alerts::parse_snooze(duration);
        if (!ms) {
            return fail("bad_field",
                        "'for': '" + duration + "' is not a duration between 1s and 30d (e.g. 4h)");
        }
        a.duration_ms = *ms;
    }
    return a;
}

core::Result<alerts::Silence> parse_silence_request(std::string_view text,
                                                      std::int64_t now_ms) {
    Body body(text);
    alerts::Silence s;
    std::string ends_at;
    std::string duration;
    body.read("created_by", s.created_by, true, 128);
    body.read("comment", s.comment, false, 1000);
    body.read("ends_at", ends_at, false, 40);
    body.read("for", duration, false, 32);
    if (body.problem) {
        return *body.problem;
    }
    auto matchers = body.json().find("matchers");
    if (matchers == body.json().end() || !matchers->is_object() || matchers->empty() ||
        matchers->size() > 32) {
        return fail("missing_field",
                    "'matchers' must be an object of 1 to 32 label values, e.g. "
                    "{\"campaign\": \"spring-sale\"} or {\"campaign\": \"=~spring-.*\"} (metric, "
                    "detector, severity and team count as labels)");
    }
    for (const auto& [k, v] : matchers->items()) {
        if (!v.is_string() || k.size() > 64 || v.get_ref<const std::string&>().size() > 512) {
            return fail("bad_field", "matcher '" + k.substr(0, 64) +
                                         "' must be a label name with a string value");
        }
        if (const auto why = core::Matcher::error(v.get<std::string>())) {
            return fail("bad_field", "matcher '" + k + "': " + *why);
        }
        s.matchers.emplace_back(k, v.get<std::string>());
    }
    if (s.created_by.empty()) {
        return fail("missing_field", "'created_by' must name who silences");
    }
    if (ends_at.empty() == duration.empty()) {
        return fail("missing_field", "give the silence's end: 'ends_at' (RFC 3339) or 'for' (4h)");
    }
    constexpr std::int64_t kLongest = 90LL * 24 * 3'600'000;
    if (!duration.empty()) {
        auto ms = core::parse_duration_ms(duration);
        if (!ms || *ms <= 0 || *ms > kLongest) {
            return fail("bad_field", "'for': '" + duration + "' is not a duration up to 90d");
        }
        s.ends_ms = now_ms + *ms;
    } else {
        auto at = core::parse_rfc3339_ms(ends_at);
        if (!at || *at <= now_ms || *at > now_ms + kLongest) {
            return fail("bad_field", "'ends_at': '" + ends_at +
                                         "' is not an RFC 3339 time within the next 90 days");
        }
        s.ends_ms = *at;
    }
    s.starts_ms = now_ms;
    return s;
}

namespace {

// POST /api/v1/alerts/<id>/actions {"action": ..., "by": ..., "reason": ..., "for": "30m"}
HttpResponse act_on_alert(const ApiContext& ctx, const std::string& id, const HttpRequest& req) {
    auto parsed = parse_action_request(req.body);
    if (!parsed.ok()) {
        return HttpResponse::error(400, parsed.error().reason, parsed.error().message);
    }
    const alerts::ActionRequest& a = parsed.value();
    if (a.action == "snooze" && a.duration_ms > 0) {
        // Only what the inbox and the cards offer: a snooze is a choice from the menu.
        if (auto refused = ctx.interact.policy != nullptr
                               ? ctx.interact.policy->snooze_refused(a.duration_ms)
                               : std::nullopt) {
            return HttpResponse::error(
                400, "bad_field", "'for': " + core::format_duration_ms(a.duration_ms) + " " + *refused);
        }
    }
    auto r = ctx.alerts->act(id, a);
    if (r.status != 200) {
        return HttpResponse::error(r.status, r.error, r.message);
    }
    return HttpResponse::json(200, alerts::to_json(*r.alert).dump());
}

}  // namespace

namespace {

// POST /ingest/<source> for every source kind, guarded as its configuration says.
void install_ingest_routes(HttpServer& server, const ApiContext& ctx,
                           const SourceRegistry& sources) {
    auto labels = std::make_shared<std::vector<std::string>>(core::known_labels());
    labels->insert(labels->end(), ctx.config->extra_labels.begin(),
                   ctx.config->extra_labels.end());
    const auto guards = sources.guards(*ctx.config, ctx.store);
    for (const auto& kind : sources.kinds()) {
        std::shared_ptr<const Adapter> adapter = kind.adapter();
        const std::string source = kind.name;
        const auto guard = guards.at(source);
        auto& t = ctx.telemetry->of<IngestMetrics>();
        auto counter = [&](const char* result) {
            return &t.events_received.Add({{"source", source}, {"result", result}});
        };
        SourceCounters c{&t.ingest_requests.Add({{"source", source}, {"code", "200"}}),
                         &t.ingest_requests.Add({{"source", source}, {"code", "503"}}),
                         counter("accepted"),
                         counter("duplicate"),
                         counter("ignored"),
                         counter("rejected")};
        server.route("POST", "/ingest/" + source,
                     [adapter, ctx, labels, c, guard](const HttpRequest& req) {
                         return ingest(*adapter, ctx, *labels, c, *guard, req);
                     });
    }
}

// The API's routes need the API token (or a loopback client when none is configured); its
// writes take only JSON.
template <typename Handler>
HttpServer::Handler guarded(const std::shared_ptr<const SourceGuard>& api_guard,
                            const ApiContext& ctx, Handler handler) {
    return [api_guard, ctx, handler](const HttpRequest& req) {
        if (auto denied = api_guard->check(req, ctx.clock->now_ms())) {
            return unauthorized(*denied);
        }
        if (req.method == "POST") {
            if (auto refused = require_json(req)) {
                return *refused;
            }
        }
        return handler(req);
    };
}

// /api/v1/alerts, /api/v1/audit, /api/v1/silences, /api/v1/on_duty, /api/v1/dead-letters.
void install_alert_routes(HttpServer& server, const ApiContext& ctx,
                          const std::shared_ptr<const SourceGuard>& api_guard) {
    auto guarded = [&](auto handler) { return webhooks::guarded(api_guard, ctx, handler); };
    server.route("GET", "/api/v1/alerts",
                 guarded([ctx](const HttpRequest& req) { return list_alerts(ctx, req); }));
    static const std::string kAlertsPrefix = "/api/v1/alerts/";
    server.route("POST", kAlertsPrefix + "*", guarded([ctx](const HttpRequest& req) {
        std::string rest = req.path.substr(kAlertsPrefix.size());
        static const std::string kSuffix = "/actions";
        if (rest.size() <= kSuffix.size() ||
            rest.compare(rest.size() - kSuffix.size(), kSuffix.size(), kSuffix) != 0) {
            return HttpResponse::error(404, "not_found",
                                       "POST to /api/v1/alerts/<id>/actions to act on an alert");
        }
        return act_on_alert(ctx, rest.substr(0, rest.size() - kSuffix.size()), req);
    }));
    server.route("GET", "/api/v1/audit", guarded([ctx](const HttpRequest&) {
        auto j = audit_json(ctx.store->load_audit("", 1000));
        const std::int64_t broken = ctx.store->verify_audit();
        j["chain"] = broken == 0 ? nlohmann::json{{"intact", true}}
                                 : nlohmann::json{{"intact", false}, {"broken_at_seq", broken}};
        return HttpResponse::json(200, j.dump());
    }));
    server.route("GET", kAlertsPrefix + "*", guarded([ctx](const HttpRequest& req) {
        std::string id = req.path.substr(kAlertsPrefix.size());
        static const std::string kAudit = "/audit";
        if (id.size() > kAudit.size() &&
            id.compare(id.size() - kAudit.size(), kAudit.size(), kAudit) == 0) {
            id.resize(id.size() - kAudit.size());
            auto a = ctx.alerts->get(id);
            if (!a) {
                return HttpResponse::error(404, "not_found",
                                           "no alert with id or fingerprint '" + id + "'");
            }
            return HttpResponse::json(200, audit_json(ctx.store->load_audit(a->id, 1000)).dump());
        }
        auto a = ctx.alerts->get(id);
        if (!a) {
            return HttpResponse::error(404, "not_found", "no alert with id or fingerprint '" +
                                                             id + "'");
        }
        return HttpResponse::json(200, alerts::to_json(*a).dump());
    }));
    server.route("POST", "/api/v1/silences", guarded([ctx](const HttpRequest& req) {
        auto parsed = parse_silence_request(req.body, ctx.clock->now_ms());
        if (!parsed.ok()) {
            return HttpResponse::error(400, parsed.error().reason, parsed.error().message);
        }
        return HttpResponse::json(201, alerts::to_json(ctx.alerts->add_silence(parsed.value())).dump());
    }));
    server.route("GET", "/api/v1/silences", guarded([ctx](const HttpRequest&) {
        const std::int64_t now = ctx.clock->now_ms();
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& s : ctx.alerts->silences()) {
            auto j = alerts::to_json(s);
            j["active"] = s.active(now);
            arr.push_back(std::move(j));
        }
        return HttpResponse::json(200, nlohmann::json{{"silences", arr}}.dump());
    }));
    server.route("GET", "/api/v1/on_duty", guarded([ctx](const HttpRequest&) {
                     const std::int64_t now = ctx.clock->now_ms();
                     nlohmann::json shifts = nlohmann::json::array();
                     for (const auto& s : ctx.alerts->roster().shifts()) {
                         const auto& w = s.window.config();
                         shifts.push_back({{"name", w.name},
                                           {"when", s.window.schedule()},
                                           {"match", alerts::labels_json(w.match)},
                                           {"people", s.people},
                                           {"on_now", s.window.active(now)}});
                     }
                     return HttpResponse::json(200, nlohmann::json{{"shifts", shifts}}.dump());
                 }));
    static const std::string kSilencesPrefix = "/api/v1/silences/";
    server.route("DELETE", kSilencesPrefix + "*", guarded([ctx](const HttpRequest& req) {
        const std::string id = req.path.substr(kSilencesPrefix.size());
        std::string by = req.query_param("by").substr(0, 128);
        if (!ctx.alerts->expire_silence(id, by.empty() ? "api" : by)) {
            return HttpResponse::error(404, "not_found", "no active silence '" + id + "'");
        }
        return HttpResponse::json(200, nlohmann::json{{"expired", id}}.dump());
    }));
    server.route("GET", "/api/v1/dead-letters", guarded([ctx](const HttpRequest&) {
        nlohmann::json arr = nlohmann::json::array();
        for (const auto& d : ctx.store->load_dead_letters(1000)) {
            arr.push_back({{"at", core::format_rfc3339_ms(d.at_ms)},
                           {"receiver", d.receiver},
                           {"alert", d.alert_id},
                           {"transition", d.transition},
                           {"attempts", d.attempts},
                           {"error", d.error},
                           {"notification", nlohmann::json::parse(d.body, nullptr, false)}});
        }
        return HttpResponse::json(200, nlohmann::json{{"dead_letters", arr}}.dump());
    }));
}

// /api/v1/status, /metrics, /healthz, /readyz.
void install_ops_routes(HttpServer& server, const ApiContext& ctx,
                        const std::shared_ptr<const SourceGuard>& api_guard) {
    auto guarded = [&](auto handler) { return webhooks::guarded(api_guard, ctx, handler); };
    server.route("GET", "/api/v1/status", guarded([ctx](const HttpRequest&) {
                     return HttpResponse::json(200, ctx.status().dump());
                 }));
    if (ctx.reload) {
        // As Prometheus and Alertmanager: the file is checked as `terrain check` does; a bad
        // one is refused (400, the running configuration stays), a good one is loaded at once.
        // `curl -X POST .../-/reload` sends no body and no Content-Type: the token (or
        // loopback) is what it needs; a body, if any, must still be JSON.
        server.route("POST", "/-/reload", [api_guard, ctx](const HttpRequest& req) {
                         if (auto denied = api_guard->check(req, ctx.clock->now_ms())) {
                             return unauthorized(*denied);
                         }
                         if (auto refused = require_json(req); refused && !req.body.empty()) {
                             return *refused;
                         }
                         const ReloadAnswer a = ctx.reload();
                         if (!a.accepted) {
                             return HttpResponse::error(400, "config_refused", a.error);
                         }
                         return HttpResponse::json(
                             200, nlohmann::json{{"status", "reloading"}, {"hash", a.hash}}.dump());
                     });
    }
    if (ctx.suggestion) {
        // Sweeps the detector's main parameter over the history terrain holds (a replay per
        // setting): seconds on a large history.
        server.route("GET", "/api/v1/detectors/*", guarded([ctx](const HttpRequest& req) {
                         constexpr std::string_view kPrefix = "/api/v1/detectors/";
                         constexpr std::string_view kSuffix = "/suggestion";
                         const std::string_view path(req.path);
                         if (!path.ends_with(kSuffix) ||
                             path.size() <= kPrefix.size() + kSuffix.size()) {
                             return HttpResponse::error(
                                 404, "not_found",
                                 "use /api/v1/detectors/<metric>/<detector>/suggestion");
                         }
                         const std::string key(path.substr(
                             kPrefix.size(), path.size() - kPrefix.size() - kSuffix.size()));
                         const nlohmann::json found = ctx.suggestion(key);
                         if (found.is_null()) {
                             return HttpResponse::error(
                                 404, "no_verdicts",
                                 "no alert of " + key + " has a verdict to learn from");
                         }
                         return HttpResponse::json(200, found.dump());
                     }));
    }
    if (ctx.whatif) {
        server.route("POST", "/api/v1/whatif", guarded([ctx](const HttpRequest& req) {
                         const auto body = nlohmann::json::parse(req.body, nullptr, false);
                         if (!body.is_object() || !body.contains("config") ||
                             !body["config"].is_string()) {
                             return HttpResponse::error(
                                 400, "bad_field",
                                 "send {\"config\": \"<the candidate configuration as YAML>\"}");
                         }
                         try {
                             return HttpResponse::json(
                                 200, ctx.whatif(body["config"].get<std::string>()).dump());
                         } catch (const core::ConfigError& e) {
                             return HttpResponse::error(400, "config_refused", e.what());
                         }
                     }));
    }
    server.route("GET", "/metrics", [ctx](const HttpRequest&) {
        HttpResponse r;
        r.content_type = "text/plain; version=0.0.4; charset=utf-8";
        r.body = ctx.telemetry->serialize();
        return r;
    });
    server.route("GET", "/healthz", [](const HttpRequest&) {
        return HttpResponse::json(200, R"({"status":"ok"})");
    });
    server.route("GET", "/readyz", [ctx](const HttpRequest&) {
        if (ctx.ready()) {
            return HttpResponse::json(200, R"({"status":"ready"})");
        }
        return HttpResponse::error(503, "not_ready", "the pipeline is not running, its queue is full or the event log cannot be written");
    });
}

}  // namespace

namespace {

std::shared_ptr<const SourceGuard> api_guard_of(const ApiContext& ctx) {
    return std::make_shared<const SourceGuard>(
        "the API",
        ctx.config->api.token.empty() ? "" : core::resolve_secret(ctx.config->api.token),
        nullptr);
}

}  // namespace

void install_alerting_routes(HttpServer& server, const ApiContext& ctx) {
    const auto api_guard = api_guard_of(ctx);
    if (ctx.interact.overrides != nullptr) {
        install_interact_routes(server, ctx.interact, api_guard);
    }
    install_alert_routes(server, ctx, api_guard);
}

void install_routes(HttpServer& server, const ApiContext& ctx, const SourceRegistry& sources) {
    install_ingest_routes(server, ctx, sources);
    if (ctx.alerting) {
        // The same paths as the leader serves (its routes are installed once on a server that
        // never starts, only to learn them), each answered through ctx.alerting.
        HttpServer shapes({});
        ApiContext bare;
        bare.config = ctx.config;
        bare.interact.config = ctx.config;
        install_interact_routes(shapes, bare.interact, api_guard_of(ctx));
        install_alert_routes(shapes, bare, api_guard_of(ctx));
        for (const auto& route : shapes.routes()) {
            const auto space = route.find(' ');
            server.route(route.substr(0, space), route.substr(space + 1), ctx.alerting);
        }
    } else {
        install_alerting_routes(server, ctx);
    }
    install_ops_routes(server, ctx, api_guard_of(ctx));
}

}  // namespace terrain::webhooks
