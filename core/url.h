#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/result.h"

namespace terrain::core {

// The longest URL terrain parses; anything longer is refused before it is looked at.
inline constexpr std::size_t kMaxUrlBytes = 2048;

// An absolute http(s) URL, split by parse_url. Host is lower-cased; port is the explicit port
// or the scheme's default; target is the path (at least "/") and the query.
struct Url {
    std::string scheme;
    std::string host;  // a DNS name, an IPv4 address, or an IPv6 address without brackets
    std::uint16_t port = 0;
    std::string target;

    // "scheme://host[:port]" with the port only when it is not the scheme's default; IPv6 hosts
    // in brackets. What an HTTP client connects to.
    std::string origin() const;
};

// Parses an absolute http or https URL (RFC 3986's authority and path, without user
// information): at most kMaxUrlBytes of printable ASCII, a host of DNS labels, an IPv4 address
// or a bracketed IPv6 address, an optional decimal port 1-65535. A linear scan: no backtracking,
// whatever the input. The error names what is wrong.
Result<Url> parse_url(std::string_view text);

// Which URLs may be visited: "https://sns.*.amazonaws.com" or "http://127.0.0.1:*". The scheme
// and host are compared exactly after parsing, except that a '*' label in the host matches one
// DNS label (letters, digits, '-') and a '*' port matches any port; no port means the scheme's
// default.
class OriginRule final {
public:
    static Result<OriginRule> parse(std::string_view text);
    bool matches(const Url& url) const;
    const std::string& text() const { return text_; }

private:
    std::string text_;
    std::string scheme_;
    std::string host_;
    int port_ = -1;  // -1: any port
};

}  // namespace terrain::core
