// Text from alerts reaches each chat platform as text, never as markup.
#include <gtest/gtest.h>

#include <string>

#include <functional>

#include "monitor/default_config.h"
#include "alerts/policy.h"
#include "core/config.h"
#include "alerts/chat/chat_text.h"
#include "alerts/mattermost/receiver.h"
#include "alerts/slack/receiver.h"
#include "alerts/teams/receiver.h"

namespace terrain::alerts {
namespace {

TEST(ChatTextTest, SlackEscapesMentionsAndDisguisedLinks) {
    EXPECT_EQ(slack_escape("<!channel> pause"), "&lt;!channel&gt; pause");
    EXPECT_EQ(slack_escape("<https://evil.example/login|Pause campaign>"),
              "&lt;https://evil.example/login|Pause campaign&gt;");
    EXPECT_EQ(slack_escape("a & b\nfake line"), "a &amp; b fake line");
    EXPECT_EQ(slack_escape("<@U123>").find('<'), std::string::npos);
}

TEST(ChatTextTest, MarkdownEscapesLinksEmphasisAndMentions) {
    const auto link = markdown_escape("[Pause campaign](https://evil.example/login)");
    EXPECT_EQ(link.rfind("\\[", 0), 0U);
    EXPECT_NE(link.find("\\[Pause campaign\\]"), std::string::npos);
    const auto mention = markdown_escape("@channel and @all");
    EXPECT_EQ(mention.find("@channel"), std::string::npos);
    EXPECT_EQ(mention.find("@all"), std::string::npos);
    EXPECT_EQ(markdown_escape("**bold** _it_ `code`"),
              "\\*\\*bold\\*\\* \\_it\\_ \\`code\\`");
    EXPECT_EQ(markdown_escape("line\n# heading"), "line \\# heading");
    EXPECT_EQ(markdown_escape("<b>"), "&lt;b&gt;");
    EXPECT_EQ(markdown_escape("winback-q4 2.5%"), "winback-q4 2.5%");
}

TEST(ChatTextTest, CutsNeverSplitACharacterOrAnEscape) {
    const std::string ellipsis = "\u2026";
    // A cut inside "&amp;" goes back to before it.
    const auto entity = cut_text(slack_escape("aaaa&bbbbbbbb"), 9);
    EXPECT_EQ(entity, "aaaa" + ellipsis);
    // A cut inside a two-byte character goes back to its start.
    const auto utf8 = cut_text("aa\xc3\xa9\xc3\xa9\xc3\xa9", 6);
    EXPECT_EQ(utf8, "aa" + ellipsis);
    // A cut right after an escaping backslash drops the backslash.
    const auto slash = cut_text(markdown_escape("abc*def"), 7);
    EXPECT_EQ(slash, "abc" + ellipsis);
    EXPECT_EQ(cut_text("short", 10), "short");
    for (std::size_t n = 0; n < 40; ++n) {
        EXPECT_LE(cut_text(slack_escape("<!channel> & <@U1> \xc3\xa9\xc3\xa9 <x|y>"), n).size(),
                  n);
    }
}

// What a campaign label or a clicker's name can carry reaches each platform as text: the cards
// hold no mention, no disguised link and no forged line.
TEST(ChatTextTest, CardsCarryHostileLabelsAsText) {
    const core::Config config = monitor::default_config();
    alerts::Policy policy(config.people, config.actions, config.interact);
    alerts::Alert a;
    a.id = "a-1";
    a.metric = "spam_complaint_rate";
    a.severity = "critical";
    a.state = alerts::AlertState::kFiring;
    const std::string hostile =
        "<!channel> @channel [Pause campaign](https://evil.example/login) "
        "<https://evil.example/login|Pause campaign>\n2026-12-01T00:00:00Z info forged";
    a.labels = {{"campaign", hostile}};
    a.summary = "spam complaints for campaign=" + hostile;
    a.acknowledged_at_ms = 1;
    a.acknowledged_by = "<!here> @all";
    // Slack reads mrkdwn for links and mentions; plain_text objects (buttons, confirmations)
    // are shown as written.
    std::string slack;
    std::function<void(const nlohmann::json&)> mrkdwn = [&](const nlohmann::json& j) {
        if (j.is_object() && j.value("type", "") == "mrkdwn") {
            slack += j.value("text", "") + "\n";
        }
        if (j.is_structured()) {
            for (const auto& item : j) {
                mrkdwn(item);
            }
        }
    };
    mrkdwn(SlackReceiver::blocks(a, policy));
    ASSERT_NE(slack.find("evil.example"), std::string::npos);  // the label is there, as text
    EXPECT_EQ(slack.find("<!channel>"), std::string::npos) << slack;
    EXPECT_EQ(slack.find("<!here>"), std::string::npos) << slack;
    EXPECT_EQ(slack.find("<https://evil"), std::string::npos) << slack;
    EXPECT_EQ(slack.find("\n2026"), std::string::npos) << slack;
    auto attachment = MattermostReceiver::attachment(a, policy, "http://t/interact", "secret");
    // The fallback is plain text for notifications (not Markdown); it must only not mention.
    const std::string fallback = attachment["fallback"];
    EXPECT_EQ(fallback.find("@channel"), std::string::npos) << fallback;
    attachment.erase("fallback");
    const std::string mattermost = attachment.dump();
    EXPECT_EQ(mattermost.find("@channel"), std::string::npos) << mattermost;
    EXPECT_EQ(mattermost.find("@all"), std::string::npos) << mattermost;
    EXPECT_EQ(mattermost.find("[Pause campaign]("), std::string::npos) << mattermost;
    EXPECT_EQ(mattermost.find("<https://evil"), std::string::npos) << mattermost;
    const std::string teams = TeamsReceiver::card(a, policy).dump();
    EXPECT_EQ(teams.find("[Pause campaign]("), std::string::npos) << teams;
    EXPECT_EQ(teams.find("<!channel>"), std::string::npos) << teams;
}

}  // namespace
}  // namespace terrain::alerts
