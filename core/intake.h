#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <vector>

#include "core/dedup.h"
#include "core/event_log.h"
#include "core/event.h"
#include "core/hash.h"
#include "core/telemetry.h"

namespace terrain::core {

// The bounded hand-off between HTTP threads (producers) and the pipeline thread (consumer).
//
// submit() drops events whose (source, id) was seen before, reserves queue room, appends the
// rest to the durable event log (when there is one; group commit, outside the lock), then
// records their ids and queues them. A refused batch (queue full, log write failed) leaves no
// trace, so its retry is not mistaken for a duplicate; an event that became a duplicate while
// its batch was being written (a concurrent retry) is dropped then, and again on replay.
// Nothing is dropped after submit() said yes. Thread-safe.
class Intake final {
public:
    struct Batch {
        std::string source;
        std::vector<Event> events;
    };
    struct Outcome {
        bool queued = false;
        std::size_t accepted = 0;
        std::size_t duplicates = 0;
        std::string error;
    };

    static constexpr std::size_t kMinBatch = 4096;
    static constexpr std::chrono::milliseconds kLinger{1};

    // kQueue: accepted batches are queued for this process's pipeline (take()). kLogOnly: the
    // log is the hand-off (the scale-out mode: nodes consume the Kafka topic), nothing is queued.
    enum class HandOff : std::uint8_t { kQueue, kLogOnly };

    Intake(std::size_t capacity_events, std::size_t dedup_capacity, Telemetry& telemetry,
           DurableLog* log = nullptr, HandOff hand_off = HandOff::kQueue);

    // Start-up replay: de-duplicates a batch read back from the event log, in place.
    // Returns the number of duplicates removed.
    std::size_t replayed(const std::string& source, std::vector<Event>& events);

    // Outcome.queued false: refused, answer 503. Outcome.error names a log failure.
    Outcome submit(const std::string& source, std::vector<Event>&& events);

    // Consumer side: waits up to `timeout` for batches and moves all queued ones into `out`.
    // With fewer than kMinBatch events queued it lingers up to kLinger for more, so that a
    // stream of small requests wakes the consumer about a thousand times a second rather than
    // once per request (HTTP answers do not wait for it). Returns false once closed and drained.
    bool take(std::vector<Batch>& out, std::chrono::milliseconds timeout);
    // Wakes the consumer; later submits are refused.
    void close();
    // Blocks until every batch queued so far has been taken and `mark_done` was called for it.
    void wait_drained();
    void mark_done(std::size_t events);
    std::size_t queued_events() const;
    std::size_t capacity() const { return capacity_; }

    // Checkpoints. hold() makes later submits wait at the door and returns once every batch
    // already past it is queued (its log write done), so that after the consumer has taken and
    // processed them, its state holds every record in the event log; release() opens the door.
    void hold();
    void release();
    // The memory of event ids, for a checkpoint taken while held; and taking it back at start.
    std::string save_ids() const;
    bool restore_ids(std::string_view data);

private:
    const std::size_t capacity_;
    Deduplicator dedup_;
    HashKey id_key_;
    Telemetry& telemetry_;
    mutable std::mutex mutex_;
    std::condition_variable not_empty_;
    std::condition_variable drained_;
    std::condition_variable door_;  // hold(): the door closes, reserved_ drains to 0
    std::deque<Batch> queue_;
    std::size_t queued_events_ = 0;
    std::size_t reserved_ = 0;  // room held by batches being written to the log
    DurableLog* log_;
    HandOff hand_off_;
    std::size_t in_flight_ = 0;
    bool closed_ = false;
    bool lingering_ = false;
    bool held_ = false;
};

}  // namespace terrain::core
