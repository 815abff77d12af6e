#include "webhooks/sources/document.h"

#include <charconv>
#include <cmath>

#include "core/duration.h"

namespace terrain::webhooks {

using core::Error;

core::Result<nlohmann::json> parse_document(std::string_view body) {
    constexpr int kMaxDepth = 64;
    bool too_deep = false;
    nlohmann::json doc = nlohmann::json::parse(
        body,
        [&](int depth, nlohmann::json::parse_event_t, nlohmann::json&) {
            too_deep = too_deep || depth > kMaxDepth;
            return !too_deep;
        },
        false);
    if (too_deep) {
        return Error{"bad_json", "the body is nested more than 64 levels deep", -1, ""};
    }
    if (doc.is_discarded()) {
        return Error{"bad_json", "the body is not valid JSON (UTF-8)", -1, ""};
    }
    return doc;
}

std::string text_at(const nlohmann::json& object, std::string_view key) {
    if (!object.is_object()) {
        return "";
    }
    auto it = object.find(key);
    return it != object.end() && it->is_string() ? it->get<std::string>() : "";
}

core::Result<std::int64_t> event_time(const nlohmann::json* value, long index,
                                         const std::string& field, const AdapterContext& ctx) {
    if (value == nullptr || value->is_null()) {
        return event_error("missing_field", index, field, "missing");
    }
    std::optional<std::int64_t> ms;
    auto from_seconds = [](double s) -> std::optional<std::int64_t> {
        if (!std::isfinite(s) || s < 0 || s > 1e15) {
            return std::nullopt;
        }
        return static_cast<std::int64_t>(s > 1e11 ? s : s * 1000.0);
    };
    if (value->is_number()) {
        ms = from_seconds(value->get<double>());
    } else if (value->is_string()) {
        const auto& s = value->get_ref<const std::string&>();
        double d = 0;
        auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
        ms = (ec == std::errc() && p == s.data() + s.size()) ? from_seconds(d)
                                                             : core::parse_rfc3339_ms(s);
    }
    if (!ms) {
        return event_error("bad_field", index, field,
                           "expected an RFC 3339 time or UNIX seconds");
    }
    if (auto out_of_range = check_time(*ms, index, field, ctx)) {
        return *out_of_range;
    }
    return *ms;
}

core::Event email_event(const char* kind, core::Side side, std::int64_t time_ms,
                           std::string_view source, std::string_view campaign,
                           std::string_view address, std::string id, const AdapterContext& ctx) {
    core::Event e;
    e.time_ms = time_ms;
    e.kind = kind;
    e.side = side;
    e.labels.reserve(4);
    e.labels.emplace_back("source", std::string(source));
    e.labels.emplace_back("campaign", label_value(ctx, campaign.empty() ? "none" : campaign));
    e.labels.emplace_back("provider", mailbox_domain(address));
    if (!address.empty()) {
        e.subject = ctx.hasher->hash(address);
    }
    e.id = std::move(id);
    return e;
}

void set_message(core::Event& e, std::string_view vendor_message_id, std::string_view recipient,
                 const AdapterContext& ctx) {
    if (vendor_message_id.empty() || ctx.hasher == nullptr) {
        return;
    }
    // A namespace of its own, so that a message hash never equals a customer's subject hash.
    std::string basis = "message\x1f";
    basis.append(vendor_message_id).append("\x1f").append(recipient);
    e.message = ctx.hasher->hash(basis);
}

}  // namespace terrain::webhooks
