#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace terrain::core {

// Who originated a signal: the automation (sends, deliveries, bot sessions marked contained)
// or a customer (complaints, unsubscribes, tickets, repeat contacts).
enum class Side : std::uint8_t { kMap, kCustomer };

std::string_view to_string(Side side);

// Small, bounded label set (tenant, source, campaign, provider, ...). Kept as a flat vector:
// events carry a handful of labels and a linear scan beats a map at that size.
using Labels = std::vector<std::pair<std::string, std::string>>;

const std::string* find_label(const Labels& labels, std::string_view key);
void set_label(Labels& labels, std::string_view key, std::string value);

// One normalised event. `time_ms` is event time from the vendor payload, never arrival time.
// `subject` is a keyed hash of the customer identifier; raw addresses never get this far.
struct Event {
    std::int64_t time_ms = 0;
    std::string kind;
    Side side = Side::kMap;
    Labels labels;
    double value = 1.0;
    std::string id;       // vendor event id, scoped by the `source` label, for de-duplication
    std::string subject;  // hex keyed hash, or empty
    // The send a mail signal belongs to: a keyed hash of the vendor's message id (SendGrid
    // sg_message_id without its filter suffix, Mailgun's Message-Id, SES mail.messageId,
    // Postmark MessageID), or empty. Joins late signals to their send (core/sends.h).
    std::string message;
};

// The labels every adapter and metric may use without declaring them in configuration.
const std::vector<std::string>& known_labels();

}  // namespace terrain::core
