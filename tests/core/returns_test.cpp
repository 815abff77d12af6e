#include <gtest/gtest.h>

#include "core/returns.h"

namespace terrain::core {
namespace {

constexpr std::int64_t kMinute = 60'000;

Event call(std::int64_t t, const std::string& who, const std::string& lob, const std::string& outcome) {
    Event e;
    e.time_ms = t;
    e.kind = "ivr.call";
    e.labels = {{"source", "connect_ctr"}, {"channel", "voice"}, {"lob", lob}, {"outcome", outcome}};
    e.subject = who;
    e.id = "c" + std::to_string(t);
    return e;
}

std::string label(const Event& e, const std::string& name) {
    for (const auto& [k, v] : e.labels) {
        if (k == name) {
            return v;
        }
    }
    return "<absent>";
}

TEST(ReturnTrackerTest, ACustomerBackWithinTheWindowIsAReturnCarryingTheFirstContact) {
    ReturnTracker t(60 * kMinute, 100);
    EXPECT_FALSE(t.observe(call(0, "a", "orders", "self_served")));
    Event chat = call(20 * kMinute, "a", "billing", "agent");
    chat.kind = "bot.session";
    chat.labels = {{"bot", "help-bot"}, {"outcome", "escalated"}};
    auto back = t.observe(chat);
    ASSERT_TRUE(back);
    EXPECT_EQ(back->kind, "contact.return");
    EXPECT_EQ(back->side, Side::kCustomer);
    EXPECT_EQ(back->time_ms, 20 * kMinute);
    EXPECT_EQ(label(*back, "lob"), "orders");              // where the first contact was handled
    EXPECT_EQ(label(*back, "first_outcome"), "self_served");
    EXPECT_EQ(label(*back, "channel"), "chat");             // how they came back
    EXPECT_EQ(label(*back, "bot"), "<absent>");
    // The chat session is now the customer's last contact.
    auto again = t.observe(call(50 * kMinute, "a", "orders", "agent"));
    ASSERT_TRUE(again);
    EXPECT_EQ(label(*again, "bot"), "help-bot");
    EXPECT_EQ(label(*again, "first_outcome"), "escalated");
}

TEST(ReturnTrackerTest, LaterThanTheWindowOtherCustomersAndNoSubjectAreNotReturns) {
    ReturnTracker t(60 * kMinute, 100);
    t.observe(call(0, "a", "orders", "self_served"));
    EXPECT_FALSE(t.observe(call(61 * kMinute, "a", "orders", "self_served")));
    EXPECT_FALSE(t.observe(call(62 * kMinute, "b", "orders", "self_served")));
    EXPECT_FALSE(t.observe(call(63 * kMinute, "", "orders", "self_served")));
    Event abandon = call(64 * kMinute, "b", "orders", "abandoned");
    abandon.kind = "ivr.abandon";  // not a contact of its own
    EXPECT_FALSE(t.observe(abandon));
    EXPECT_EQ(t.size(), 2U);  // a and b, remembered for the next hour
    t.observe(call(200 * kMinute, "c", "orders", "agent"));
    EXPECT_EQ(t.size(), 1U);  // a and b forgotten an hour after their last contact
}

TEST(ReturnTrackerTest, TheMemoryIsBoundedOldestFirst) {
    ReturnTracker t(60 * kMinute, 2);
    t.observe(call(0, "a", "x", "self_served"));
    t.observe(call(1, "b", "x", "self_served"));
    t.observe(call(2, "c", "x", "self_served"));
    EXPECT_EQ(t.size(), 2U);
    EXPECT_EQ(t.evicted(), 1U);
    EXPECT_FALSE(t.observe(call(3, "a", "x", "agent")));  // a was forgotten
    EXPECT_TRUE(t.observe(call(4, "c", "x", "agent")));
}

TEST(ReturnTrackerTest, ZeroTurnsItOff) {
    ReturnTracker t(0, 100);
    t.observe(call(0, "a", "x", "self_served"));
    EXPECT_FALSE(t.observe(call(1, "a", "x", "self_served")));
}

}  // namespace
}  // namespace terrain::core
