#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Amazon SES notifications delivered by Amazon SNS over HTTP(S) (POST /ingest/ses). The body
// is the SNS envelope; the signature is checked by SnsSignature (auth.h) before parsing.
//
// Type Notification: `Message` is a string holding the SES notification, parsed a second
// time. notificationType (or eventType, for configuration-set event publishing):
// Bounce -> one email.bounce per bounced recipient, bounce_class hard (Permanent), soft
// (Transient) or undetermined; Complaint -> email.complaint (customer) per complained
// recipient; Delivery -> email.delivered per recipient; Send -> email.processed per
// destination; Reject -> email.dropped; Open, Click -> email.open, email.click. Other types
// are counted as ignored.
// Type SubscriptionConfirmation: no events; the request carries the SubscribeURL that
// terrain visits to confirm the subscription (see Parsed::confirm_url).
// Type UnsubscribeConfirmation: ignored.
//
// Labels: source=ses; provider from the recipient; campaign = the message tag "campaign"
// (mail.tags.campaign[0]), else "none". The id is the SNS MessageId and the recipient's index.
class SesAdapter final : public Adapter {
public:
    std::string_view source() const override { return "ses"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
