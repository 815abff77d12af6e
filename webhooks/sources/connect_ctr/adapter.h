#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Amazon Connect contact trace records (POST /ingest/connect_ctr), as Amazon Kinesis Data
// Firehose delivers them to an HTTP endpoint: {"requestId": "...", "timestamp": ms,
// "records": [{"data": "<base64 of one CTR's JSON>"}, ...]}, with the access key configured on
// the delivery stream in the X-Amz-Firehose-Access-Key header. terrain answers 200 with the
// request's requestId and its own timestamp, as Firehose requires.
//
// Each record is one ended contact: ivr.call (map) with outcome agent (Agent set), abandoned
// (queued, no agent) or self_served (never queued: what the flow reports as handled by
// automation), plus ivr.zero_out or ivr.abandon (customer), as for contact events. Labels:
// source=connect_ctr; channel (voice, chat, task); queue (Queue.Name, else "none"); lob, the
// line of business: the contact attribute `line_of_business` your flow sets (so callers who
// never reach a queue are known by theirs too), else the queue's name, else "none". The
// caller's number (CustomerEndpoint.Address) is hashed at the door into the event's subject,
// from which terrain derives returns (contact.return); the number itself is never kept.
// Time: DisconnectTimestamp. Ids: ContactId with the kind.
class ConnectCtrAdapter final : public Adapter {
public:
    std::string_view source() const override { return "connect_ctr"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
