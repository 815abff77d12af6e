#include "webhooks/sources/sendgrid/adapter.h"
#include "webhooks/sources/registry.h"
#include "webhooks/sources/sendgrid/signature.h"

#include <simdjson.h>

#include <charconv>
#include <cmath>
#include <cstdio>

#include "core/duration.h"
#include "webhooks/sources/document.h"

namespace terrain::webhooks {

namespace ond = simdjson::ondemand;
using core::Error;
using core::Event;
using core::Side;

namespace {

struct KindInfo {
    const char* kind;
    Side side;
};

// Returns nullptr for event names terrain does not monitor.
const KindInfo* kind_for(std::string_view event) {
    static const KindInfo kProcessed{"email.processed", Side::kMap};
    static const KindInfo kDropped{"email.dropped", Side::kMap};
    static const KindInfo kDelivered{"email.delivered", Side::kMap};
    static const KindInfo kDeferred{"email.deferred", Side::kMap};
    static const KindInfo kBounce{"email.bounce", Side::kMap};
    static const KindInfo kOpen{"email.open", Side::kMap};
    static const KindInfo kClick{"email.click", Side::kMap};
    static const KindInfo kComplaint{"email.complaint", Side::kCustomer};
    static const KindInfo kUnsubscribe{"email.unsubscribe", Side::kCustomer};
    static const KindInfo kResubscribe{"email.resubscribe", Side::kCustomer};
    if (event == "processed") return &kProcessed;
    if (event == "delivered") return &kDelivered;
    if (event == "deferred") return &kDeferred;
    if (event == "bounce") return &kBounce;
    if (event == "dropped") return &kDropped;
    if (event == "open") return &kOpen;
    if (event == "click") return &kClick;
    if (event == "spamreport") return &kComplaint;
    if (event == "unsubscribe" || event == "group_unsubscribe") return &kUnsubscribe;
    if (event == "group_resubscribe") return &kResubscribe;
    return nullptr;
}

// Fields gathered from one event object in a single pass. The views point into the parser's
// string buffer, which lives until the next document, so they stay valid for the request.
struct Raw {
    std::string_view event;
    std::string_view email;
    std::string_view sg_event_id;
    std::string_view sg_message_id;
    std::string_view smtp_id;
    std::string_view type;
    std::string_view custom_campaign;
    std::string_view singlesend_name;
    std::string_view marketing_campaign_name;
    std::string_view first_category;
    std::string_view url;
    bool has_timestamp = false;
    double timestamp = 0;
};

enum class Key : std::uint8_t {
    kOther, kEvent, kEmail, kTimestamp, kSgEventId, kSgMessageId, kSmtpId, kType, kUrl,
    kCampaign, kSinglesendName, kMarketingCampaignName, kCategory
};

// Classifies a raw (still escaped) key by length first: one or two comparisons per field
// instead of a chain of a dozen.
Key classify(std::string_view k) {
    switch (k.size()) {
        case 3: return k == "url" ? Key::kUrl : Key::kOther;
        case 4: return k == "type" ? Key::kType : Key::kOther;
        case 5: return k == "event" ? Key::kEvent : k == "email" ? Key::kEmail : Key::kOther;
        case 7: return k == "smtp-id" ? Key::kSmtpId : Key::kOther;
        case 8: return k == "category" ? Key::kCategory : k == "campaign" ? Key::kCampaign : Key::kOther;
        case 9: return k == "timestamp" ? Key::kTimestamp : Key::kOther;
        case 11: return k == "sg_event_id" ? Key::kSgEventId : Key::kOther;
        case 13: return k == "sg_message_id" ? Key::kSgMessageId : Key::kOther;
        case 15: return k == "singlesend_name" ? Key::kSinglesendName : Key::kOther;
        case 23: return k == "marketing_campaign_name" ? Key::kMarketingCampaignName : Key::kOther;
        default: return Key::kOther;
    }
}

Error type_error(long index, std::string_view field, const char* want) {
    return event_error("bad_field", index, std::string(field), std::string("expected ") + want);
}

// False when the value is not a string.
bool read_string(ond::value v, std::string_view& out) { return v.get_string().get(out) == 0; }

// SendGrid sends seconds since the epoch, as a number or, from some integrations, a string.
std::optional<Error> read_timestamp(ond::value v, Raw& raw, long index, std::string_view key) {
    ond::json_type t;
    if (v.type().get(t)) {
        return event_error("bad_json", index, "timestamp", "malformed value");
    }
    double d = 0;
    if (t == ond::json_type::number) {
        if (v.get_double().get(d)) {
            return type_error(index, key, "a number");
        }
    } else if (t == ond::json_type::string) {
        std::string_view ts;
        if (v.get_string().get(ts)) {
            return type_error(index, key, "a number");
        }
        auto [p, ec] = std::from_chars(ts.data(), ts.data() + ts.size(), d);
        if (ec != std::errc() || p != ts.data() + ts.size()) {
            return type_error(index, key, "a number of seconds since the epoch");
        }
    } else {
        return type_error(index, key, "a number of seconds since the epoch");
    }
    raw.timestamp = d;
    return std::nullopt;
}

// A category is a string or an array of strings; the first one is kept.
std::optional<Error> read_category(ond::value v, Raw& raw, long index, std::string_view key) {
    ond::json_type t;
    if (v.type().get(t)) {
        return event_error("bad_json", index, "category", "malformed value");
    }
    if (t == ond::json_type::string) {
        if (!read_string(v, raw.first_category)) {
            return type_error(index, key, "a string");
        }
    } else if (t == ond::json_type::array) {
        ond::array arr;
        if (v.get_array().get(arr)) {
            return type_error(index, key, "a string or an array of strings");
        }
        for (auto item : arr) {
            std::string_view cs;
            if (item.get_string().get(cs)) {
                return type_error(index, key, "a string or an array of strings");
            }
            if (raw.first_category.empty()) {
                raw.first_category = cs;
            }
        }
    } else if (t != ond::json_type::null) {
        return type_error(index, key, "a string or an array of strings");
    }
    return std::nullopt;
}

std::optional<Error> read_event(ond::object obj, Raw& raw, long index) {
    std::uint32_t seen = 0;  // fields terrain reads may appear once
    for (auto field_result : obj) {
        ond::field field;
        if (std::move(field_result).get(field)) {
            return event_error("bad_json", index, "", "malformed object");
        }
        std::string_view key;
        if (field.unescaped_key().get(key)) {
            return event_error("bad_json", index, "", "malformed key");
        }
        ond::value v = field.value();
        bool ok = true;
        const Key kind = classify(key);
        if (kind != Key::kOther) {
            const std::uint32_t bit = 1U << static_cast<unsigned>(kind);
            if ((seen & bit) != 0) {
                return event_error("duplicate_key", index, std::string(key),
                                   "appears more than once in the event");
            }
            seen |= bit;
        }
        switch (kind) {
            case Key::kOther:
                break;
            case Key::kEvent:
                ok = read_string(v, raw.event);
                break;
            case Key::kEmail:
                ok = read_string(v, raw.email);
                break;
            case Key::kTimestamp:
                raw.has_timestamp = true;
                if (auto e = read_timestamp(v, raw, index, key)) {
                    return e;
                }
                break;
            case Key::kSgEventId:
                ok = read_string(v, raw.sg_event_id);
                break;
            case Key::kSgMessageId:
                ok = read_string(v, raw.sg_message_id);
                break;
            case Key::kSmtpId:
                ok = read_string(v, raw.smtp_id);
                break;
            case Key::kType:
                ok = read_string(v, raw.type);
                break;
            case Key::kUrl:
                ok = read_string(v, raw.url);
                break;
            case Key::kCampaign:
            case Key::kSinglesendName:
            case Key::kMarketingCampaignName: {
                // Custom args can carry any JSON; only strings name a campaign.
                std::string_view cs;
                if (!v.get_string().get(cs)) {
                    (kind == Key::kCampaign         ? raw.custom_campaign
                     : kind == Key::kSinglesendName ? raw.singlesend_name
                                                    : raw.marketing_campaign_name) = cs;
                }
                break;
            }
            case Key::kCategory:
                if (auto e = read_category(v, raw, index, key)) {
                    return e;
                }
                break;
        }
        // Every other field is skipped unread; ondemand validates it while skipping.
        if (!ok) {
            return type_error(index, key, "a string");
        }
    }
    return std::nullopt;
}

std::string hex64(std::uint64_t v) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
    return buf;
}

// The message an sg_message_id names: SendGrid appends the id of the filter server that handled
// the event ("14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
// "5lFl7Fr1Rjme_EyzNNB_5A.stfilter-015.5185.55F883172.0"), which differs between a message's
// events; the part before it is the message.
std::string_view message_of(std::string_view sg_message_id) {
    const auto filter = sg_message_id.find("filter");
    if (filter == std::string_view::npos) {
        return sg_message_id;
    }
    const auto dot = sg_message_id.rfind('.', filter);
    return dot == std::string_view::npos ? sg_message_id : sg_message_id.substr(0, dot);
}

core::Result<bool> normalise(const Raw& raw, long index, const AdapterContext& ctx,
                                Parsed& out) {
    if (raw.event.empty()) {
        return event_error("missing_field", index, "event", "missing (every SendGrid event has "
                                                            "an 'event' name)");
    }
    if (!raw.has_timestamp) {
        return event_error("missing_field", index, "timestamp", "missing");
    }
    if (!std::isfinite(raw.timestamp) || raw.timestamp < 0) {
        return event_error("bad_field", index, "timestamp", "not a valid time");
    }
    // Seconds normally; the Single Send example in SendGrid's docs uses milliseconds.
    const double ms = raw.timestamp > 1e11 ? raw.timestamp : raw.timestamp * 1000.0;
    if (ms > 1e15) {
        return event_error("bad_field", index, "timestamp", "not a valid time");
    }
    const auto time_ms = static_cast<std::int64_t>(ms);
    if (auto out_of_range = check_time(time_ms, index, "timestamp", ctx)) {
        return *out_of_range;
    }
    const KindInfo* kind = kind_for(raw.event);
    if (kind == nullptr) {
        ++out.ignored;
        return true;
    }
    Event e;
    e.time_ms = time_ms;
    e.kind = kind->kind;
    e.side = kind->side;
    e.labels.reserve(4);
    e.labels.emplace_back("source", "sendgrid");
    std::string_view campaign = !raw.custom_campaign.empty()          ? raw.custom_campaign
                                : !raw.singlesend_name.empty()         ? raw.singlesend_name
                                : !raw.marketing_campaign_name.empty() ? raw.marketing_campaign_name
                                : !raw.first_category.empty()          ? raw.first_category
                                                                       : "none";
    e.labels.emplace_back("campaign", label_value(ctx, campaign));
    e.labels.emplace_back("provider", mailbox_domain(raw.email));
    if (raw.event == "bounce") {
        e.labels.emplace_back("bounce_class", raw.type == "blocked" ? "block" : "hard");
    } else if (raw.event == "unsubscribe" || raw.event == "group_unsubscribe") {
        e.labels.emplace_back("unsubscribe_scope", raw.event == "unsubscribe" ? "all" : "group");
    }
    if (!raw.email.empty()) {
        e.subject = ctx.hasher->hash(raw.email);
    }
    set_message(e, message_of(raw.sg_message_id), raw.email, ctx);
    if (!raw.sg_event_id.empty()) {
        // Keyed by event name too: SendGrid's own example batch reuses one placeholder id for
        // eleven different events, while a real retry repeats both.
        e.id.reserve(raw.event.size() + 1 + raw.sg_event_id.size());
        e.id.append(raw.event).append(":").append(raw.sg_event_id);
    } else {
        static constexpr core::HashKey kIdKey = {'s', 'g', '-', 'f', 'a', 'l', 'l', 'b',
                                                    'a', 'c', 'k', '-', 'i', 'd', '0', '1'};
        std::string basis;
        basis.reserve(160);
        for (std::string_view part : {raw.event, raw.email, raw.sg_message_id, raw.smtp_id,
                                      raw.type, raw.url, raw.first_category}) {
            basis.append(part);
            basis.push_back('\x1f');
        }
        basis += std::to_string(time_ms);
        e.id = "h:" + hex64(core::siphash24(kIdKey, basis));
    }
    out.events.push_back(std::move(e));
    return true;
}

}  // namespace

