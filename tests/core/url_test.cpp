// URLs from outside (SNS certificate and subscription URLs, receiver URLs) are parsed by one
// linear parser, then compared by scheme, host and port: never matched by a regular expression.
#include <gtest/gtest.h>

#include <string>

#include "core/url.h"

namespace terrain::core {
namespace {

TEST(UrlTest, SplitsSchemeHostPortAndTarget) {
    auto u = parse_url("HTTPS://SNS.us-east-1.AmazonAWS.com/cert-1.pem?x=1#frag");
    ASSERT_TRUE(u.ok()) << u.error().message;
    EXPECT_EQ(u.value().scheme, "https");
    EXPECT_EQ(u.value().host, "sns.us-east-1.amazonaws.com");
    EXPECT_EQ(u.value().port, 443);
    EXPECT_EQ(u.value().target, "/cert-1.pem?x=1");
    EXPECT_EQ(u.value().origin(), "https://sns.us-east-1.amazonaws.com");
    auto local = parse_url("http://127.0.0.1:8080");
    ASSERT_TRUE(local.ok());
    EXPECT_EQ(local.value().port, 8080);
    EXPECT_EQ(local.value().target, "/");
    EXPECT_EQ(local.value().origin(), "http://127.0.0.1:8080");
    auto v6 = parse_url("http://[::1]:9/x");
    ASSERT_TRUE(v6.ok());
    EXPECT_EQ(v6.value().host, "::1");
    EXPECT_EQ(v6.value().origin(), "http://[::1]:9");
}

TEST(UrlTest, RefusesWhatIsNotAPlainHttpUrlNamingTheProblem) {
    const std::pair<std::string, std::string> cases[] = {
        {"ftp://sns.us-east-1.amazonaws.com/", "scheme"},
        {"https://sns.us-east-1.amazonaws.com@evil.example/", "user information"},
        {"https://evil.example\\@sns.us-east-1.amazonaws.com/", "user information"},
        {"https://sns.us-east-1.amazonaws.com:99999/", "port"},
        {"https://sns.us-east-1.amazonaws.com:/", "port"},
        {"https://sns.us-east-1.amazonaws.com:443x/", "port"},
        {"https:///path", "host"},
        {"https://-bad.example/", "host"},
        {"https://a..b/", "host"},
        {"https://a b/", "space"},
        {"https://caf\xc3\xa9.example/", "non-ASCII"},
        {"//sns.us-east-1.amazonaws.com/", "absolute"},
        {"https://[::1/", "IPv6"},
    };
    for (const auto& [text, why] : cases) {
        auto u = parse_url(text);
        ASSERT_FALSE(u.ok()) << text;
        EXPECT_NE(u.error().message.find(why), std::string::npos)
            << text << ": " << u.error().message;
    }
}

TEST(UrlTest, HugeAndPathologicalInputIsRefusedByLengthInLinearTime) {
    // The kind of input that crashed a backtracking regular expression: 100 KB of host-like
    // text, and a URL just under the limit made of one repeated character.
    const std::string huge = "https://sns." + std::string(100'000, 'a') + ".amazonaws.com/x";
    auto u = parse_url(huge);
    ASSERT_FALSE(u.ok());
    EXPECT_NE(u.error().message.find("longer than 2048"), std::string::npos);
    const std::string slashes = "https://h/" + std::string(kMaxUrlBytes - 10, '/');
    EXPECT_TRUE(parse_url(slashes).ok());
    const std::string dots = "https://" + std::string(kMaxUrlBytes - 8, '.');
    EXPECT_FALSE(parse_url(dots).ok());
}

TEST(OriginRuleTest, ComparesSchemeHostAndPortExactlyWithOneLabelWildcards) {
    auto amazon = OriginRule::parse("https://sns.*.amazonaws.com");
    ASSERT_TRUE(amazon.ok());
    auto allowed = [&](const OriginRule& r, const std::string& text) {
        auto u = parse_url(text);
        return u.ok() && r.matches(u.value());
    };
    EXPECT_TRUE(allowed(amazon.value(), "https://sns.eu-west-1.amazonaws.com/cert.pem"));
    EXPECT_TRUE(allowed(amazon.value(), "https://sns.eu-west-1.amazonaws.com:443/cert.pem"));
    EXPECT_FALSE(allowed(amazon.value(), "http://sns.eu-west-1.amazonaws.com/cert.pem"));
    EXPECT_FALSE(allowed(amazon.value(), "https://sns.eu-west-1.amazonaws.com:8443/cert.pem"));
    EXPECT_FALSE(allowed(amazon.value(), "https://sns.a.b.amazonaws.com/cert.pem"));
    EXPECT_FALSE(allowed(amazon.value(), "https://sns.eu-west-1.amazonaws.com.evil.example/"));
    EXPECT_FALSE(allowed(amazon.value(), "https://evilsns.eu-west-1.amazonaws.com/"));
    EXPECT_FALSE(allowed(amazon.value(), "https://sns.eu-west-1.amazonaws.co/"));
    auto local = OriginRule::parse("http://127.0.0.1:*");
    ASSERT_TRUE(local.ok());
    EXPECT_TRUE(allowed(local.value(), "http://127.0.0.1:4123/cert.pem"));
    EXPECT_FALSE(allowed(local.value(), "http://127.0.0.10:4123/cert.pem"));
    EXPECT_FALSE(allowed(local.value(), "http://169.254.169.254/latest/meta-data"));
    EXPECT_FALSE(OriginRule::parse("https://sns.*.amazonaws.com/path").ok());
    EXPECT_FALSE(OriginRule::parse("^https://sns\\.[a-z]+/").ok());
}

}  // namespace
}  // namespace terrain::core
