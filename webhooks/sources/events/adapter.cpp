#include "webhooks/sources/events/adapter.h"
#include "webhooks/sources/registry.h"

#include <simdjson.h>

#include <algorithm>
#include <cmath>

#include "core/config.h"
#include "core/duration.h"

namespace terrain::webhooks {

namespace ond = simdjson::ondemand;
using core::Error;
using core::Event;

namespace {

bool valid_kind(std::string_view k) {
    if (k.empty() || k.size() > 64 || k.front() == '.' || k.back() == '.') {
        return false;
    }
    char prev = 0;
    for (char c : k) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.';
        if (!ok || (c == '.' && prev == '.')) {
            return false;
        }
        prev = c;
    }
    return true;
}

std::optional<Error> read_one(ond::object obj, long index, const AdapterContext& ctx,
                              Parsed& out) {
    static const std::vector<std::string> kFields = {"time",  "kind", "side",   "labels",
                                                     "value", "id",   "subject"};
    Event e;
    bool has_time = false;
    bool has_side = false;
    std::uint32_t seen = 0;
    for (auto field_result : obj) {
        ond::field field;
        std::string_view key;
        if (std::move(field_result).get(field) || field.unescaped_key().get(key)) {
            return event_error("bad_json", index, "", "malformed object");
        }
        if (auto known = std::find(kFields.begin(), kFields.end(), key); known != kFields.end()) {
            const std::uint32_t bit = 1U << (known - kFields.begin());
            if ((seen & bit) != 0) {
                return event_error("duplicate_key", index, std::string(key),
                                   "appears more than once in the event");
            }
            seen |= bit;
        }
        ond::value v = field.value();
        ond::json_type t;
        if (v.type().get(t)) {
            return event_error("bad_json", index, std::string(key), "malformed value");
        }
        if (key == "time") {
            has_time = true;
            if (t == ond::json_type::number) {
                double d = 0;
                if (v.get_double().get(d) || !std::isfinite(d) || d < 0 || d > 1e15) {
                    return event_error("bad_field", index, "time",
                                       "expected milliseconds since the epoch");
                }
                e.time_ms = static_cast<std::int64_t>(d);
            } else if (t == ond::json_type::string) {
                std::string_view s;
                std::optional<std::int64_t> ms;
                if (v.get_string().get(s) || !(ms = core::parse_rfc3339_ms(s))) {
                    return event_error("bad_field", index, "time",
                                       "expected an RFC 3339 time such as 2026-11-23T10:00:00Z");
                }
                e.time_ms = *ms;
            } else {
                return event_error("bad_field", index, "time",
                                   "expected milliseconds since the epoch or an RFC 3339 string");
            }
        } else if (key == "kind") {
            std::string_view s;
            if (v.get_string().get(s) || !valid_kind(s)) {
                return event_error("bad_field", index, "kind",
                                   "expected a dotted lower-case name such as ticket.created");
            }
            e.kind = s;
        } else if (key == "side") {
            std::string_view s;
            if (v.get_string().get(s) || (s != "map" && s != "customer")) {
                return event_error("bad_field", index, "side", "expected \"map\" or \"customer\"");
            }
            e.side = s == "map" ? core::Side::kMap : core::Side::kCustomer;
            has_side = true;
        } else if (key == "value") {
            double d = 0;
            if (t != ond::json_type::number || v.get_double().get(d) || !std::isfinite(d)) {
                return event_error("bad_field", index, "value", "expected a finite number");
            }
            e.value = d;
        } else if (key == "id") {
            std::string_view s;
            if (v.get_string().get(s) || s.empty() || s.size() > 256) {
                return event_error("bad_field", index, "id", "expected a string of 1-256 bytes");
            }
            e.id = s;
        } else if (key == "subject") {
            std::string_view s;
            if (v.get_string().get(s) || s.size() > 320) {
                return event_error("bad_field", index, "subject",
                                   "expected a string of at most 320 bytes");
            }
            e.subject = ctx.hasher->hash(s);
        } else if (key == "labels") {
            ond::object labels;
            if (t != ond::json_type::object || v.get_object().get(labels)) {
                return event_error("bad_field", index, "labels",
                                   "expected an object of label names to strings");
            }
            for (auto lf : labels) {
                ond::field label;
                std::string_view name;
                std::string_view value;
                if (std::move(lf).get(label) || label.unescaped_key().get(name)) {
                    return event_error("bad_json", index, "labels", "malformed object");
                }
                std::string path = "labels." + std::string(name);
                if (std::find(ctx.labels->begin(), ctx.labels->end(), name) ==
                    ctx.labels->end()) {
                    return event_error("unknown_label", index, path,
                                       "unknown label" +
                                           core::suggest(name, *ctx.labels) +
                                           " (declare it under 'labels' in the configuration)");
                }
                if (label.value().get_string().get(value)) {
                    return event_error("bad_field", index, path, "expected a string");
                }
                if (core::find_label(e.labels, name) != nullptr) {
                    return event_error("bad_field", index, path, "given twice");
                }
                e.labels.emplace_back(std::string(name), label_value(ctx, value));
            }
        } else {
            return event_error("unknown_field", index, std::string(key),
                               "unknown field" + core::suggest(key, kFields));
        }
    }
    if (!has_time) {
        return event_error("missing_field", index, "time", "missing");
    }
    if (e.kind.empty()) {
        return event_error("missing_field", index, "kind", "missing");
    }
    if (!has_side) {
        return event_error("missing_field", index, "side", "missing (map or customer)");
    }
    if (auto out_of_range = check_time(e.time_ms, index, "time", ctx)) {
        return out_of_range;
    }
    if (core::find_label(e.labels, "source") == nullptr) {
        e.labels.emplace_back("source", "events");
    }
    out.events.push_back(std::move(e));
    return std::nullopt;
}

std::optional<Error> parse_document(ond::parser& parser, std::string_view text, long& index,
                                    bool allow_array, const AdapterContext& ctx, Parsed& out) {
    ond::document doc;
    ond::json_type t;
    if (parser.iterate(padded_copy(text)).get(doc) || doc.type().get(t)) {
        return event_error("bad_json", index, "", "not valid JSON");
    }
    if (t == ond::json_type::array && allow_array) {
        ond::array arr;
        if (doc.get_array().get(arr)) {
            return Error{"bad_json", "body is not a JSON array", -1, ""};
        }
        for (auto item : arr) {
            ond::object obj;
            if (item.get_object().get(obj)) {
                return event_error("bad_json", index, "", "not a JSON object");
            }
            if (auto err = read_one(obj, index, ctx, out)) {
                if (auto stop = set_aside(out, std::move(*err))) {
                    return stop;
                }
            }
            ++index;
        }
    } else if (t == ond::json_type::object) {
        ond::object obj;
        if (doc.get_object().get(obj)) {
            return event_error("bad_json", index, "", "not valid JSON (expected one object)");
        }
        if (auto err = read_one(obj, index, ctx, out)) {
            if (auto stop = set_aside(out, std::move(*err))) {
                return stop;
            }
            ++index;
            return std::nullopt;  // the object was left part-read: its line is done with
        }
        ++index;
    } else {
        return event_error("bad_json", index, "", "expected a JSON object");
    }
    if (const char* rest = nullptr; !doc.current_location().get(rest)) {
        return event_error("bad_json", index, "", "unexpected content after the JSON value");
    }
    return std::nullopt;
}

}  // namespace

core::Result<Parsed> EventsAdapter::parse(std::string_view body,
                                             const AdapterContext& ctx) const {
    thread_local ond::parser parser;
    Parsed out;
    long index = 0;
    std::size_t first = body.find_first_not_of(" \t\r\n");
    if (first == std::string_view::npos) {
        return Error{"empty_body", "body is empty; send a JSON array or NDJSON events", -1, ""};
    }
    if (body[first] == '[') {
        if (auto err = parse_document(parser, body, index, true, ctx, out)) {
            return *err;
        }
        return out;
    }
    std::size_t pos = 0;
    while (pos < body.size()) {
        std::size_t nl = body.find('\n', pos);
        std::string_view line =
            body.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
        pos = nl == std::string_view::npos ? body.size() : nl + 1;
        if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
            continue;
        }
        if (auto err = parse_document(parser, line, index, false, ctx, out)) {
            return *err;
        }
    }
    return out;
}

void register_events(SourceRegistry& registry) {
    registry.add({"events",
                  "terrain's own event format: one JSON event or an array, for any MAP or tool",
                  {},
                  [] { return std::make_unique<EventsAdapter>(); },
                  [](const core::Params&, std::int64_t) { return SourceSetup{}; }});
}

}  // namespace terrain::webhooks
