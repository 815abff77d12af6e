#include <gtest/gtest.h>

#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "core/event_log.h"
#include "tests/support/builders.h"
#include "tests/support/temp_dir.h"

namespace terrain::core {
namespace {

using testing::EventBuilder;

std::vector<Event> batch(int first, int n) {
    std::vector<Event> out;
    for (int i = first; i < first + n; ++i) {
        out.push_back(EventBuilder().id("e" + std::to_string(i)).at(1'700'000'000'000 + i).value(i));
    }
    return out;
}

std::vector<std::string> replay_ids(const std::string& dir, std::uint64_t from_seq = 1) {
    EventLog log(dir, {});
    std::vector<std::string> ids;
    log.replay(from_seq, [&](std::string&& source, std::vector<Event>&& events) {
        EXPECT_EQ(source, "sendgrid");
        for (const auto& e : events) {
            ids.push_back(e.id);
        }
    });
    return ids;
}

TEST(EventLogTest, RoundTripKeepsEveryField) {
    testing::TempDir dir;
    Event e = EventBuilder()
                  .kind("email.complaint")
                  .side(Side::kCustomer)
                  .label("bounce_class", "hard")
                  .value(2.5)
                  .id("sg-1")
                  .at(1'763'892'000'123);
    e.subject = "0123456789abcdef0123456789abcdef";
    e.message = "fedcba9876543210fedcba9876543210";
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) { FAIL(); });
        log.append("sendgrid", {e});
    }
    EventLog log(dir.path(), {});
    int batches = 0;
    log.replay(1, [&](std::string&& source, std::vector<Event>&& events) {
        ++batches;
        EXPECT_EQ(source, "sendgrid");
        ASSERT_EQ(events.size(), 1U);
        const Event& got = events[0];
        EXPECT_EQ(got.time_ms, e.time_ms);
        EXPECT_EQ(got.kind, e.kind);
        EXPECT_EQ(got.side, e.side);
        EXPECT_EQ(got.value, e.value);
        EXPECT_EQ(got.id, e.id);
        EXPECT_EQ(got.subject, e.subject);
        EXPECT_EQ(got.message, e.message);
        EXPECT_EQ(got.labels, e.labels);
    });
    EXPECT_EQ(batches, 1);
}

TEST(EventLogTest, RecordsOfTheFirstFormatStillReadWithoutAMessage) {
    Event e = EventBuilder().kind("email.open").id("sg-2").at(1'763'892'000'123);
    e.message = "fedcba9876543210fedcba9876543210";
    std::string payload = encode_batch("sendgrid", {e});
    // Format 1 is format 2 without the message: drop it (its length prefix and bytes).
    const std::size_t at = payload.find(e.message) - 4;
    payload.erase(at, 4 + e.message.size());
    payload[0] = 1;
    std::string source;
    std::vector<Event> events;
    ASSERT_TRUE(decode_batch(payload, source, events));
    ASSERT_EQ(events.size(), 1U);
    EXPECT_EQ(events[0].id, "sg-2");
    EXPECT_EQ(events[0].message, "");
    EXPECT_EQ(events[0].labels, e.labels);
}

TEST(EventLogTest, TornTailIsTruncatedAndLoggingContinues) {
    testing::TempDir dir;
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        log.append("sendgrid", batch(0, 10));
        log.append("sendgrid", batch(10, 10));
        log.append("sendgrid", batch(20, 10));
    }
    // A crash in the middle of the last write.
    std::string segment;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
        segment = f.path().string();
    }
    std::filesystem::resize_file(segment, std::filesystem::file_size(segment) - 7);
    {
        EventLog log(dir.path(), {});
        int events = 0;
        log.replay(1, [&](std::string&&, std::vector<Event>&& ev) { events += static_cast<int>(ev.size()); });
        EXPECT_EQ(events, 20);
        log.append("sendgrid", batch(30, 5));
    }
    auto ids = replay_ids(dir.path());
    ASSERT_EQ(ids.size(), 25U);
    EXPECT_EQ(ids.back(), "e34");
}

// One damaged record (a flipped byte on disk) costs just that record: the rest of its segment
// is replayed, record numbers stay as written (a checkpoint's boundary still holds), the loss
// is counted, and the segment as found is kept for inspection.
class DamagedRecordTest : public ::testing::TestWithParam<std::size_t> {};

TEST_P(DamagedRecordTest, SkipsJustTheDamagedRecord) {
    testing::TempDir dir;
    std::vector<std::size_t> offsets;  // where each record starts
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        for (int b = 0; b < 50; ++b) {
            offsets.push_back(static_cast<std::size_t>(log.bytes_written()));
            log.append("sendgrid", batch(b * 10, 10));
        }
    }
    std::string segment;
    for (const auto& f : std::filesystem::directory_iterator(dir.path())) {
        segment = f.path().string();
    }
    {
        std::fstream file(segment, std::ios::in | std::ios::out | std::ios::binary);
        file.seekg(static_cast<std::streamoff>(offsets[20] + GetParam()));
        char c = 0;
        file.get(c);
        file.seekp(static_cast<std::streamoff>(offsets[20] + GetParam()));
        file.put(static_cast<char>(c ^ 0x5a));
    }
    EventLog log(dir.path(), {});
    std::set<std::string> ids;
    log.replay(1, [&](std::string&&, std::vector<Event>&& events) {
        for (const auto& e : events) {
            ids.insert(e.id);
        }
    });
    EXPECT_EQ(ids.size(), 490U);
    EXPECT_EQ(ids.count("e200"), 0U);
    EXPECT_EQ(ids.count("e210"), 1U);
    EXPECT_EQ(ids.count("e499"), 1U);
    EXPECT_EQ(log.damaged_records(), 1U);
    EXPECT_TRUE(std::filesystem::exists(dir.file("damaged")));
    EXPECT_EQ(log.next_seq(), 51U);
    // Numbering after the damaged record is as written: from record 31 on is e300 on.
    auto from = replay_ids(dir.path(), 31);
    ASSERT_FALSE(from.empty());
    EXPECT_EQ(from.front(), "e300");
}

