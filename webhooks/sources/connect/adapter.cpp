#include "webhooks/sources/connect/adapter.h"
#include "webhooks/sources/registry.h"

#include <algorithm>

#include "webhooks/sources/document.h"

namespace terrain::webhooks {

namespace {

// The member `key` in either casing Connect's documentation shows (agentInfo / AgentInfo).
const nlohmann::json* member(const nlohmann::json& object, const std::string& key) {
    for (std::string k : {key, std::string(1, static_cast<char>(std::toupper(key[0]))) +
                                   key.substr(1)}) {
        if (auto it = object.find(k); it != object.end() && !it->is_null()) {
            return &*it;
        }
    }
    return nullptr;
}

std::optional<core::Error> one_contact(const nlohmann::json& event, long index,
                                          const AdapterContext& ctx, Parsed& out) {
    if (!event.is_object()) {
        return event_error("bad_json", index, "", "not a JSON object");
    }
    // The EventBridge envelope, or its bare detail as Connect's documentation shows it.
    const auto* detail = event.contains("eventType") ? &event : member(event, "detail");
    if (detail == nullptr || !detail->is_object()) {
        return event_error("missing_field", index, "detail",
                           "an Amazon Connect contact event carries its 'detail'");
    }
    const std::string type = text_at(*detail, "eventType");
    if (type.empty()) {
        return event_error("missing_field", index, "detail.eventType", "missing or not a string");
    }
    if (type != "DISCONNECTED") {
        ++out.ignored;
        return std::nullopt;
    }
    const auto* stamp = member(*detail, "disconnectTimestamp");
    auto time = event_time(stamp != nullptr ? stamp : member(event, "time"), index,
                           stamp != nullptr ? "detail.disconnectTimestamp" : "time", ctx);
    if (!time.ok()) {
        return time.error();
    }
    const std::string contact = text_at(*detail, "contactId");
    if (contact.empty()) {
        return event_error("missing_field", index, "detail.contactId", "missing or not a string");
    }
    const auto* queue = member(*detail, "queueInfo");
    const bool with_agent = member(*detail, "agentInfo") != nullptr;
    const char* outcome = with_agent ? "agent" : queue != nullptr ? "abandoned" : "self_served";
    std::string queue_name = "none";
    if (queue != nullptr) {
        const std::string arn = text_at(*queue, "queueArn");
        if (!arn.empty()) {
            queue_name = arn.substr(arn.rfind('/') == std::string::npos ? 0 : arn.rfind('/') + 1);
        }
    }
    const std::string channel = text_at(*detail, "channel");
    core::Labels labels = {{"source", "connect"},
                              {"channel", label_value(ctx, channel.empty() ? "unknown" : lower(channel))},
                              {"queue", label_value(ctx, queue_name)},
                              {"outcome", outcome},
                              {"region", label_value(ctx, text_at(event, "region").empty() ? "unknown" : text_at(event, "region"))}};
    add_contact_events(out, time.value(), labels, contact, "", with_agent, queue != nullptr);
    return std::nullopt;
}

}  // namespace

void add_contact_events(Parsed& out, std::int64_t time_ms, const core::Labels& labels,
                        const std::string& contact, const std::string& subject, bool with_agent,
                        bool queued) {
    auto add = [&](const char* kind, core::Side side) {
        core::Event e;
        e.time_ms = time_ms;
        e.kind = kind;
        e.side = side;
        e.labels = labels;
        e.id = contact + ":" + kind;
        e.subject = subject;
        out.events.push_back(std::move(e));
    };
    add("ivr.call", core::Side::kMap);
    if (with_agent) {
        add("ivr.zero_out", core::Side::kCustomer);
    } else if (queued) {
        add("ivr.abandon", core::Side::kCustomer);
    }
}

core::Result<Parsed> ConnectAdapter::parse(std::string_view body,
                                              const AdapterContext& ctx) const {
    auto doc = parse_document(body);
    if (!doc.ok()) {
        return doc.error();
    }
    const auto& root = doc.value();
    Parsed out;
    if (root.is_array()) {
        for (std::size_t i = 0; i < root.size(); ++i) {
            if (auto err = one_contact(root[i], static_cast<long>(i), ctx, out)) {
                if (auto stop = set_aside(out, std::move(*err))) {
                    return *stop;
                }
            }
        }
    } else if (auto err = one_contact(root, -1, ctx, out)) {
        return *err;
    }
    return out;
}

void register_connect(SourceRegistry& registry) {
    registry.add({"connect",
                  "Amazon Connect contact events through EventBridge (IVR and chat outcomes, abandons)",
                  {},
                  [] { return std::make_unique<ConnectAdapter>(); },
                  [](const core::Params&, std::int64_t) { return SourceSetup{}; }});
}

}  // namespace terrain::webhooks
