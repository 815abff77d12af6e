#include "webhooks/sources/adapter.h"

#include "core/duration.h"
#include "core/personal.h"

#include <cstring>

namespace terrain::webhooks {

std::optional<core::Error> check_time(std::int64_t time_ms, long index, const std::string& field,
                                         const AdapterContext& ctx) {
    if (time_ms > ctx.now_ms + ctx.max_future_ms) {
        return event_error("future_time", index, field,
                           core::format_rfc3339_ms(time_ms) + " is more than " +
                               core::format_duration_ms(ctx.max_future_ms) +
                               " ahead of terrain's clock (pipeline.max_future)");
    }
    if (time_ms < ctx.now_ms - ctx.max_past_ms) {
        return event_error("past_time", index, field,
                           core::format_rfc3339_ms(time_ms) + " is more than " +
                               core::format_duration_ms(ctx.max_past_ms) +
                               " behind terrain's clock (pipeline.max_past)");
    }
    return std::nullopt;
}

std::optional<core::Error> set_aside(Parsed& out, core::Error error) {
    if (error.reason == "bad_json" || error.index < 0) {
        return error;
    }
    out.refused.push_back(std::move(error));
    return std::nullopt;
}

core::Error event_error(std::string reason, long index, std::string field, std::string what) {
    core::Error e;
    e.reason = std::move(reason);
    e.index = index;
    e.field = std::move(field);
    // "event 3, field 'time': ..."; request-level problems (index -1) name only the field.
    if (index >= 0) {
        e.message = "event " + std::to_string(index);
    }
    if (!e.field.empty()) {
        e.message += (e.message.empty() ? "field '" : ", field '") + e.field + "'";
    }
    e.message += (e.message.empty() ? "" : ": ") + what;
    return e;
}

std::string lower(std::string s) {
    for (auto& c : s) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return s;
}

std::string mailbox_domain(std::string_view address) {
    auto at = address.rfind('@');
    if (at == std::string_view::npos || at + 1 >= address.size()) {
        return "unknown";
    }
    std::string domain(address.substr(at + 1));
    while (!domain.empty() && (domain.back() == ' ' || domain.back() == '>')) {
        domain.pop_back();
    }
    return core::label_value(lower(std::move(domain)), nullptr);
}

simdjson::padded_string_view padded_copy(std::string_view body) {
    thread_local std::string buffer;
    const std::size_t need = body.size() + simdjson::SIMDJSON_PADDING;
    if (buffer.size() < need) {
        buffer.resize(need);
    }
    std::memcpy(buffer.data(), body.data(), body.size());
    std::memset(buffer.data() + body.size(), 0, simdjson::SIMDJSON_PADDING);
    return simdjson::padded_string_view(buffer.data(), body.size(), buffer.size());
}

std::string label_value(const AdapterContext& ctx, std::string_view value) {
    return core::label_value(value, ctx.hasher);
}

}  // namespace terrain::webhooks
