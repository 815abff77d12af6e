#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "core/intake.h"
#include "tests/support/builders.h"

namespace terrain::core {
namespace {

using testing::EventBuilder;

std::vector<Event> batch(std::initializer_list<const char*> ids) {
    std::vector<Event> out;
    for (const char* id : ids) {
        out.push_back(EventBuilder().id(id));
    }
    return out;
}

TEST(IntakeTest, DeduplicatesRetriesPerSource) {
    Telemetry t;
    Intake in(100, 1000, t);
    auto a = in.submit("sendgrid", batch({"x", "y"}));
    EXPECT_TRUE(a.queued);
    EXPECT_EQ(a.accepted, 2U);
    auto b = in.submit("sendgrid", batch({"y", "z", "z"}));
    EXPECT_EQ(b.accepted, 1U);
    EXPECT_EQ(b.duplicates, 2U);
    auto c = in.submit("events", batch({"x"}));  // same id, other source: not a duplicate
    EXPECT_EQ(c.accepted, 1U);
}

TEST(IntakeTest, FullQueueRefusesWithoutRememberingIds) {
    Telemetry t;
    Intake in(3, 1000, t);
    EXPECT_TRUE(in.submit("s", batch({"a", "b", "c"})).queued);
    auto refused = in.submit("s", batch({"d"}));
    EXPECT_FALSE(refused.queued);
    std::vector<Intake::Batch> taken;
    ASSERT_TRUE(in.take(taken, std::chrono::milliseconds(0)));
    EXPECT_EQ(taken.size(), 1U);
    // Taken but not yet processed still counts against capacity.
    EXPECT_FALSE(in.submit("s", batch({"d"})).queued);
    in.mark_done(3);
    auto retry = in.submit("s", batch({"d"}));
    EXPECT_TRUE(retry.queued);
    EXPECT_EQ(retry.accepted, 1U);  // the refused attempt left no trace in the dedup set
}

TEST(IntakeTest, CloseLetsConsumerDrainThenStop) {
    Telemetry t;
    Intake in(10, 10, t);
    in.submit("s", batch({"a"}));
    in.close();
    EXPECT_FALSE(in.submit("s", batch({"b"})).queued);
    std::vector<Intake::Batch> taken;
    EXPECT_TRUE(in.take(taken, std::chrono::milliseconds(0)));
    EXPECT_EQ(taken.size(), 1U);
    EXPECT_FALSE(in.take(taken, std::chrono::milliseconds(0)));
}

TEST(IntakeTest, SavedIdsStillRecogniseRetriesAfterARestore) {
    Telemetry t;
    Intake first(100, 1000, t);
    first.submit("sendgrid", batch({"x", "y"}));
    Intake second(100, 1000, t);
    ASSERT_TRUE(second.restore_ids(first.save_ids()));
    auto retry = second.submit("sendgrid", batch({"y", "z"}));
    EXPECT_EQ(retry.accepted, 1U);
    EXPECT_EQ(retry.duplicates, 1U);
    EXPECT_FALSE(second.restore_ids("garbage"));
}

TEST(IntakeTest, HoldKeepsNewBatchesAtTheDoorUntilRelease) {
    Telemetry t;
    Intake in(100, 1000, t);
    in.submit("s", batch({"a"}));
    in.hold();  // nothing between the door and the queue: returns at once
    std::atomic<bool> submitted{false};
    std::thread sender([&] {
        in.submit("s", batch({"b"}));
        submitted = true;
    });
    std::vector<Intake::Batch> taken;
    ASSERT_TRUE(in.take(taken, std::chrono::milliseconds(0)));
    ASSERT_EQ(taken.size(), 1U);  // only what was accepted before the hold
    EXPECT_EQ(taken[0].events[0].id, "a");
    EXPECT_FALSE(submitted.load());
    in.release();
    sender.join();
    EXPECT_TRUE(submitted.load());
    taken.clear();
    ASSERT_TRUE(in.take(taken, std::chrono::milliseconds(100)));
    EXPECT_EQ(taken[0].events[0].id, "b");
}

}  // namespace
}  // namespace terrain::core
