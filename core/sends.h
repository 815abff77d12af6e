#pragma once

#include <array>
#include <limits>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/event.h"

namespace terrain::core {

namespace binary {
class Reader;
}

// Which send a mail signal belongs to. The first event terrain sees of a message (by the keyed
// hash of the vendor's message id, Event::message) that reports the sender's own handling of it
// (processed, sent, delivered, deferred, bounced, dropped) records it as the send: its event
// time and its campaign and provider. A later event of the same message (a bounce, an open, a complaint,
// an unsubscribe) is joined to it: it learns when its mail was sent, and the campaign and
// provider of its send where it names none.
//
// Bounded: a send is forgotten `horizon` after it was made (event time), and beyond `capacity`
// the oldest are forgotten first (counted in evicted()). Each send costs bytes_per_send() bytes.
// The index is part of the window checkpoint (save/restore). Not thread-safe: the pipeline
// thread owns it, inside core::Aggregator.
class SendIndex final {
public:
    struct Send {
        std::int64_t sent_ms = 0;
        std::string_view campaign;  // "" when the send named none; valid until the next call
        std::string_view provider;
    };

    SendIndex(std::int64_t horizon_ms, std::size_t capacity);

    // Records the message's send, or finds it: the send of a message seen before (within the
    // horizon), or nothing for the first event of a message and for events without one.
    std::optional<Send> observe(const Event& e);

    std::size_t size() const { return sends_.size(); }
    std::uint64_t evicted() const { return evicted_; }
    std::uint64_t joined() const { return joined_; }
    static constexpr std::size_t bytes_per_send() {
        // Hash node (key, entry, next pointer, cached hash), its bucket, and its place in the
        // expiry queue.
        return sizeof(std::uint64_t) + sizeof(Entry) + 2 * sizeof(void*) + sizeof(void*) +
               sizeof(std::pair<std::int64_t, std::uint64_t>);
    }

    void set_horizon(std::int64_t horizon_ms) { horizon_ms_ = horizon_ms; }
    void set_capacity(std::size_t capacity) { capacity_ = capacity; }

    void save(std::string& out) const;
    // Throws std::runtime_error, changing nothing, on data save() did not write.
    void restore(binary::Reader& r);

private:
    struct Entry {
        std::int64_t sent_ms;
        std::uint32_t group;  // index into groups_: the send's campaign and provider
    };
    std::uint32_t group_of(const Event& e);
    void forget_before(std::int64_t time_ms);

    std::int64_t horizon_ms_;
    std::size_t capacity_;
    std::unordered_map<std::uint64_t, Entry> sends_;
    std::deque<std::pair<std::int64_t, std::uint64_t>> order_;  // (sent, key) by arrival
    std::vector<std::pair<std::string, std::string>> groups_;   // (campaign, provider)
    std::unordered_map<std::string, std::uint32_t> group_index_;
    std::uint64_t evicted_ = 0;
    std::uint64_t joined_ = 0;
};

// How a send's signals arrive with its age: the share of them that has usually arrived by a
// given time after the send, learned from the signals joined to their send (in a steady stream
// the ages of the signals arriving now are distributed as a send's signals arrive over its
// life). Until enough are seen it leans on a wider curve (a mailbox provider's curve on its
// metric's) or, for the widest, on a prior: a tenth within 15 minutes, half within 3 hours,
// nearly all within a day, as complaints and unsubscribes typically trail mail.
//
// A young history sees old ages less: `span` after its earliest send, a signal of age a can
// only come from mail sent in the first span - a of it, so each step's count is weighted by
// span / (span - a). Without that, in a new terrain's first hours every signal looks young, a
// young send's signals look overdue, and a baseline learned then is wrong long after.
class ArrivalCurve final {
public:
    // The age steps the curve is learned at (the last is open-ended).
    static constexpr std::array<std::int64_t, 14> kSteps = {
        60'000,     120'000,    300'000,     600'000,     900'000,     1'800'000,   3'600'000,
        7'200'000,  14'400'000, 21'600'000,  43'200'000,  86'400'000,  172'800'000, 259'200'000};
    static constexpr std::int64_t kLongAgo = std::numeric_limits<std::int64_t>::min() / 4;

    // A signal of `age_ms` that arrived at event time `at_ms`.
    void learn(std::int64_t age_ms, std::int64_t at_ms);
    // The share of a send's signals that has usually arrived at `age_ms` (at least a floor of
    // 1%, 1 at the horizon and beyond), as learned by event time `now_ms`, leaning on `wider`
    // (else the prior) until it has learned.
    double arrived(std::int64_t age_ms, std::int64_t horizon_ms, std::int64_t now_ms,
                   const ArrivalCurve* wider = nullptr) const;
    // The same, averaged over mail whose ages are spread evenly from `youngest_ms` to
    // `oldest_ms` (the share is far from linear in age).
    double arrived_over(std::int64_t youngest_ms, std::int64_t oldest_ms, std::int64_t horizon_ms,
                        std::int64_t now_ms, const ArrivalCurve* wider = nullptr) const;
    double signals() const { return learned_; }

    void save(std::string& out) const;
    // `since` false: a checkpoint from before the learning's start was kept (taken as long ago).
    void restore(binary::Reader& r, bool since = true);

private:
    using Counts = std::array<double, kSteps.size() + 1>;
    // Its learned counts by step, weighted for what its history could see by `now_ms`, with
    // the wider curve's (or the prior's) shares added at the weight they lean with.
    Counts leaning_on(const ArrivalCurve* wider, std::int64_t now_ms) const;

    Counts counts_{};  // learned, by step (the last: beyond)
    double learned_ = 0;
    std::int64_t since_ms_ = std::numeric_limits<std::int64_t>::max();  // its earliest send
};

}  // namespace terrain::core
