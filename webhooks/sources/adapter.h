#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <string_view>
#include <vector>

#include "core/event.h"
#include "core/hash.h"
#include "core/result.h"

namespace terrain::webhooks {

// What an adapter needs besides the body. `now_ms` with `max_future_ms` and `max_past_ms` bound
// an event's time (ingest sets them from pipeline.max_future and max_past); `labels` is every
// label name the configuration allows.
struct AdapterContext {
    const core::SubjectHasher* hasher = nullptr;
    std::int64_t now_ms = 0;
    std::int64_t max_future_ms = 3'600'000;
    std::int64_t max_past_ms = std::numeric_limits<std::int64_t>::max() / 4;  // unbounded
    const std::vector<std::string>* labels = nullptr;
};

// Events parsed from one request, plus the ones the adapter recognised but does not monitor
// (a SendGrid "group_resubscribe" is counted, not aggregated) and the ones it refused.
struct Parsed {
    std::vector<core::Event> events;
    std::uint64_t ignored = 0;
    // Events of a batch refused one by one (a bad field, a time out of range): the others are
    // accepted. Each error names its event's index.
    std::vector<core::Error> refused;
    // A subscription to confirm by visiting this URL (Amazon SNS), once the request is verified.
    std::string confirm_url;
    // Fields the source's protocol wants in the 200 answer besides the counts (Firehose: its
    // requestId and a timestamp).
    nlohmann::json answer = nlohmann::json::object();
};

// Turns one vendor request body into normalised events. A request that is unusable as a whole
// (not JSON, not the vendor's shape) is refused: the Error names the problem. An event that is
// well-formed JSON but refused on its own (a bad or missing field, a time out of range) is set
// aside in Parsed::refused (see set_aside) and the batch goes on, so one bad event never costs
// the valid ones. Adapters are stateless and thread-safe; parse() runs on HTTP threads.
class Adapter {
public:
    virtual ~Adapter() = default;
    virtual std::string_view source() const = 0;
    virtual core::Result<Parsed> parse(std::string_view body,
                                          const AdapterContext& ctx) const = 0;
};

// Shared helpers for adapters.

// An event's time against the window terrain takes (pipeline.max_past behind its clock to
// pipeline.max_future ahead): future_time or past_time naming the field, or nullopt.
std::optional<core::Error> check_time(std::int64_t time_ms, long index, const std::string& field,
                                         const AdapterContext& ctx);

// Sets a refused event aside and returns nullopt, so the batch goes on; malformed JSON
// ("bad_json") is returned instead: the rest of the request cannot be trusted.
std::optional<core::Error> set_aside(Parsed& out, core::Error error);
core::Error event_error(std::string reason, long index, std::string field, std::string what);
// ASCII lower case ("VOICE" -> "voice").
std::string lower(std::string s);
// "jane@Gmail.com" -> "gmail.com"; no '@' -> "unknown".
std::string mailbox_domain(std::string_view address);
// Copies `body` into this thread's reusable buffer with the zero padding simdjson reads past
// the end; valid until the thread's next call.
simdjson::padded_string_view padded_copy(std::string_view body);

// A vendor's label value as terrain keeps it (core::label_value): bounded, and a value that
// holds an e-mail address or a phone number replaced by its keyed hash.
std::string label_value(const AdapterContext& ctx, std::string_view value);

}  // namespace terrain::webhooks
