#include "core/event_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "core/binary.h"
#include "core/log.h"

namespace terrain::core {

namespace fs = std::filesystem;

// Free space the log wants before it writes again after a failure.
constexpr std::uint64_t kRecoveryFreeBytes = 1 << 20;
using binary::put_str;
using binary::put_u32;
using binary::put_u64;

std::uint32_t crc32(const void* data, std::size_t size) {
    static const auto kTable = [] {
        std::array<std::uint32_t, 256> t{};
        for (std::uint32_t i = 0; i < 256; ++i) {
            std::uint32_t c = i;
            for (int k = 0; k < 8; ++k) {
                c = (c & 1) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
            }
            t[i] = c;
        }
        return t;
    }();
    std::uint32_t c = 0xFFFFFFFFU;
    const auto* p = static_cast<const std::uint8_t*>(data);
    for (std::size_t i = 0; i < size; ++i) {
        c = kTable[(c ^ p[i]) & 0xFF] ^ (c >> 8);
    }
    return c ^ 0xFFFFFFFFU;
}

namespace {

std::string segment_name(std::uint64_t seq) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "%020llu.seg", static_cast<unsigned long long>(seq));
    return buf;
}

}  // namespace

std::string encode_batch(const std::string& source, const std::vector<Event>& events) {
    std::string out;
    out.reserve(64 + events.size() * 160);
    out.push_back(2);  // format version (1: without the message hash)
    put_str(out, source);
    put_u32(out, static_cast<std::uint32_t>(events.size()));
    for (const auto& e : events) {
        put_u64(out, static_cast<std::uint64_t>(e.time_ms));
        put_str(out, e.kind);
        out.push_back(static_cast<char>(e.side));
        std::uint64_t bits = 0;
        std::memcpy(&bits, &e.value, 8);
        put_u64(out, bits);
        put_str(out, e.id);
        put_str(out, e.subject);
        put_str(out, e.message);
        put_u32(out, static_cast<std::uint32_t>(e.labels.size()));
        for (const auto& [k, v] : e.labels) {
            put_str(out, k);
            put_str(out, v);
        }
    }
    return out;
}

bool decode_batch(std::string_view payload, std::string& source, std::vector<Event>& events) {
    if (payload.empty() || (payload[0] != 1 && payload[0] != 2)) {
        return false;
    }
    const bool with_message = payload[0] == 2;
    binary::Reader r(payload.substr(1));
    std::uint32_t n = 0;
    if (!r.str(source) || !r.u32(n)) {
        return false;
    }
    events.clear();
    events.reserve(std::min<std::uint32_t>(n, 1U << 16));
    for (std::uint32_t i = 0; i < n; ++i) {
        Event e;
        std::uint64_t t = 0;
        std::uint8_t side = 0;
        std::uint64_t bits = 0;
        std::uint32_t labels = 0;
        if (!r.u64(t) || !r.str(e.kind) || !r.u8(side) || side > 1 || !r.u64(bits) ||
            !r.str(e.id) || !r.str(e.subject) || (with_message && !r.str(e.message)) ||
            !r.u32(labels)) {
            return false;
        }
        e.time_ms = static_cast<std::int64_t>(t);
        e.side = static_cast<Side>(side);
        std::memcpy(&e.value, &bits, 8);
        for (std::uint32_t l = 0; l < labels; ++l) {
            std::string k;
            std::string v;
            if (!r.str(k) || !r.str(v)) {
                return false;
            }
            e.labels.emplace_back(std::move(k), std::move(v));
        }
        events.push_back(std::move(e));
    }
    return r.done();
}

EventLog::EventLog(std::string dir, Options options)
    : dir_(std::move(dir)), options_(options) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) {
        throw std::runtime_error(dir_ + ": cannot create the event log directory: " +
                                 ec.message());
    }
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(dir_)) {
        if (entry.path().extension() == ".seg") {
            names.push_back(entry.path().filename().string());
        }
    }
    std::sort(names.begin(), names.end());
    for (const auto& name : names) {
        Segment seg;
        seg.path = dir_ + "/" + name;
        seg.first_seq = std::stoull(name);
        seg.bytes = fs::file_size(seg.path);
        segments_.push_back(seg);
    }
}

EventLog::~EventLog() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
}

