// Text from alerts reaches each chat platform as text, never as markup.
#include <gtest/gtest.h>

#include <string>

#include "webhooks/chat_text.h"

namespace terrain::webhooks {
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

}  // namespace
}  // namespace terrain::webhooks
