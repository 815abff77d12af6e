#include "webhooks/sources/postmark/adapter.h"
#include "webhooks/sources/registry.h"

#include "webhooks/sources/document.h"

namespace terrain::webhooks {

using core::Side;

namespace {

struct Outcome {
    const char* kind = nullptr;  // nullptr: ignored
    Side side = Side::kMap;
    const char* bounce_class = nullptr;
};

// Postmark's BounceTypeCode values.
Outcome bounce_outcome(long code) {
    switch (code) {
        case 1:       // HardBounce
        case 100000:  // BadEmailAddress
            return {"email.bounce", Side::kMap, "hard"};
        case 2:     // Transient
        case 256:   // DnsError
        case 4096:  // SoftBounce
            return {"email.bounce", Side::kMap, "soft"};
        case 100006:  // Blocked
        case 100009:  // DMARCPolicy
            return {"email.bounce", Side::kMap, "block"};
        case 100001:  // SpamComplaint
            return {"email.complaint", Side::kCustomer, nullptr};
        case 16:  // Unsubscribe
            return {"email.unsubscribe", Side::kCustomer, nullptr};
        default:
            return {};
    }
}

}  // namespace

core::Result<Parsed> PostmarkAdapter::parse(std::string_view body,
                                               const AdapterContext& ctx) const {
    auto doc = parse_document(body);
    if (!doc.ok()) {
        return doc.error();
    }
    const auto& r = doc.value();
    if (!r.is_object()) {
        return event_error("bad_json", -1, "", "a Postmark webhook body is one JSON object");
    }
    std::string record = text_at(r, "RecordType");
    if (record.empty() && r.contains("TypeCode")) {
        record = "Bounce";
    }
    Outcome o;
    const char* time_field = nullptr;
    if (record == "Delivery") {
        o = {"email.delivered", Side::kMap, nullptr};
        time_field = "DeliveredAt";
    } else if (record == "Bounce") {
        const auto code = r.find("TypeCode");
        if (code == r.end() || !code->is_number_integer()) {
            return event_error("missing_field", -1, "TypeCode", "a bounce needs its integer code");
        }
        o = bounce_outcome(code->get<long>());
        time_field = "BouncedAt";
    } else if (record == "SpamComplaint") {
        o = {"email.complaint", Side::kCustomer, nullptr};
        time_field = "BouncedAt";
    } else if (record == "Open") {
        o = {"email.open", Side::kMap, nullptr};
        time_field = "ReceivedAt";
    } else if (record == "Click") {
        o = {"email.click", Side::kMap, nullptr};
        time_field = "ReceivedAt";
    } else if (record == "SubscriptionChange") {
        const auto suppress = r.find("SuppressSending");
        o = {suppress != r.end() && suppress->is_boolean() && !suppress->get<bool>()
                 ? "email.resubscribe"
                 : "email.unsubscribe",
             Side::kCustomer, nullptr};
        time_field = "ChangedAt";
    } else if (record.empty()) {
        return event_error("missing_field", -1, "RecordType", "missing or not a string");
    }
    Parsed out;
    if (o.kind == nullptr) {
        out.ignored = 1;
        return out;
    }
    auto time = event_time(r.contains(time_field) ? &r[time_field] : nullptr, -1, time_field, ctx);
    if (!time.ok()) {
        return time.error();
    }
    std::string campaign;
    if (auto m = r.find("Metadata"); m != r.end()) {
        campaign = text_at(*m, "campaign");
    }
    if (campaign.empty()) {
        campaign = text_at(r, "Tag");
    }
    std::string address = text_at(r, "Email");
    if (address.empty()) {
        address = text_at(r, "Recipient");
    }
    std::string id;
    if (auto bounce_id = r.find("ID"); bounce_id != r.end() && bounce_id->is_number_integer()) {
        id = record + ":" + std::to_string(bounce_id->get<long long>());
    } else if (const std::string message = text_at(r, "MessageID"); !message.empty()) {
        id = record + ":" + message + ":" + std::to_string(time.value());
    }
    auto e = email_event(o.kind, o.side, time.value(), "postmark", campaign, address, id, ctx);
    if (o.bounce_class != nullptr) {
        e.labels.emplace_back("bounce_class", o.bounce_class);
    }
    set_message(e, text_at(r, "MessageID"), address, ctx);
    out.events.push_back(std::move(e));
    return out;
}

void register_postmark(SourceRegistry& registry) {
    registry.add({"postmark",
                  "Postmark webhooks (Delivery, Bounce, SpamComplaint, SubscriptionChange); authenticate with the token as Basic password",
                  {},
                  [] { return std::make_unique<PostmarkAdapter>(); },
                  [](const core::Params&, std::int64_t) { return SourceSetup{}; }});
}

}  // namespace terrain::webhooks
