#include "webhooks/adapter.h"

#include <cstring>

namespace terrain::webhooks {

monitor::Error event_error(std::string reason, long index, std::string field, std::string what) {
    monitor::Error e;
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
    return bounded_label(lower(std::move(domain)));
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

std::string bounded_label(std::string_view value) {
    constexpr std::size_t kMax = 128;
    if (value.size() <= kMax) {
        return std::string(value);
    }
    std::size_t cut = kMax;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return std::string(value.substr(0, cut));
}

}  // namespace terrain::webhooks
