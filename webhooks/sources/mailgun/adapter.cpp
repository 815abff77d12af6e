#include "webhooks/sources/mailgun/adapter.h"
#include "webhooks/sources/registry.h"
#include "webhooks/sources/mailgun/signature.h"

#include "webhooks/sources/document.h"

namespace terrain::webhooks {

using core::Side;

namespace {

// The first string of an array (tags, campaigns) or "" .
std::string first_string(const nlohmann::json& data, std::string_view key, const char* member) {
    auto it = data.find(key);
    if (it == data.end() || !it->is_array() || it->empty()) {
        return "";
    }
    const auto& first = it->front();
    return member == nullptr ? (first.is_string() ? first.get<std::string>() : "")
                             : text_at(first, member);
}

}  // namespace

core::Result<Parsed> MailgunAdapter::parse(std::string_view body,
                                              const AdapterContext& ctx) const {
    auto doc = parse_document(body);
    if (!doc.ok()) {
        return doc.error();
    }
    const auto& root = doc.value();
    auto it = root.is_object() ? root.find("event-data") : root.end();
    if (!root.is_object() || it == root.end() || !it->is_object()) {
        return event_error("missing_field", -1, "event-data",
                           "a Mailgun webhook body is an object with 'signature' and "
                           "'event-data'");
    }
    const auto& data = *it;
    const std::string event = text_at(data, "event");
    if (event.empty()) {
        return event_error("missing_field", 0, "event-data.event", "missing or not a string");
    }
    auto time = event_time(data.contains("timestamp") ? &data["timestamp"] : nullptr, 0,
                           "event-data.timestamp", ctx);
    if (!time.ok()) {
        return time.error();
    }
    Parsed out;
    const char* kind = nullptr;
    Side side = Side::kMap;
    std::string bounce_class;
    const std::string reason = text_at(data, "reason");
    if (event == "accepted") {
        kind = "email.processed";
    } else if (event == "delivered") {
        kind = "email.delivered";
    } else if (event == "failed") {
        const std::string severity = text_at(data, "severity");
        if (severity == "temporary") {
            kind = "email.deferred";
        } else if (reason.rfind("suppress-", 0) == 0) {
            kind = "email.dropped";
        } else {
            kind = "email.bounce";
            bounce_class = "hard";
        }
    } else if (event == "rejected") {
        kind = "email.dropped";
    } else if (event == "opened") {
        kind = "email.open";
    } else if (event == "clicked") {
        kind = "email.click";
    } else if (event == "complained") {
        kind = "email.complaint";
        side = Side::kCustomer;
    } else if (event == "unsubscribed") {
        kind = "email.unsubscribe";
        side = Side::kCustomer;
    } else {
        out.ignored = 1;
        return out;
    }
    std::string campaign;
    if (auto uv = data.find("user-variables"); uv != data.end()) {
        campaign = text_at(*uv, "campaign");
    }
    if (campaign.empty()) {
        campaign = first_string(data, "tags", nullptr);
    }
    if (campaign.empty()) {
        campaign = first_string(data, "campaigns", "name");
    }
    const std::string id = text_at(data, "id");
    const std::string event_id =
        id.empty() ? "" : event + ":" + id + ":" + std::to_string(time.value() / 86'400'000);
    auto e = email_event(kind, side, time.value(), "mailgun", campaign, text_at(data, "recipient"),
                         event_id, ctx);
    if (!bounce_class.empty()) {
        e.labels.emplace_back("bounce_class", bounce_class);
    }
    if (auto message = data.find("message"); message != data.end() && message->is_object()) {
        if (auto headers = message->find("headers"); headers != message->end()) {
            set_message(e, text_at(*headers, "message-id"), text_at(data, "recipient"), ctx);
        }
    }
    out.events.push_back(std::move(e));
    return out;
}

void register_mailgun(SourceRegistry& registry) {
    registry.add({"mailgun",
                  "Mailgun webhooks (delivered, failed, complained, unsubscribed, ...)",
                  {{"signing_key", "secret", "the HTTP webhook signing key (Mailgun: Sending, Webhooks)"}},
                  [] { return std::make_unique<MailgunAdapter>(); },
                  [](const core::Params& p, std::int64_t max_age_ms) {
                      SourceSetup s;
                      if (std::string key = p.resolved("signing_key"); !key.empty()) {
                          s.verifier = std::make_unique<MailgunSignature>(std::move(key), max_age_ms);
                      }
                      return s;
                  }});
}

}  // namespace terrain::webhooks
