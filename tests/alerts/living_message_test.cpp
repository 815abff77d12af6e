#include "monitor/default_config.h"
#include "alerts/chat/living_message.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "alerts/policy.h"
#include "tests/support/chat_stand_in.h"
#include "tests/support/temp_dir.h"
#include "alerts/slack/receiver.h"

namespace terrain::alerts {
namespace {

alerts::Alert alert(const std::string& id, const std::string& metric, const std::string& campaign) {
    alerts::Alert a;
    a.id = id;
    a.metric = metric;
    a.severity = "warning";
    a.state = alerts::AlertState::kFiring;
    a.labels = {{"campaign", campaign}};
    a.summary = metric + " on " + campaign;
    return a;
}

alerts::Notification told(const alerts::Alert& a, const std::string& transition,
                          const std::string& note = "") {
    alerts::Notification n;
    n.alert = a;
    n.transition = transition;
    n.note = note;
    return n;
}

// Grouping, as an Alertmanager user expects it, in Slack: alerts of one campaign share the
// first one's top-level message (the others' cards in its thread, each edited in place, their
// notes in the same thread); another campaign gets its own; once the first alert resolves the
// campaign's next alert starts a new message; and a restart keeps an open group.
TEST(LivingMessageTest, AlertsOfOneGroupShareATopLevelMessageAndItsThread) {
    testing::TempDir dir;
    testing::ChatStandIn chat;
    ::setenv("TEST_SLACK_TOKEN", "xoxb-test", 1);
    const core::Config config = monitor::default_config();
    alerts::Policy policy(config.people, config.actions, config.interact);
    core::ReceiverConfig r;
    r.name = "cx-slack";
    r.type = "slack";
    r.params = {{"url", chat.base() + "/api"},
                {"channel", "C0TERRAIN"},
                {"token", {{"env", "TEST_SLACK_TOKEN"}}},
                {"group_by", {"campaign"}}};
    core::SqliteStore store(dir.file("t.db"));
    auto posts = [&] { return chat.to("/api/chat.postMessage"); };

    auto spam = alert("a-spam", "spam_complaint_rate", "spring");
    auto unsubs = alert("a-unsubs", "unsubscribe_rate", "spring");
    {
        SlackReceiver slack(r, policy, store);
        ASSERT_TRUE(slack.send(told(spam, "firing")).ok);
        ASSERT_TRUE(slack.send(told(unsubs, "firing")).ok);
        ASSERT_TRUE(slack.send(told(alert("a-other", "spam_complaint_rate", "autumn"), "firing")).ok);
        ASSERT_EQ(posts().size(), 3U);
        EXPECT_FALSE(posts()[0].body.contains("thread_ts"));
        EXPECT_EQ(posts()[1].body["thread_ts"], "1764500000.100001");  // in spring's thread
        EXPECT_FALSE(posts()[1].body["blocks"].empty());                 // with its own card
        EXPECT_FALSE(posts()[2].body.contains("thread_ts"));            // autumn: its own

        // The grouped card is edited in place; its note goes to the group's thread.
        unsubs.acknowledged_at_ms = 1;
        unsubs.acknowledged_by = "Ana Ortiz";
        ASSERT_TRUE(slack.send(told(unsubs, "acknowledged", "Acknowledged by Ana Ortiz.")).ok);
        const auto updates = chat.to("/api/chat.update");
        ASSERT_EQ(updates.size(), 1U);
        EXPECT_EQ(updates[0].body["ts"], "1764500000.100002");
        EXPECT_EQ(posts().back().body["thread_ts"], "1764500000.100001");
        EXPECT_EQ(posts().back().body["text"], "Acknowledged by Ana Ortiz.");
    }
    // A restart with spring's first alert still firing keeps the group.
    {
        SlackReceiver slack(r, policy, store);
        slack.restore({spam, unsubs});
        ASSERT_TRUE(slack.send(told(alert("a-bounces", "bounce_rate", "spring"), "firing")).ok);
        EXPECT_EQ(posts().back().body["thread_ts"], "1764500000.100001");
        // The first alert resolves: the next one of the campaign starts a new message.
        spam.state = alerts::AlertState::kResolved;
        spam.resolved_by = "recovered";
        ASSERT_TRUE(slack.send(told(spam, "resolved")).ok);
        ASSERT_TRUE(slack.send(told(alert("a-tickets", "ticket_rate", "spring"), "firing")).ok);
        EXPECT_FALSE(posts().back().body.contains("thread_ts"));
    }
}

}  // namespace
}  // namespace terrain::alerts