namespace {

// A segment file's first `bytes` (fewer if it is shorter).
std::string read_segment(const std::string& path, std::size_t bytes) {
    int fd = ::open(path.c_str(), O_RDONLY);
    if (fd < 0) {
        throw std::runtime_error(path + ": cannot read: " + std::strerror(errno));
    }
    std::string data(bytes, '\0');
    std::size_t off = 0;
    while (off < data.size()) {
        auto n = ::read(fd, data.data() + off, data.size() - off);
        if (n <= 0) {
            break;
        }
        off += static_cast<std::size_t>(n);
    }
    data.resize(off);
    ::close(fd);
    return data;
}

// The size of the whole record at `at` (its length fits, its CRC matches and, given `source`,
// its payload decodes into source and events), or 0.
std::size_t whole_record(const std::string& data, std::size_t at, std::string* source,
                         std::vector<Event>* events) {
    if (at + 8 > data.size()) {
        return 0;
    }
    std::uint32_t len = 0;
    std::uint32_t crc = 0;
    std::memcpy(&len, data.data() + at, 4);
    std::memcpy(&crc, data.data() + at + 4, 4);
    if (len == 0 || len > data.size() - at - 8 || (data[at + 8] != 1 && data[at + 8] != 2) ||
        crc32(data.data() + at + 8, len) != crc ||
        (source != nullptr &&
         !decode_batch(std::string_view(data).substr(at + 8, len), *source, *events))) {
        return 0;
    }
    return std::size_t{8} + len;
}

// Where the next whole record starts after a damaged one at `pos`: where its length field
// says, if a whole record is there, else the first whole record found after it; 0 for none.
std::size_t next_whole_record(const std::string& data, std::size_t pos) {
    std::uint32_t len = 0;
    std::memcpy(&len, data.data() + pos, 4);
    if (len <= data.size() - pos - 8 && pos + 8 + len < data.size() &&
        whole_record(data, pos + 8 + len, nullptr, nullptr) != 0) {
        return pos + 8 + len;
    }
    for (std::size_t at = pos + 1; at + 8 < data.size(); ++at) {
        if (whole_record(data, at, nullptr, nullptr) != 0) {
            return at;
        }
    }
    return 0;
}

}  // namespace

void EventLog::replay(std::uint64_t from_seq, const Visitor& visit) {
    std::lock_guard lock(mutex_);
    std::string source;
    std::vector<Event> events;
    next_seq_ = std::max(next_seq_, from_seq);
    for (std::size_t s = 0; s < segments_.size(); ++s) {
        Segment& seg = segments_[s];
        if (s + 1 < segments_.size() && segments_[s + 1].first_seq <= from_seq) {
            continue;  // wholly in the checkpoint (retired at the next one)
        }
        const std::string data = read_segment(seg.path, seg.bytes);
        std::size_t pos = 0;
        std::uint64_t records = 0;
        bool kept_copy = false;
        auto whole_at = [&](std::size_t at, bool decode) {
            return whole_record(data, at, decode ? &source : nullptr, &events);
        };
        while (pos + 8 <= data.size()) {
            if (const auto size = whole_at(pos, true); size != 0) {
                if (seg.first_seq + records >= from_seq) {
                    visit(std::move(source), std::move(events));
                }
                pos += size;
                ++records;
                continue;
            }
            // Not a whole record. At the end of the file it is a write torn by a crash (cut
            // below); with whole records after it, it is damage: skip just it. Its length
            // field, if intact, says where the next record starts; else look for one.
            const std::size_t next = next_whole_record(data, pos);
            if (next == 0) {
                break;  // a torn tail
            }
            if (!kept_copy) {
                kept_copy = keep_damaged_copy(seg.path);
            }
            ++damaged_records_;
            damaged_bytes_ += next - pos;
            log_error("event log: " + seg.path + ": record " +
                      std::to_string(seg.first_seq + records) + " (bytes " + std::to_string(pos) +
                      "-" + std::to_string(next) +
                      ") is damaged (CRC or format mismatch): skipped, the rest of the segment "
                      "is replayed; its events are lost" +
                      (kept_copy ? "; a copy of the segment is kept in " + dir_ + "/damaged"
                                 : ""));
            pos = next;
            ++records;  // the damaged record had its number
        }
        next_seq_ = std::max(next_seq_, seg.first_seq + records);
        if (pos < data.size()) {
            // A torn write from a crash: everything after the last whole record goes (a copy
            // is kept first: a tail that is damage, not a torn write, can still be read).
            keep_damaged_copy(seg.path);
            log_warn("event log: " + seg.path + ": truncating " +
                     std::to_string(data.size() - pos) +
                     " bytes after the last whole record (a write torn by a crash; a copy of "
                     "the segment is kept in " + dir_ + "/damaged)");
            if (::truncate(seg.path.c_str(), static_cast<off_t>(pos)) != 0) {
                throw std::runtime_error(seg.path + ": cannot truncate: " + std::strerror(errno));
            }
            seg.bytes = pos;
        }
    }
    // A segment with no whole record (created, then a crash before its first write) goes: the
    // next segment would get its name, and retiring the old entry would delete the new file.
    std::erase_if(segments_, [](const Segment& seg) {
        std::error_code ec;
        return seg.bytes == 0 && (fs::remove(seg.path, ec), true);
    });
    durable_seq_ = next_seq_ - 1;
}

