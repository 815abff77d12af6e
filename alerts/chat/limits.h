#pragma once

#include <cstddef>

// The documented limits of what each chat and paging platform accepts, in one place. A
// message that breaks one is refused by the platform (Slack: invalid_blocks; PagerDuty: 400),
// so the receivers cut text to them (alerts/chat/chat_text.h: cut_text, at a character
// boundary, never inside an escape) and the tests check every payload against them. The
// platforms count characters; terrain cuts by bytes, which never exceeds the character count.
namespace terrain::alerts::limits {

// Slack Block Kit (api.slack.com/reference/block-kit: blocks, block elements, composition
// objects) and chat.postMessage (api.slack.com/methods/chat.postMessage).
namespace slack {
inline constexpr std::size_t kBlocks = 50;              // blocks per message
inline constexpr std::size_t kHeaderText = 150;         // header block: plain_text
inline constexpr std::size_t kSectionText = 3000;       // section block: text
inline constexpr std::size_t kFields = 10;              // section block: fields
inline constexpr std::size_t kFieldText = 2000;         // section block: each field's text
inline constexpr std::size_t kContextElements = 10;     // context block: elements
inline constexpr std::size_t kContextText = 3000;       // context block: a text element
inline constexpr std::size_t kActionsElements = 25;     // actions block: elements
inline constexpr std::size_t kButtonText = 75;          // button: text
inline constexpr std::size_t kButtonValue = 2000;       // button: value
inline constexpr std::size_t kActionId = 255;           // any element: action_id (unique)
inline constexpr std::size_t kBlockId = 255;            // any block: block_id
inline constexpr std::size_t kPlaceholder = 150;        // static_select: placeholder
inline constexpr std::size_t kOptions = 100;            // static_select: options
inline constexpr std::size_t kOptionText = 75;          // option object: text
inline constexpr std::size_t kOptionValue = 150;        // option object: value
inline constexpr std::size_t kConfirmTitle = 100;       // confirmation dialog: title
inline constexpr std::size_t kConfirmText = 300;        // confirmation dialog: text
inline constexpr std::size_t kConfirmButton = 30;       // confirmation dialog: confirm, deny
inline constexpr std::size_t kMessageText = 40000;      // chat.postMessage: text (cut beyond)
}  // namespace slack

// Mattermost (developers.mattermost.com/integrate/reference/message-attachments and the
// server's model/post.go: PostMessageMaxRunesV2, PostPropsMaxRunes).
namespace mattermost {
inline constexpr std::size_t kMessage = 16383;     // a post's message
inline constexpr std::size_t kProps = 800000;      // a post's props (its attachments), as JSON
inline constexpr std::size_t kActions = 20;        // terrain's own bound on buttons per attachment
}  // namespace mattermost

// PagerDuty Events API v2 (developer.pagerduty.com/docs/events-api-v2/trigger-events).
namespace pagerduty {
inline constexpr std::size_t kSummary = 1024;      // payload.summary
inline constexpr std::size_t kDedupKey = 255;      // dedup_key
inline constexpr std::size_t kEvent = 512 * 1024;  // the whole event
// payload.severity is one of critical, error, warning, info.
}  // namespace pagerduty

// Microsoft Teams bot messages (learn.microsoft.com/microsoftteams/platform/bots/
// how-to/format-your-bot-messages: a message, its card included, at most about 28 KB).
namespace teams {
inline constexpr std::size_t kActivity = 28 * 1024;
inline constexpr std::size_t kText = 2000;         // terrain's bound on one TextBlock
inline constexpr std::size_t kLabel = 200;         // terrain's bound on an input's label
inline constexpr std::size_t kActions = 5;         // buttons a card shows (the default host config)
}  // namespace teams

}  // namespace terrain::alerts::limits
