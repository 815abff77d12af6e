#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace terrain::core {

// Templates of override actions: text with {{name}} placeholders (names of letters, digits,
// '_', '.' and '-'; spaces inside the braces are allowed). Used for the MAP requests that
// actions send and for the confirmation texts people read.
enum class Escape : std::uint8_t {
    kNone,  // plain text (confirmation texts)
    kUrl,   // percent-encoded: everything but unreserved characters (RFC 3986)
    kJson,  // as inside a JSON string: quotes, backslashes and control characters escaped
    kHeader,  // refused when the value holds CR or LF
};

// The placeholder names in order of appearance; an error names an unclosed or empty one.
Result<std::vector<std::string>> template_names(std::string_view text);

// Replaces each placeholder with lookup(name), escaped. An error names a placeholder lookup
// does not know (nullopt) or a header value with a line break.
Result<std::string> render_template(std::string_view text,
                                    const std::function<std::optional<std::string>(
                                        const std::string&)>& lookup,
                                    Escape escape);

std::string percent_encode(std::string_view text);
std::string json_escape(std::string_view text);

}  // namespace terrain::core
