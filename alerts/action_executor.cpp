#include "alerts/action_executor.h"

#include "alerts/policy.h"
#include "core/template.h"
#include "core/json_poster.h"

namespace terrain::alerts {

HttpExecutor::HttpExecutor(const std::vector<core::ActionConfig>& actions) {
    for (const auto& a : actions) {
        for (const auto& [name, ref] : a.secrets) {
            secrets_[a.name][name] = core::resolve_secret(ref);
        }
    }
}

core::Result<RenderedCall> HttpExecutor::render(const core::ActionConfig& action,
                                                   const alerts::Alert& alert,
                                                   const std::string& person,
                                                   const std::string& key, bool revert,
                                                   bool mask_secrets) const {
    const core::HttpCallConfig& call = revert ? *action.revert : action.call;
    auto lookup = [&](const std::string& name) -> std::optional<std::string> {
        if (name.rfind("secret.", 0) == 0) {
            if (mask_secrets) {
                return "****";
            }
            auto a = secrets_.find(action.name);
            if (a == secrets_.end()) {
                return std::nullopt;
            }
            auto s = a->second.find(name.substr(7));
            return s == a->second.end() ? std::nullopt : std::optional<std::string>(s->second);
        }
        return alerts::alert_placeholder(alert, name, person, key);
    };
    RenderedCall out;
    out.method = call.method;
    auto url = core::render_template(call.url, lookup, core::Escape::kUrl);
    if (!url) {
        return url.error();
    }
    out.url = url.value();
    for (const auto& [name, value] : call.headers) {
        auto v = core::render_template(value, lookup, core::Escape::kHeader);
        if (!v) {
            return v.error();
        }
        out.headers.emplace_back(name, v.value());
    }
    out.headers.emplace_back("Idempotency-Key", key);
    auto body = core::render_template(call.body, lookup, core::Escape::kJson);
    if (!body) {
        return body.error();
    }
    out.body = body.value();
    return out;
}

alerts::Executor::Outcome HttpExecutor::run(const core::ActionConfig& action,
                                            const alerts::Alert& alert, const std::string& person,
                                            const std::string& key, bool revert) {
    if (revert && !action.revert) {
        return {false, false, "'" + action.name + "' has no revert request"};
    }
    const bool dry = action.executor == "dry_run";
    auto call = render(action, alert, person, key, revert, dry);
    if (!call) {
        return {false, false, "cannot build the request: " + call.error().message};
    }
    const auto& c = call.value();
    if (dry) {
        return {true, false,
                "dry run, nothing sent: would " + c.method + " " + c.url +
                    (c.body.empty() ? "" : " " + c.body)};
    }
    const core::HttpReply reply = core::http_call(c.method, c.url, c.headers, c.body, action.timeout_ms);
    return {reply.ok(), reply.retryable(), reply.describe()};
}

}  // namespace terrain::alerts
