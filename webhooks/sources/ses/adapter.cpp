#include "webhooks/sources/ses/adapter.h"
#include "webhooks/sources/registry.h"
#include "webhooks/sources/ses/signature.h"
#include "core/url.h"

#include "webhooks/sources/document.h"

namespace terrain::webhooks {

using core::Side;

namespace {

struct SesKind {
    const char* kind;
    Side side;
    const char* section;     // the notification's member with the details ("bounce")
    const char* recipients;  // the list of recipients in it, or nullptr for mail.destination
};

const SesKind* ses_kind(const std::string& type) {
    static const SesKind kBounce{"email.bounce", Side::kMap, "bounce", "bouncedRecipients"};
    static const SesKind kComplaint{"email.complaint", Side::kCustomer, "complaint",
                                    "complainedRecipients"};
    static const SesKind kDelivery{"email.delivered", Side::kMap, "delivery", "recipients"};
    static const SesKind kSend{"email.processed", Side::kMap, "send", nullptr};
    static const SesKind kReject{"email.dropped", Side::kMap, "reject", nullptr};
    static const SesKind kOpen{"email.open", Side::kMap, "open", nullptr};
    static const SesKind kClick{"email.click", Side::kMap, "click", nullptr};
    if (type == "Bounce") return &kBounce;
    if (type == "Complaint") return &kComplaint;
    if (type == "Delivery") return &kDelivery;
    if (type == "Send") return &kSend;
    if (type == "Reject") return &kReject;
    if (type == "Open") return &kOpen;
    if (type == "Click") return &kClick;
    return nullptr;
}

std::string bounce_class(const nlohmann::json& bounce) {
    const std::string type = text_at(bounce, "bounceType");
    return type == "Permanent" ? "hard" : type == "Transient" ? "soft" : "undetermined";
}

// The campaign of a sent mail: its first "campaign" message tag.
std::string campaign_tag(const nlohmann::json& mail) {
    if (auto tags = mail.find("tags"); tags != mail.end() && tags->is_object()) {
        if (auto c = tags->find("campaign"); c != tags->end() && c->is_array() && !c->empty() &&
                                             c->front().is_string()) {
            return c->front().get<std::string>();
        }
    }
    return "";
}

// The recipients the notification is about: the detail's own list (bounced or complaining
// recipients), else every destination of the mail.
std::vector<std::string> recipients_of(const SesKind& kind, const nlohmann::json& detail,
                                       const nlohmann::json& mail) {
    std::vector<std::string> recipients;
    const nlohmann::json* list =
        kind.recipients != nullptr && detail.contains(kind.recipients)
            ? &detail[kind.recipients]
            : (mail.contains("destination") ? &mail["destination"] : nullptr);
    if (list != nullptr && list->is_array()) {
        for (const auto& r : *list) {
            recipients.push_back(r.is_string() ? r.get<std::string>() : text_at(r, "emailAddress"));
        }
    }
    return recipients;
}

}  // namespace

core::Result<Parsed> SesAdapter::parse(std::string_view body, const AdapterContext& ctx) const {
    auto doc = parse_document(body);
    if (!doc.ok()) {
        return doc.error();
    }
    const auto& envelope = doc.value();
    const std::string type = text_at(envelope, "Type");
    Parsed out;
    if (type == "SubscriptionConfirmation") {
        out.confirm_url = text_at(envelope, "SubscribeURL");
        if (out.confirm_url.empty()) {
            return event_error("missing_field", -1, "SubscribeURL",
                               "a subscription confirmation without a SubscribeURL");
        }
        return out;
    }
    if (type == "UnsubscribeConfirmation") {
        out.ignored = 1;
        return out;
    }
    if (type != "Notification") {
        return event_error("bad_field", -1, "Type",
                           "expected an SNS Notification, SubscriptionConfirmation or "
                           "UnsubscribeConfirmation");
    }
    auto message_text = envelope.find("Message");
    if (message_text == envelope.end() || !message_text->is_string()) {
        return event_error("missing_field", -1, "Message",
                           "an SNS notification carries the SES notification as a string");
    }
    auto inner = parse_document(message_text->get_ref<const std::string&>());
    if (!inner.ok() || !inner.value().is_object()) {
        return event_error("bad_json", -1, "Message", "is not a JSON SES notification");
    }
    const auto& n = inner.value();
    std::string ses_type = text_at(n, "notificationType");
    if (ses_type.empty()) {
        ses_type = text_at(n, "eventType");
    }
    const SesKind* kind = ses_kind(ses_type);
    if (kind == nullptr) {
        out.ignored = 1;
        return out;
    }
    static const nlohmann::json kEmpty = nlohmann::json::object();
    const auto& mail = n.contains("mail") && n["mail"].is_object() ? n["mail"] : kEmpty;
    const auto& detail =
        n.contains(kind->section) && n[kind->section].is_object() ? n[kind->section] : kEmpty;
    // The detail's own timestamp (when the bounce happened), else when the mail was sent.
    const std::string where = std::string("Message.") +
                              (detail.contains("timestamp") ? kind->section : "mail") +
                              ".timestamp";
    auto time = event_time(detail.contains("timestamp")  ? &detail["timestamp"]
                           : mail.contains("timestamp") ? &mail["timestamp"]
                                                        : nullptr,
                           -1, where, ctx);
    if (!time.ok()) {
        return time.error();
    }
    const std::string campaign = campaign_tag(mail);
    const std::vector<std::string> recipients = recipients_of(*kind, detail, mail);
    if (recipients.empty()) {
        return event_error("missing_field", -1, "Message.mail.destination",
                           "the SES notification names no recipient");
    }
    const std::string message_id = text_at(envelope, "MessageId");
    for (std::size_t i = 0; i < recipients.size(); ++i) {
        auto e = email_event(kind->kind, kind->side, time.value(), "ses", campaign, recipients[i],
                             message_id.empty() ? "" : message_id + ":" + std::to_string(i), ctx);
        if (kind->kind == std::string_view("email.bounce")) {
            e.labels.emplace_back("bounce_class", bounce_class(detail));
        }
        set_message(e, text_at(mail, "messageId"), recipients[i], ctx);
        out.events.push_back(std::move(e));
    }
    return out;
}

void register_ses(SourceRegistry& registry) {
    registry.add({"ses",
                  "Amazon SES notifications through Amazon SNS (Bounce, Complaint, Delivery)",
                  {{"verify_signature", "true/false",
                    "verify Amazon SNS signatures with Amazon's certificates (default false)"},
                   {"cert_origins", "list of origins",
                    "where SNS certificates and SubscribeURLs may come from (default "
                    "https://sns.*.amazonaws.com and https://sns.*.amazonaws.com.cn)"}},
                  [] { return std::make_unique<SesAdapter>(); },
                  [](const core::Params& p, std::int64_t max_age_ms) {
                      std::vector<std::string> origins = SnsSignatureDefaults::origins();
                      if (p.has("cert_origins")) {
                          origins = p.strings("cert_origins");
                      }
                      for (const auto& o : origins) {
                          if (auto rule = core::OriginRule::parse(o); !rule.ok()) {
                              p.fail("cert_origins",
                                     "'" + o.substr(0, 200) + "': " + rule.error().message);
                          }
                      }
                      SourceSetup s;
                      if (p.boolean("verify_signature", false)) {
                          s.verifier = std::make_unique<SnsSignature>(origins, max_age_ms);
                      }
                      s.confirm = [origins](const std::string& url) {
                          return confirm_subscription(url, origins);
                      };
                      return s;
                  }});
}

}  // namespace terrain::webhooks
