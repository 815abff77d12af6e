#pragma once

#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/event.h"

namespace terrain::core {

// Customers coming back: a contact (a call, a bot or chat session, a ticket) from a customer who
// made one within `within` before is a return. terrain derives a `contact.return` event
// (customer side) for it from the keyed hash of the customer's identifier (Event::subject; the
// raw number or address never reaches terrain's state), carrying the first contact's line of
// business (`lob`, `queue`, `bot`, `campaign`), its outcome as `first_outcome`, and the channel
// the customer came back on. So "the IVR counts the call as self-served" and "the caller called
// back within the hour" meet in one series.
//
// Memory is bounded: customers are forgotten `within` after their last contact (event time),
// and beyond `capacity` the oldest are forgotten first (counted in evicted()). The memory is not
// in the checkpoint: after a restart, returns to contacts made before the last checkpoint are
// not derived (at most `within` of them). Not thread-safe; the pipeline thread owns it.
class ReturnTracker final {
public:
    ReturnTracker(std::int64_t within_ms, std::size_t capacity);

    // Whether an event is a customer contact: ivr.call, bot.session, chat.session,
    // ticket.created, contact.* (except contact.return itself).
    static bool is_contact(const Event& e);

    // Sees one event; the return it makes, if any.
    std::optional<Event> observe(const Event& e);

    std::size_t size() const { return last_.size(); }
    std::uint64_t evicted() const { return evicted_; }

private:
    struct Contact {
        std::int64_t time_ms = 0;
        Labels labels;  // the line of business and the outcome, as the contact carried them
    };
    void forget_before(std::int64_t time_ms);

    std::int64_t within_ms_;
    std::size_t capacity_;
    std::unordered_map<std::string, Contact> last_;
    std::deque<std::pair<std::int64_t, std::string>> order_;  // (time, subject) by arrival
    std::uint64_t evicted_ = 0;
};

}  // namespace terrain::core
