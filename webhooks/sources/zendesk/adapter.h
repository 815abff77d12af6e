#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Zendesk webhooks (POST /ingest/zendesk), signed (ZendeskSignature, auth.h). Two bodies:
//
// - An event-subscription webhook ({"type": "zen:event-type:ticket.created", "id", "time",
//   "detail": {...}}): ticket.created becomes ticket.created (customer); other event types
//   are counted as ignored.
// - A trigger or automation webhook whose JSON body is written in Zendesk's webhook builder
//   with its placeholders, as the README shows:
//     {"ticket": {"id": "{{ticket.id}}", "created_at": "{{ticket.created_at_with_timestamp}}",
//                 "tags": "{{ticket.tags}}", "requester_email": "{{ticket.requester.email}}",
//                 "channel": "{{ticket.via}}", "campaign": "{{ticket.ticket_field_123}}"}}
//   -> one ticket.created (customer).
//
// Labels: source=zendesk; channel (how the ticket came in, lower-cased); campaign from the
// "campaign" field, else a tag "campaign_<name>", else "none"; topic from a tag
// "topic_<name>" (not_received, spam, never_subscribed, ...), else "none"; provider = the
// requester's mailbox domain (the address itself only as a keyed hash), else "unknown". Tags
// are an array or Zendesk's space-separated placeholder text.
class ZendeskAdapter final : public Adapter {
public:
    std::string_view source() const override { return "zendesk"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
