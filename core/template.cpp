#include "core/template.h"

#include <cctype>
#include <cstdio>

namespace terrain::core {

namespace {

bool name_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_' || c == '.' || c == '-';
}

// Walks the template: calls text(part) for literal text and name(placeholder) for each
// placeholder, stopping at the first error either returns.
template <typename Text, typename Name>
std::optional<Error> walk(std::string_view t, Text text, Name name) {
    std::size_t pos = 0;
    while (pos < t.size()) {
        const auto open = t.find("{{", pos);
        if (open == std::string_view::npos) {
            text(t.substr(pos));
            break;
        }
        text(t.substr(pos, open - pos));
        const auto close = t.find("}}", open + 2);
        if (close == std::string_view::npos) {
            return Error{"bad_template",
                         "'{{' at offset " + std::to_string(open) + " is never closed with '}}'",
                         -1, ""};
        }
        std::string_view inner = t.substr(open + 2, close - open - 2);
        while (!inner.empty() && inner.front() == ' ') {
            inner.remove_prefix(1);
        }
        while (!inner.empty() && inner.back() == ' ') {
            inner.remove_suffix(1);
        }
        if (inner.empty()) {
            return Error{"bad_template", "empty placeholder '{{}}' at offset " +
                                             std::to_string(open), -1, ""};
        }
        for (char c : inner) {
            if (!name_char(c)) {
                return Error{"bad_template",
                             "placeholder '{{" + std::string(inner) +
                                 "}}' may hold only letters, digits, '_', '.' and '-'", -1, ""};
            }
        }
        if (auto e = name(std::string(inner))) {
            return e;
        }
        pos = close + 2;
    }
    return std::nullopt;
}

}  // namespace

std::string percent_encode(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        if (std::isalnum(c) != 0 || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::string json_escape(std::string_view text) {
    std::string out;
    for (unsigned char c : text) {
        switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\u%04x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c);
                }
        }
    }
    return out;
}

Result<std::vector<std::string>> template_names(std::string_view text) {
    std::vector<std::string> names;
    auto e = walk(text, [](std::string_view) {},
                  [&](const std::string& name) -> std::optional<Error> {
                      names.push_back(name);
                      return std::nullopt;
                  });
    if (e) {
        return *e;
    }
    return names;
}

Result<std::string> render_template(
    std::string_view text,
    const std::function<std::optional<std::string>(const std::string&)>& lookup,
    Escape escape) {
    std::string out;
    auto e = walk(
        text, [&](std::string_view part) { out += part; },
        [&](const std::string& name) -> std::optional<Error> {
            auto value = lookup(name);
            if (!value) {
                return Error{"unknown_placeholder", "nothing to put in '{{" + name + "}}'", -1, ""};
            }
            switch (escape) {
                case Escape::kUrl: out += percent_encode(*value); break;
                case Escape::kJson: out += json_escape(*value); break;
                case Escape::kHeader:
                    if (value->find_first_of("\r\n") != std::string::npos) {
                        return Error{"bad_header",
                                     "'{{" + name + "}}' holds a line break; not put in a header", -1, ""};
                    }
                    out += *value;
                    break;
                case Escape::kNone: out += *value; break;
            }
            return std::nullopt;
        });
    if (e) {
        return *e;
    }
    return out;
}

}  // namespace terrain::core
