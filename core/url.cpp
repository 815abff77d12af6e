#include "core/url.h"

#include <algorithm>
#include <vector>

namespace terrain::core {

namespace {

Error bad(std::string message) { return Error{"bad_url", std::move(message), -1, ""}; }

bool is_label_char(char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::uint16_t default_port(std::string_view scheme) { return scheme == "https" ? 443 : 80; }

// A DNS name of labels of letters, digits and '-' (not at a label's ends), or an IPv4 address
// (which is such a name of digits); `wildcard` also lets a label be '*'.
bool valid_name(std::string_view host, bool wildcard) {
    if (host.empty() || host.size() > 253) {
        return false;
    }
    std::size_t start = 0;
    while (start <= host.size()) {
        const auto dot = std::min(host.find('.', start), host.size());
        const auto label = host.substr(start, dot - start);
        if (label.empty() || label.size() > 63) {
            return false;
        }
        if (!(wildcard && label == "*")) {
            if (!std::all_of(label.begin(), label.end(), is_label_char) || label.front() == '-' ||
                label.back() == '-') {
                return false;
            }
        }
        start = dot + 1;
    }
    return true;
}

bool valid_ipv6(std::string_view host) {
    return !host.empty() && host.size() <= 45 &&
           std::all_of(host.begin(), host.end(), [](char c) {
               return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || c == ':' || c == '.';
           }) &&
           host.find(':') != std::string_view::npos;
}

// scheme "://" authority; the rest (from the first '/', '?' or '#') is returned in `rest`.
Result<Url> split(std::string_view text, bool wildcard, std::string_view& rest) {
    if (text.size() > kMaxUrlBytes) {
        return bad("longer than " + std::to_string(kMaxUrlBytes) + " bytes");
    }
    for (char c : text) {
        if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
            return bad("holds a space, a control character or a non-ASCII byte");
        }
    }
    Url url;
    const auto colon = text.find("://");
    if (colon == std::string_view::npos) {
        return bad("not an absolute URL (scheme://host/...)");
    }
    for (char c : text.substr(0, colon)) {
        url.scheme.push_back(lower(c));
    }
    if (url.scheme != "http" && url.scheme != "https") {
        return bad("the scheme is not http or https");
    }
    std::string_view after = text.substr(colon + 3);
    const auto end = std::min(after.find_first_of("/?#"), after.size());
    std::string_view authority = after.substr(0, end);
    rest = after.substr(end);
    if (authority.find('@') != std::string_view::npos) {
        return bad("user information (user@host) is not allowed");
    }
    std::string_view port_text;
    if (!authority.empty() && authority.front() == '[') {
        const auto close = authority.find(']');
        if (close == std::string_view::npos) {
            return bad("an IPv6 host lacks its closing ']'");
        }
        for (char c : authority.substr(1, close - 1)) {
            url.host.push_back(lower(c));
        }
        if (!valid_ipv6(url.host)) {
            return bad("not a valid IPv6 host");
        }
        const auto after_host = authority.substr(close + 1);
        if (!after_host.empty()) {
            if (after_host.front() != ':') {
                return bad("unexpected text after the IPv6 host");
            }
            port_text = after_host.substr(1);
        }
    } else {
        const auto c = authority.find(':');
        for (char ch : authority.substr(0, c)) {
            url.host.push_back(lower(ch));
        }
        if (c != std::string_view::npos) {
            port_text = authority.substr(c + 1);
        }
        if (!valid_name(url.host, wildcard)) {
            return bad("the host is not a DNS name or an IP address");
        }
    }
    url.port = default_port(url.scheme);
    if (!port_text.empty()) {
        if (wildcard && port_text == "*") {
            url.port = 0;
        } else {
            if (port_text.size() > 5 ||
                !std::all_of(port_text.begin(), port_text.end(),
                             [](char c) { return c >= '0' && c <= '9'; })) {
                return bad("the port is not a number");
            }
            const int p = std::stoi(std::string(port_text));
            if (p < 1 || p > 65535) {
                return bad("the port is not between 1 and 65535");
            }
            url.port = static_cast<std::uint16_t>(p);
        }
    } else if (authority.find(':') != std::string_view::npos && authority.front() != '[') {
        return bad("an empty port");
    }
    return url;
}

}  // namespace

std::string Url::origin() const {
    std::string o = scheme + "://";
    o += host.find(':') != std::string::npos ? "[" + host + "]" : host;
    if (port != default_port(scheme)) {
        o += ":" + std::to_string(port);
    }
    return o;
}

Result<Url> parse_url(std::string_view text) {
    std::string_view rest;
    auto url = split(text, false, rest);
    if (!url.ok()) {
        return url;
    }
    const auto hash = rest.find('#');
    rest = rest.substr(0, hash);
    url.value().target = rest.empty() || rest.front() != '/' ? "/" + std::string(rest)
                                                             : std::string(rest);
    return url;
}

Result<OriginRule> OriginRule::parse(std::string_view text) {
    std::string_view rest;
    auto url = split(text, true, rest);
    if (!url.ok()) {
        return url.error();
    }
    if (!rest.empty() && rest != "/") {
        return bad("an origin has no path: scheme://host[:port]");
    }
    OriginRule r;
    r.text_ = std::string(text);
    r.scheme_ = url.value().scheme;
    r.host_ = url.value().host;
    r.port_ = url.value().port == 0 ? -1 : url.value().port;
    return r;
}

bool OriginRule::matches(const Url& url) const {
    if (url.scheme != scheme_ || (port_ >= 0 && url.port != port_)) {
        return false;
    }
    // Label by label: '*' matches one DNS label, anything else exactly.
    std::string_view want = host_;
    std::string_view have = url.host;
    for (;;) {
        const auto wd = want.find('.');
        const auto hd = have.find('.');
        const auto w = want.substr(0, wd);
        const auto h = have.substr(0, hd);
        if (w == "*") {
            if (h.empty() || !std::all_of(h.begin(), h.end(), is_label_char)) {
                return false;
            }
        } else if (w != h) {
            return false;
        }
        if (wd == std::string_view::npos || hd == std::string_view::npos) {
            return wd == hd;
        }
        want.remove_prefix(wd + 1);
        have.remove_prefix(hd + 1);
    }
}

}  // namespace terrain::core