core::Result<Parsed> SendgridAdapter::parse(std::string_view body,
                                               const AdapterContext& ctx) const {
    thread_local ond::parser parser;
    ond::document doc;
    if (parser.iterate(padded_copy(body)).get(doc)) {
        return Error{"bad_json", "body is not JSON", -1, ""};
    }
    Parsed out;
    out.events.reserve(body.size() / 200 + 1);
    ond::json_type t;
    if (doc.type().get(t)) {
        return Error{"bad_json", "body is not JSON", -1, ""};
    }
    auto handle = [&](ond::object obj, long index) -> std::optional<Error> {
        Raw raw;
        if (auto err = read_event(obj, raw, index)) {
            return err;
        }
        auto r = normalise(raw, index, ctx, out);
        if (!r.ok()) {
            return r.error();
        }
        return std::nullopt;
    };
    if (t == ond::json_type::object) {
        ond::object obj;
        if (doc.get_object().get(obj)) {
            return Error{"bad_json", "body is not a JSON object", -1, ""};
        }
        if (auto err = handle(obj, 0)) {
            return *err;
        }
    } else if (t == ond::json_type::array) {
        ond::array arr;
        if (doc.get_array().get(arr)) {
            return Error{"bad_json", "body is not a JSON array", -1, ""};
        }
        long index = 0;
        for (auto item : arr) {
            ond::object obj;
            if (item.get_object().get(obj)) {
                return event_error("bad_json", index, "", "not a JSON object");
            }
            if (auto err = handle(obj, index)) {
                if (auto stop = set_aside(out, std::move(*err))) {
                    return *stop;
                }
            }
            ++index;
        }
    } else {
        return Error{"bad_json", "body must be a JSON array of events or one event object", -1,
                     ""};
    }
    if (const char* rest = nullptr; !doc.current_location().get(rest)) {
        return Error{"bad_json", "unexpected content after the JSON document", -1, ""};
    }
    return out;
}

void register_sendgrid(SourceRegistry& registry) {
    registry.add({"sendgrid",
                  "SendGrid Event Webhook (delivered, bounce, spamreport, unsubscribe, ...)",
                  {{"public_key", "secret",
                    "the Signed Event Webhook's verification key (base64 DER, ECDSA P-256, "
                    "from SendGrid's Mail Settings)"}},
                  [] { return std::make_unique<SendgridAdapter>(); },
                  [](const core::Params& p, std::int64_t max_age_ms) {
                      SourceSetup s;
                      if (const std::string key = p.resolved("public_key"); !key.empty()) {
                          try {
                              s.verifier = std::make_unique<SendgridSignature>(key, max_age_ms);
                          } catch (const std::invalid_argument& e) {
                              p.fail("public_key", e.what());
                          }
                      }
                      return s;
                  }});
}

}  // namespace terrain::webhooks
