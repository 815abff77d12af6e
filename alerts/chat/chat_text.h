#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace terrain::alerts {

// Text taken from alerts (label values, reasons, people's names) as each destination must
// receive it, so that it shows as written and is never read as markup: no mention, no link
// whose text hides its address, no formatting. terrain's own markup (bold fact names, the
// mentions of the people on duty) is added around escaped text, never inside it.

// Slack mrkdwn: '&', '<' and '>' as Slack's entities ("<!channel>", "<https://x|Pause>" and
// "<@U1>" all need '<'); control characters (a newline) as spaces.
std::string slack_escape(std::string_view text);
// Markdown (Mattermost messages and attachments, Teams Adaptive Card text and replies): a
// backslash before each character that makes emphasis, code or a link, a zero-width space after
// each '@' (Mattermost reads "@channel" and "@all" in plain text as mentions), '<' and '>' as
// entities, control characters (a newline: a new list item or heading) as spaces.
std::string markdown_escape(std::string_view text);
// Plain text a platform shows as it is but may still scan for mentions (Mattermost's
// attachment fallback, Teams' activity summary in notifications): a zero-width space after
// each '@', control characters as spaces.
std::string plain_escape(std::string_view text);
// `text` cut to at most `max_bytes` (an ellipsis marks the cut), at a UTF-8 character boundary
// and never inside an escape made by the functions above ("&amp;", "\[") or inside terrain's own
// markup ("<@U1>").
std::string cut_text(std::string_view text, std::size_t max_bytes);

}  // namespace terrain::alerts
