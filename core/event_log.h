#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "core/event.h"

namespace terrain::core {

// Where accepted batches are made durable before the sender gets its 2xx: the local event log
// (below) or, in the scale-out mode, a Kafka topic (core/kafka_log.h). append() returns once
// the batch is durable and throws std::runtime_error naming the problem when it cannot be.
class DurableLog {
public:
    virtual ~DurableLog() = default;
    virtual void append(const std::string& source, const std::vector<Event>& events) = 0;
    // False while appends would fail.
    virtual bool writable() = 0;
};

// The durable event log: accepted batches are appended to segment files in a directory
// before the sender gets its 2xx, and replayed on start.
//
// Format: segments named by their first record's sequence number; each record is
// [u32 payload length][u32 CRC-32 of payload][payload], the payload a binary batch (source
// and events). On replay, a torn tail (a crash mid-write) is truncated; a damaged record with
// whole records after it (a flipped bit on disk) is skipped alone, counted, logged with its
// place, and the rest of its segment replayed. Either way a copy of the segment as found is
// kept in <dir>/damaged for inspection.
//
// fsync policy ("always", the default): append() returns only after the record is on disk
// (fdatasync). Concurrent appends share one write and one fdatasync (group commit): the first
// caller writes everything pending, the others wait for it. "never" leaves flushing to the
// operating system (survives a process crash, not a power cut).
//
// Thread-safe. A failed write (a full disk) throws std::runtime_error: the caller refuses the
// request, and so does every append until the log recovers. Recovery is tried at most once a
// second, by an append or by writable(): the segment is cut back to its last durable record (a
// partial write goes) and writing resumes, with no restart.
class EventLog final : public DurableLog {
public:
    enum class Fsync : std::uint8_t { kAlways, kNever };
    struct Options {
        std::size_t segment_bytes = 64 * 1024 * 1024;
        Fsync fsync = Fsync::kAlways;
    };
    using Visitor = std::function<void(std::string&& source, std::vector<Event>&& events)>;

    EventLog(std::string dir, Options options);
    ~EventLog();
    EventLog(const EventLog&) = delete;
    EventLog& operator=(const EventLog&) = delete;

    // Reads every record from sequence number `from_seq` on, in order (records before it are in
    // a checkpoint). Call once, before the first append; later records are numbered from at
    // least `from_seq`, also when no segment is left.
    void replay(std::uint64_t from_seq, const Visitor& visit);
    void append(const std::string& source, const std::vector<Event>& events) override;
    // Reads every whole record of the log in `dir` without changing anything (a running
    // terrain may be writing it): damaged records and a torn tail are skipped, not repaired.
    // For what-if runs on the history a data directory holds. Returns the records skipped.
    static std::uint64_t read_only(const std::string& dir, const Visitor& visit);
    // The sequence number the next record gets: every record before it is on disk once no
    // append() is running.
    std::uint64_t next_seq() const;
    // Deletes the segments whose records all come before `seq` (a checkpoint holds them),
    // including the one being written when nothing is being appended: the next append starts a
    // new segment. The newest such segments are kept while they hold at most `keep_bytes`
    // (history for what-if runs; 0 keeps none).
    void retire_before(std::uint64_t seq, std::uint64_t keep_bytes = 0);

    std::size_t segments() const;
    // False while writes fail (tries to recover first, at most once a second).
    bool writable() override;
    // Records found damaged and skipped by replay(), and their bytes.
    std::uint64_t damaged_records() const { return damaged_records_; }
    std::uint64_t damaged_bytes() const { return damaged_bytes_; }
    std::uint64_t bytes_written() const;

private:
    struct Segment {
        std::string path;
        std::uint64_t first_seq = 0;
        std::uint64_t bytes = 0;
    };
    void open_new_segment();
    void write_out(const std::string& data, const std::string& path);
    bool keep_damaged_copy(const std::string& path) const;
    bool try_recover();  // holds mutex_

    std::string dir_;
    Options options_;
    mutable std::mutex mutex_;
    std::condition_variable durable_cv_;
    std::vector<Segment> segments_;  // the last one is being written
    int fd_ = -1;
    std::string pending_;
    std::uint64_t next_seq_ = 1;
    std::uint64_t durable_seq_ = 0;
    bool flushing_ = false;
    std::string broken_;
    std::chrono::steady_clock::time_point last_recovery_{};
    std::uint64_t bytes_written_ = 0;
    std::uint64_t damaged_records_ = 0;
    std::uint64_t damaged_bytes_ = 0;
};

// CRC-32 (IEEE 802.3, as zlib's crc32).
std::uint32_t crc32(const void* data, std::size_t size);

std::string encode_batch(const std::string& source, const std::vector<Event>& events);
bool decode_batch(std::string_view payload, std::string& source, std::vector<Event>& events);

}  // namespace terrain::core
