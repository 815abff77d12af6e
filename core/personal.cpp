#include "core/personal.h"

#include <span>

#include <cctype>

namespace terrain::core {

namespace {

int hex_digit(char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

std::string percent_decoded(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] == '%' && i + 2 < text.size() &&
            hex_digit(text[i + 1]) >= 0 && hex_digit(text[i + 2]) >= 0) {
            out.push_back(static_cast<char>(hex_digit(text[i + 1]) * 16 + hex_digit(text[i + 2])));
            i += 2;
        } else {
            out.push_back(text[i]);
        }
    }
    return out;
}

// Look-alikes of '@' and of '.' as a plain '@' and '.', and ASCII lower case.
std::string folded(std::string_view text) {
    static constexpr std::pair<std::string_view, char> kLookAlikes[] = {
        {"\xef\xbc\xa0", '@'},  // U+FF20 FULLWIDTH COMMERCIAL AT
        {"\xef\xb9\xab", '@'},  // U+FE6B SMALL COMMERCIAL AT
        {"\xef\xbc\x8e", '.'},  // U+FF0E FULLWIDTH FULL STOP
        {"\xef\xbd\xa1", '.'},  // U+FF61 HALFWIDTH IDEOGRAPHIC FULL STOP
        {"\xe3\x80\x82", '.'},  // U+3002 IDEOGRAPHIC FULL STOP
        {"\xef\xbc\x8b", '+'},  // U+FF0B FULLWIDTH PLUS SIGN
    };
    std::string out;
    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size();) {
        bool replaced = false;
        // Every look-alike starts with one of these two lead bytes: the common case skips them.
        const auto lead = static_cast<unsigned char>(text[i]);
        for (const auto& [from, to] : lead == 0xEF || lead == 0xE3
                                          ? std::span<const std::pair<std::string_view, char>>(kLookAlikes)
                                          : std::span<const std::pair<std::string_view, char>>()) {
            if (text.substr(i, from.size()) == from) {
                out.push_back(to);
                i += from.size();
                replaced = true;
                break;
            }
        }
        if (!replaced) {
            out.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(text[i]))));
            ++i;
        }
    }
    return out;
}

bool is_local_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' ||
           c == '%' || c == '+' || c == '-' || c == '\'' || static_cast<unsigned char>(c) >= 0x80;
}

bool is_domain_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '.' ||
           static_cast<unsigned char>(c) >= 0x80;
}

bool holds_address(std::string_view s) {
    for (std::size_t at = s.find('@'); at != std::string_view::npos; at = s.find('@', at + 1)) {
        if (at == 0 || !is_local_char(s[at - 1])) {
            continue;
        }
        std::size_t end = at + 1;
        while (end < s.size() && is_domain_char(s[end])) {
            ++end;
        }
        const auto domain = s.substr(at + 1, end - at - 1);
        const auto dot = domain.find('.');
        if (dot != std::string_view::npos && dot > 0 && dot + 1 < domain.size()) {
            return true;
        }
    }
    return false;
}

bool holds_phone(std::string_view s) {
    for (std::size_t plus = s.find('+'); plus != std::string_view::npos;
         plus = s.find('+', plus + 1)) {
        int digits = 0;
        std::size_t i = plus + 1;
        for (; i < s.size(); ++i) {
            const char c = s[i];
            if (c >= '0' && c <= '9') {
                ++digits;
            } else if (c != ' ' && c != '-' && c != '.' && c != '(' && c != ')') {
                break;
            }
        }
        if (digits >= 7 && digits <= 15) {
            return true;
        }
    }
    return false;
}

}  // namespace

bool holds_contact(std::string_view value) {
    std::string once = percent_decoded(value);
    std::string twice = percent_decoded(once);
    for (const std::string* v : {&once, &twice}) {
        const std::string f = folded(*v);
        if (holds_address(f) || holds_phone(f)) {
            return true;
        }
    }
    return false;
}

std::string label_value(std::string_view value, const SubjectHasher* hasher) {
    if (holds_contact(value)) {
        // Hashed as decoded and folded, so "jane%40example.com" and "jane@example.com" are one.
        const std::string canonical = folded(percent_decoded(percent_decoded(value)));
        return "hashed:" +
               (hasher != nullptr ? hasher->hash(canonical).substr(0, 16) : "redacted");
    }
    if (value.size() <= kMaxLabelBytes) {
        return std::string(value);
    }
    std::size_t cut = kMaxLabelBytes;
    while (cut > 0 && (static_cast<unsigned char>(value[cut]) & 0xC0) == 0x80) {
        --cut;
    }
    return std::string(value.substr(0, cut));
}

}  // namespace terrain::core