bool EventLog::keep_damaged_copy(const std::string& path) const {
    std::error_code ec;
    fs::create_directories(dir_ + "/damaged", ec);
    const auto name = fs::path(path).filename().string() + "." +
                      std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                         std::chrono::system_clock::now().time_since_epoch())
                                         .count());
    fs::copy_file(path, dir_ + "/damaged/" + name, fs::copy_options::overwrite_existing, ec);
    if (ec) {
        log_error("event log: cannot keep a copy of the damaged " + path + ": " + ec.message());
    }
    return !ec;
}

void EventLog::open_new_segment() {
    if (fd_ >= 0) {
        ::close(fd_);
    }
    Segment seg;
    seg.first_seq = durable_seq_ + 1;  // the first record of the batch being written
    seg.path = dir_ + "/" + segment_name(seg.first_seq);
    fd_ = ::open(seg.path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd_ < 0) {
        throw std::runtime_error(seg.path + ": cannot create: " + std::strerror(errno));
    }
    if (!segments_.empty() && segments_.back().path == seg.path) {
        return;  // the same (still empty) file: one entry, so retiring it deletes it once
    }
    segments_.push_back(seg);
    // Make the new file's directory entry durable too.
    int dfd = ::open(dir_.c_str(), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

void EventLog::write_out(const std::string& data, const std::string& path) {
    std::size_t off = 0;
    while (off < data.size()) {
        auto n = ::write(fd_, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            throw std::runtime_error(path + ": write failed: " +
                                     std::strerror(errno));
        }
        off += static_cast<std::size_t>(n);
    }
    if (options_.fsync == Fsync::kAlways && ::fdatasync(fd_) != 0) {
        throw std::runtime_error(path + ": fdatasync failed: " +
                                 std::strerror(errno));
    }
}

void EventLog::append(const std::string& source, const std::vector<Event>& events) {
    std::string payload = encode_batch(source, events);
    std::string record;
    record.reserve(payload.size() + 8);
    put_u32(record, static_cast<std::uint32_t>(payload.size()));
    put_u32(record, crc32(payload.data(), payload.size()));
    record += payload;

    std::unique_lock lock(mutex_);
    if (!broken_.empty() && !try_recover()) {
        throw std::runtime_error(broken_);
    }
    pending_ += record;
    const std::uint64_t mine = next_seq_++;
    if (flushing_) {
        // Another caller is writing; it (or its successor) will take ours too.
        durable_cv_.wait(lock, [&] { return durable_seq_ >= mine || !flushing_; });
        if (durable_seq_ >= mine) {
            return;
        }
        if (!broken_.empty()) {
            throw std::runtime_error(broken_);
        }
    }
    // Group commit: become the writer, and keep writing while others queue up behind us.
    flushing_ = true;
    try {
        while (!pending_.empty()) {
            std::string batch;
            batch.swap(pending_);
            const std::uint64_t upto = next_seq_ - 1;
            if (fd_ < 0 || segments_.back().bytes >= options_.segment_bytes) {
                open_new_segment();
            }
            const std::string path = segments_.back().path;
            lock.unlock();
            write_out(batch, path);
            lock.lock();
            Segment& seg = segments_.back();
            seg.bytes += batch.size();
            bytes_written_ += batch.size();
            durable_seq_ = upto;
            durable_cv_.notify_all();
        }
    } catch (const std::exception& e) {
        // Whatever was pending is in an unknown state: refuse everything from now on, so no
        // sender is told "accepted" for an event that may not be on disk.
        if (!lock.owns_lock()) {
            lock.lock();
        }
        broken_ = std::string("event log unusable since: ") + e.what();
        last_recovery_ = std::chrono::steady_clock::now();
        pending_.clear();
        flushing_ = false;
        durable_cv_.notify_all();
        throw;
    }
    flushing_ = false;
    durable_cv_.notify_all();
}

std::uint64_t EventLog::read_only(const std::string& dir, const Visitor& visit) {
    std::vector<std::string> names;
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
        if (entry.path().extension() == ".seg") {
            names.push_back(entry.path().filename().string());
        }
    }
    if (ec) {
        throw std::runtime_error(dir + ": cannot read the event log: " + ec.message());
    }
    std::sort(names.begin(), names.end());
    std::uint64_t skipped = 0;
    std::string source;
    std::vector<Event> events;
    for (const auto& name : names) {
        const std::string path = dir + "/" + name;
        const std::string data = read_segment(path, fs::file_size(path, ec));
        std::size_t pos = 0;
        while (pos + 8 <= data.size()) {
            if (const auto size = whole_record(data, pos, &source, &events); size != 0) {
                visit(std::move(source), std::move(events));
                pos += size;
                continue;
            }
            const std::size_t next = next_whole_record(data, pos);
            if (next == 0) {
                break;  // a tail being written, or torn
            }
            ++skipped;
            pos = next;
        }
    }
    return skipped;
}

void EventLog::retire_before(std::uint64_t seq, std::uint64_t keep_bytes) {
    std::vector<std::string> retired;
    {
        std::lock_guard lock(mutex_);
        // The newest checkpointed segments holding at most keep_bytes stay (history).
        std::uint64_t later = 0;
        std::size_t keep_from = segments_.size();
        while (keep_from > 0 && later + segments_[keep_from - 1].bytes <= keep_bytes) {
            later += segments_[keep_from - 1].bytes;
            --keep_from;
        }
        while (!segments_.empty() && keep_from > 0) {
            const bool writing = segments_.size() == 1;
            // One past the segment's last record.
            const std::uint64_t end = writing ? next_seq_ : segments_[1].first_seq;
            // The segment being written goes only when complete and not empty (an empty one
            // would share its name with the next).
            if (end > seq ||
                (writing && (flushing_ || !pending_.empty() || segments_.front().bytes == 0))) {
                break;
            }
            if (writing && fd_ >= 0) {
                ::close(fd_);
                fd_ = -1;
            }
            retired.push_back(segments_.front().path);
            segments_.erase(segments_.begin());
            --keep_from;
        }
    }
    // Unlinking gigabytes takes a while: not while appends wait for the lock.
    for (const auto& path : retired) {
        std::error_code ec;
        fs::remove(path, ec);
    }
}

bool EventLog::try_recover() {
    if (flushing_ || std::chrono::steady_clock::now() - last_recovery_ < std::chrono::seconds(1)) {
        return false;
    }
    last_recovery_ = std::chrono::steady_clock::now();
    // Cut the segment back to its last durable record: a partial write must not be read as a
    // damaged record on the next replay. The records that failed were never acknowledged, so
    // their numbers are free again.
    struct statvfs fs_stat {};
    if (::statvfs(dir_.c_str(), &fs_stat) == 0 &&
        static_cast<std::uint64_t>(fs_stat.f_bavail) * fs_stat.f_frsize < kRecoveryFreeBytes) {
        return false;  // still full
    }
    if (fd_ >= 0 && !segments_.empty()) {
        if (::ftruncate(fd_, static_cast<off_t>(segments_.back().bytes)) != 0 ||
            (options_.fsync == Fsync::kAlways && ::fdatasync(fd_) != 0)) {
            return false;
        }
    }
    log_info("event log: writable again after: " + broken_);
    broken_.clear();
    next_seq_ = durable_seq_ + 1;
    return true;
}

bool EventLog::writable() {
    std::lock_guard lock(mutex_);
    return broken_.empty() || try_recover();
}

std::uint64_t EventLog::next_seq() const {
    std::lock_guard lock(mutex_);
    return next_seq_;
}

std::size_t EventLog::segments() const {
    std::lock_guard lock(mutex_);
    return segments_.size();
}

std::uint64_t EventLog::bytes_written() const {
    std::lock_guard lock(mutex_);
    return bytes_written_;
}

}  // namespace terrain::core
