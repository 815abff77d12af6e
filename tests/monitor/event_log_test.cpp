#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <thread>

#include "monitor/event_log.h"
#include "tests/support/builders.h"
#include "tests/support/temp_dir.h"

namespace terrain::monitor {
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
        EXPECT_EQ(got.labels, e.labels);
    });
    EXPECT_EQ(batches, 1);
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
}  // namespace terrain::monitor
