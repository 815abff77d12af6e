#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// SendGrid's Event Webhook (POST /ingest/sendgrid): a JSON array of events, or a bare object.
//
// Kinds: processed, dropped, delivered, deferred -> email.<same>; bounce -> email.bounce with
// bounce_class hard (type "bounce") or block (type "blocked"); open, click -> email.open,
// email.click; spamreport -> email.complaint (side customer); unsubscribe and
// group_unsubscribe -> email.unsubscribe (customer, unsubscribe_scope all | group);
// group_resubscribe -> email.resubscribe (customer). Other event names are counted as ignored.
//
// Labels: source=sendgrid; provider = the recipient's mailbox domain (the address itself is
// only kept as a keyed hash in `subject`); campaign = the custom arg "campaign" if set, else
// singlesend_name, marketing_campaign_name, the first category, or "none".
// Timestamps are UNIX seconds, or milliseconds when larger than 1e11 (a documented quirk);
// numeric strings are accepted. The event id is sg_event_id; without one (async bounces and
// old payloads) it is a hash of the event's identifying fields, so a retry still de-duplicates.
class SendgridAdapter final : public Adapter {
public:
    std::string_view source() const override { return "sendgrid"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
