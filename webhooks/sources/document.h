#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Helpers for the adapters of sources that send one event, or a few, per request (Mailgun,
// SES, Postmark, Zendesk, Connect): there a JSON document is simpler than simdjson's
// on-demand reader and costs nothing that matters.

// The body as a document; refused (bad_json) when it is not JSON, not UTF-8, or nested more
// than 64 levels deep.
core::Result<nlohmann::json> parse_document(std::string_view body);

// The string at `key` of an object, or "" when it is absent or not a string.
std::string text_at(const nlohmann::json& object, std::string_view key);

// An event time from RFC 3339 text or UNIX seconds (a number, or a numeric string; values
// above 1e11 are milliseconds). Refuses missing and unreadable values and times further
// ahead than ctx.max_future_ms, naming `field`.
core::Result<std::int64_t> event_time(const nlohmann::json* value, long index,
                                         const std::string& field, const AdapterContext& ctx);

// An e-mail event as every ESP adapter builds it: source, campaign and provider labels (the
// mailbox domain of `address`), the keyed hash of the address as subject, and `id`.
core::Event email_event(const char* kind, core::Side side, std::int64_t time_ms,
                           std::string_view source, std::string_view campaign,
                           std::string_view address, std::string id, const AdapterContext& ctx);

// Sets the event's message: the keyed hash of the vendor's message id and the recipient (one
// message may go to several), so that a late signal (an open, a complaint) can be joined to
// its send. An empty id leaves it empty.
void set_message(core::Event& e, std::string_view vendor_message_id, std::string_view recipient,
                 const AdapterContext& ctx);

}  // namespace terrain::webhooks