INSTANTIATE_TEST_SUITE_P(Where, DamagedRecordTest,
                         ::testing::Values(std::size_t{1},     // the length field
                                           std::size_t{5},     // the CRC
                                           std::size_t{40}));  // the payload

// A failed write (here the file size limit, as a full disk would) refuses appends until the
// log can write again; then it goes on by itself, without a restart, and what was refused is
// not half in the file.
TEST(EventLogTest, RecoversByItselfAfterWritesFail) {
    testing::TempDir dir;
    std::signal(SIGXFSZ, SIG_IGN);
    rlimit old{};
    ::getrlimit(RLIMIT_FSIZE, &old);
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        log.append("sendgrid", batch(0, 10));
        rlimit small = old;
        small.rlim_cur = log.bytes_written() + 100;
        ::setrlimit(RLIMIT_FSIZE, &small);
        EXPECT_THROW(log.append("sendgrid", batch(10, 10)), std::runtime_error);
        EXPECT_THROW(log.append("sendgrid", batch(20, 10)), std::runtime_error);
        EXPECT_FALSE(log.writable());
        ::setrlimit(RLIMIT_FSIZE, &old);
        std::this_thread::sleep_for(std::chrono::milliseconds(1100));
        EXPECT_TRUE(log.writable());
        log.append("sendgrid", batch(30, 10));
    }
    auto ids = replay_ids(dir.path());
    ASSERT_EQ(ids.size(), 20U);
    EXPECT_EQ(ids[10], "e30");
}

TEST(EventLogTest, ConcurrentAppendsAreAllDurableOnce) {
    testing::TempDir dir;
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&, t] {
                for (int i = 0; i < 50; ++i) {
                    log.append("sendgrid", batch(t * 1000 + i * 10, 10));
                }
            });
        }
        for (auto& th : threads) {
            th.join();
        }
    }
    auto ids = replay_ids(dir.path());
    EXPECT_EQ(ids.size(), 8U * 50 * 10);
    std::set<std::string> unique(ids.begin(), ids.end());
    EXPECT_EQ(unique.size(), ids.size());
}

TEST(EventLogTest, CheckpointedSegmentsRetireAndReplayStartsAfterTheCheckpoint) {
    testing::TempDir dir;
    {
        EventLog log(dir.path(), {4096, EventLog::Fsync::kNever});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        for (int i = 0; i < 40; ++i) {
            log.append("sendgrid", batch(i * 10, 10));  // record i + 1 holds e(10i)..e(10i+9)
        }
        const auto before = log.segments();
        EXPECT_GT(before, 3U);
        log.retire_before(21);  // a checkpoint holds records 1..20 (events e0..e199)
        EXPECT_LT(log.segments(), before);
        EXPECT_GE(log.segments(), 1U);
    }
    // Replay from the checkpoint visits exactly the records after it, whatever segments remain.
    auto ids = replay_ids(dir.path(), 21);
    ASSERT_EQ(ids.size(), 200U);
    EXPECT_EQ(ids.front(), "e200");
    EXPECT_EQ(ids.back(), "e399");
}

TEST(EventLogTest, AFullyCheckpointedLogKeepsNumberingAfterTheCheckpoint) {
    testing::TempDir dir;
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        log.append("sendgrid", batch(0, 10));
        log.append("sendgrid", batch(10, 10));
        EXPECT_EQ(log.next_seq(), 3U);
        log.retire_before(3);  // everything is checkpointed: the segment being written goes too
        EXPECT_EQ(log.segments(), 0U);
    }
    {
        // A restart finds no segment; the checkpoint's position keeps the numbering going, so
        // new records are not mistaken for checkpointed ones.
        EventLog log(dir.path(), {});
        log.replay(3, [](std::string&&, std::vector<Event>&&) { FAIL(); });
        EXPECT_EQ(log.next_seq(), 3U);
        log.append("sendgrid", batch(20, 5));
    }
    auto ids = replay_ids(dir.path(), 3);
    ASSERT_EQ(ids.size(), 5U);
    EXPECT_EQ(ids.front(), "e20");
}

// A crash between creating a segment and its first write leaves an empty file named after the
// next record; the next segment would get that name too. The empty one goes at start, so
// retiring never deletes the live segment through the old entry.
TEST(EventLogTest, AnEmptySegmentLeftByACrashIsNotMistakenForTheNextOne) {
    testing::TempDir dir;
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        log.append("sendgrid", batch(0, 10));  // record 1
    }
    std::ofstream(dir.path() + "/00000000000000000002.seg");  // created, never written
    {
        EventLog log(dir.path(), {});
        log.replay(1, [](std::string&&, std::vector<Event>&&) {});
        log.append("sendgrid", batch(10, 10));  // record 2, in a new 00..02.seg
        log.retire_before(2);                   // a checkpoint holds record 1
    }
    auto ids = replay_ids(dir.path(), 2);
    ASSERT_EQ(ids.size(), 10U);
    EXPECT_EQ(ids.front(), "e10");
}

TEST(EventLogTest, Crc32MatchesZlib) {
    // zlib: crc32(0, "123456789", 9) == 0xCBF43926.
    EXPECT_EQ(crc32("123456789", 9), 0xCBF43926U);
}

}  // namespace
}  // namespace terrain::core
