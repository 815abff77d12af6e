#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// terrain's own normalised events (POST /ingest/events), as a JSON array or NDJSON (one
// object per line). Each event:
//
//   {"time": 1763892000000 | "2026-11-23T10:00:00Z",   required: ms since epoch or RFC 3339
//    "kind": "ticket.created",                          required: [a-z0-9_]+(\.[a-z0-9_]+)*
//    "side": "customer",                                required: map | customer
//    "labels": {"campaign": "spring-sale"},             optional: known or declared labels
//    "value": 1,                                        optional: finite number, default 1
//    "id": "zd-4711",                                   optional: de-duplicates retries
//    "subject": "jane@example.com"}                     optional: hashed before it is kept
//
// Unknown fields, unknown labels and label values that look like e-mail addresses are refused,
// naming the event and field. The `source` label defaults to "events".
class EventsAdapter final : public Adapter {
public:
    std::string_view source() const override { return "events"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
