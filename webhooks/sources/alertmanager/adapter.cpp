#include "webhooks/sources/alertmanager/adapter.h"
#include "webhooks/sources/registry.h"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "core/duration.h"

namespace terrain::webhooks {

using core::Error;
using core::Event;

namespace {

constexpr std::size_t kMaxAlerts = 10'000;

std::optional<Error> read_alert(const nlohmann::json& a, long index, const AdapterContext& ctx,
                                Parsed& out) {
    if (!a.is_object()) {
        return event_error("bad_field", index, "", "each alert must be an object");
    }
    auto str = [&](const char* key) -> std::string {
        auto it = a.find(key);
        return it != a.end() && it->is_string() ? it->get<std::string>() : std::string();
    };
    const std::string status = str("status");
    if (status != "firing" && status != "resolved") {
        return event_error("bad_field", index, "status", "expected \"firing\" or \"resolved\"");
    }
    const char* time_key = status == "firing" ? "startsAt" : "endsAt";
    auto time = core::parse_rfc3339_ms(str(time_key));
    if (!time || *time <= 0) {
        return event_error("bad_field", index, time_key, "expected an RFC 3339 time");
    }
    if (auto out_of_range = check_time(*time, index, time_key, ctx)) {
        return *out_of_range;
    }
    auto labels = a.find("labels");
    if (labels == a.end() || !labels->is_object()) {
        return event_error("missing_field", index, "labels", "expected an object of labels");
    }
    Event e;
    e.time_ms = *time;
    e.kind = "alert." + status;
    e.side = core::Side::kMap;
    for (const auto& [k, v] : labels->items()) {
        if (!v.is_string()) {
            return event_error("bad_field", index, "labels." + k, "label values are strings");
        }
        const auto& value = v.get_ref<const std::string&>();
        if (k == "side") {
            e.side = value == "customer" ? core::Side::kCustomer : core::Side::kMap;
        } else if (k == "alertname") {
            core::set_label(e.labels, "topic", label_value(ctx, value));
        } else if (k != "source" && k != "topic" &&
                   std::find(ctx.labels->begin(), ctx.labels->end(), k) != ctx.labels->end()) {
            core::set_label(e.labels, k, label_value(ctx, value));
        }
    }
    core::set_label(e.labels, "source", "alertmanager");
    std::string fp = str("fingerprint");
    if (fp.empty()) {
        fp = labels->dump();  // the label set identifies the alert
    }
    e.id = fp + ":" + status + ":" + std::to_string(*time);
    out.events.push_back(std::move(e));
    return std::nullopt;
}

}  // namespace

core::Result<Parsed> AlertmanagerAdapter::parse(std::string_view body,
                                                   const AdapterContext& ctx) const {
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(body);
    } catch (const nlohmann::json::exception&) {
        return event_error("bad_json", -1, "", "the body is not valid JSON");
    }
    if (!doc.is_object()) {
        return event_error("bad_json", -1, "", "expected Alertmanager's webhook object");
    }
    auto version = doc.find("version");
    if (version == doc.end() || !version->is_string() || *version != "4") {
        return event_error("bad_version", -1, "version",
                           "expected Alertmanager webhook payload version \"4\"");
    }
    auto alerts = doc.find("alerts");
    if (alerts == doc.end() || !alerts->is_array()) {
        return event_error("missing_field", -1, "alerts", "expected an array of alerts");
    }
    if (alerts->size() > kMaxAlerts) {
        return event_error("too_many_events", -1, "alerts",
                           "more than " + std::to_string(kMaxAlerts) + " alerts in one request");
    }
    Parsed out;
    out.events.reserve(alerts->size());
    long index = 0;
    for (const auto& a : *alerts) {
        if (auto e = read_alert(a, index++, ctx, out)) {
            if (auto stop = set_aside(out, std::move(*e))) {
                return *stop;
            }
        }
    }
    return out;
}

void register_alertmanager(SourceRegistry& registry) {
    registry.add({"alertmanager",
                  "Prometheus Alertmanager webhooks: firing alerts of other systems as events",
                  {},
                  [] { return std::make_unique<AlertmanagerAdapter>(); },
                  [](const core::Params&, std::int64_t) { return SourceSetup{}; }});
}

}  // namespace terrain::webhooks
