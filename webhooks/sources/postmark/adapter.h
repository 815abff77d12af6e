#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Postmark webhooks (POST /ingest/postmark): one JSON object per request, discriminated by
// RecordType. Postmark does not sign its webhooks: configure a token for this source and put
// it in the webhook URL's basic-auth password (https://terrain:<token>@host/ingest/postmark)
// or an Authorization: Bearer header.
//
// Kinds: Delivery -> email.delivered; Bounce -> by TypeCode: HardBounce, BadEmailAddress ->
// email.bounce (hard); SoftBounce, Transient, DnsError -> email.bounce (soft); Blocked,
// DMARCPolicy -> email.bounce (block); SpamComplaint -> email.complaint (customer);
// Unsubscribe -> email.unsubscribe (customer); other codes are ignored. SpamComplaint ->
// email.complaint; Open, Click -> email.open, email.click; SubscriptionChange ->
// email.unsubscribe when SuppressSending is true, else email.resubscribe (both customer).
// A body without RecordType but with a TypeCode (Postmark's older examples) is a Bounce.
//
// Labels: source=postmark; provider from Email / Recipient; campaign = Metadata.campaign,
// else Tag, else "none". The id is the record type with the bounce ID or the MessageID.
class PostmarkAdapter final : public Adapter {
public:
    std::string_view source() const override { return "postmark"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
