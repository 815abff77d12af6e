#include "alerts/chat/chat_text.h"

namespace terrain::alerts {

std::string slack_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            default: out.push_back(static_cast<unsigned char>(c) < 0x20 ? ' ' : c);
        }
    }
    return out;
}

std::string markdown_escape(std::string_view text) {
    // What makes emphasis, code, links ("[text](url)" needs its brackets), headings and
    // strike-through; lists and tables need a new line, and control characters become spaces.
    static constexpr std::string_view kPunctuation = "\\`*_[]#~";
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    for (char c : text) {
        if (c == '<') {
            out += "&lt;";
        } else if (c == '>') {
            out += "&gt;";
        } else if (static_cast<unsigned char>(c) < 0x20) {
            out.push_back(' ');
        } else if (c == '@') {
            out += "@\u200b";
        } else {
            if (kPunctuation.find(c) != std::string_view::npos) {
                out.push_back('\\');
            }
            out.push_back(c);
        }
    }
    return out;
}

std::string plain_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        if (static_cast<unsigned char>(c) < 0x20) {
            out.push_back(' ');
        } else {
            out.push_back(c);
            if (c == '@') {
                out += "\u200b";
            }
        }
    }
    return out;
}

std::string cut_text(std::string_view text, std::size_t max_bytes) {
    if (text.size() <= max_bytes) {
        return std::string(text);
    }
    static constexpr std::string_view kEllipsis = "\u2026";
    if (max_bytes < kEllipsis.size()) {
        return "";
    }
    std::size_t end = max_bytes - kEllipsis.size();
    // Not inside a UTF-8 character: back off continuation bytes.
    while (end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
        --end;
    }
    // Not inside an entity ("&amp;" is at most 5 bytes) or after a lone escaping backslash.
    const auto amp = text.rfind('&', end == 0 ? 0 : end - 1);
    if (amp != std::string_view::npos && end - amp < 6 &&
        text.substr(amp, end - amp).find(';') == std::string_view::npos) {
        end = amp;
    }
    // Not inside terrain's own markup ("<@U1>", "<at>Ana</at>"): escaped text holds no '<'.
    const auto open = text.rfind('<', end == 0 ? 0 : end - 1);
    if (open != std::string_view::npos && open < end &&
        text.substr(open, end - open).find('>') == std::string_view::npos) {
        end = open;
    }
    std::size_t backslashes = 0;
    while (backslashes < end && text[end - 1 - backslashes] == '\\') {
        ++backslashes;
    }
    if (backslashes % 2 == 1) {
        --end;
    }
    return std::string(text.substr(0, end)) + std::string(kEllipsis);
}

}  // namespace terrain::alerts
