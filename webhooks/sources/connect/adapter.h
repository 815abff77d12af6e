#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Amazon Connect contact events (POST /ingest/connect), as EventBridge delivers them through
// an API destination: one event object ({"detail-type": "Amazon Connect Contact Event",
// "detail": {...}}), its bare detail, or an array of them. Use a token for this source.
//
// A contact's story is complete when it ends, so only DISCONNECTED events are counted (the
// other event types are ignored). Each ended contact gives:
//   ivr.call (map) with outcome = agent (an agent took it), abandoned (queued, but the caller
//     hung up before an agent answered) or self_served (never queued nor connected to an
//     agent: what the IVR reports as handled by automation);
//   plus ivr.zero_out (customer) when the caller ended up with an agent, or ivr.abandon
//     (customer) when they hung up in the queue.
// Labels: source=connect; channel (voice, chat, task); queue (the queue ARN's last part, else
// "none"); outcome; region (the envelope's). Time: disconnectTimestamp, else the envelope's.
// Ids: the contact id with the kind, so a redelivery de-duplicates.
// One ended contact as events: ivr.call (map) with its labels, then ivr.zero_out (customer)
// when an agent took it or ivr.abandon (customer) when it was queued and left; ids are the
// contact id with the kind. Shared by the contact-event and contact-trace-record sources.
void add_contact_events(Parsed& out, std::int64_t time_ms, const core::Labels& labels,
                        const std::string& contact, const std::string& subject, bool with_agent,
                        bool queued);

class ConnectAdapter final : public Adapter {
public:
    std::string_view source() const override { return "connect"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
