#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Mailgun webhooks (POST /ingest/mailgun): one JSON object per request,
// {"signature": {timestamp, token, signature}, "event-data": {...}}. The signature is checked
// by MailgunSignature (auth.h) before parsing.
//
// Kinds: accepted -> email.processed; delivered -> email.delivered; failed with severity
// temporary -> email.deferred; failed permanent -> email.bounce (bounce_class hard), or
// email.dropped when Mailgun did not try because the address is suppressed (reason
// suppress-*); rejected -> email.dropped; opened, clicked -> email.open, email.click;
// complained -> email.complaint (customer); unsubscribed -> email.unsubscribe (customer).
// Other events (stored, list events) are counted as ignored.
//
// Labels: source=mailgun; provider from the recipient; campaign = user-variables.campaign,
// else the first tag, else the first campaign name, else "none". Mailgun's event ids are
// unique within a day only, so the id is the event name, the id and the day.
class MailgunAdapter final : public Adapter {
public:
    std::string_view source() const override { return "mailgun"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
