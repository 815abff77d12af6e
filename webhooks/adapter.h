#pragma once

#include <cstdint>
#include <string>

#include <simdjson.h>
#include <string_view>
#include <vector>

#include "monitor/event.h"
#include "monitor/hash.h"
#include "monitor/result.h"

namespace terrain::webhooks {

// What an adapter needs besides the body. `now_ms` bounds how far in the future an event may
// be stamped; `labels` is every label name the configuration allows.
struct AdapterContext {
    const monitor::SubjectHasher* hasher = nullptr;
    std::int64_t now_ms = 0;
    std::int64_t max_future_ms = 3'600'000;
    const std::vector<std::string>* labels = nullptr;
};

// Events parsed from one request, plus the ones the adapter recognised but does not monitor
// (a SendGrid "group_resubscribe" is counted, not aggregated).
struct Parsed {
    std::vector<monitor::Event> events;
    std::uint64_t ignored = 0;
    // A subscription to confirm by visiting this URL (Amazon SNS), once the request is verified.
    std::string confirm_url;
};

// Turns one vendor request body into normalised events. A request is accepted or refused as a
// whole: the first problem is returned as an Error naming the event index and field. Adapters
// are stateless and thread-safe; parse() runs on HTTP threads.
class Adapter {
public:
    virtual ~Adapter() = default;
    virtual std::string_view source() const = 0;
    virtual monitor::Result<Parsed> parse(std::string_view body,
                                          const AdapterContext& ctx) const = 0;
};

// Shared helpers for adapters.
monitor::Error event_error(std::string reason, long index, std::string field, std::string what);
// ASCII lower case ("VOICE" -> "voice").
std::string lower(std::string s);
// "jane@Gmail.com" -> "gmail.com"; no '@' -> "unknown".
std::string mailbox_domain(std::string_view address);
// Copies `body` into this thread's reusable buffer with the zero padding simdjson reads past
// the end; valid until the thread's next call.
simdjson::padded_string_view padded_copy(std::string_view body);

// Label values are bounded: at most 128 bytes, cut at a UTF-8 boundary.
std::string bounded_label(std::string_view value);

}  // namespace terrain::webhooks
