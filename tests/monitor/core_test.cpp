#include <gtest/gtest.h>

#include "monitor/dedup.h"
#include "monitor/duration.h"
#include "monitor/hash.h"

namespace terrain::monitor {
namespace {

TEST(DurationTest, ParsesAndFormats) {
    EXPECT_EQ(parse_duration_ms("5m"), 300'000);
    EXPECT_EQ(parse_duration_ms("1h30m"), 5'400'000);
    EXPECT_EQ(parse_duration_ms("250ms"), 250);
    EXPECT_EQ(parse_duration_ms("1w"), 604'800'000);
    EXPECT_FALSE(parse_duration_ms("5"));
    EXPECT_FALSE(parse_duration_ms("m"));
    EXPECT_FALSE(parse_duration_ms("-5m"));
    EXPECT_EQ(format_duration_ms(90'000), "1m30s");
    EXPECT_EQ(format_duration_ms(86'400'000), "1d");
}

TEST(DurationTest, Rfc3339) {
    EXPECT_EQ(parse_rfc3339_ms("1970-01-01T00:00:00Z"), 0);
    EXPECT_EQ(parse_rfc3339_ms("2017-12-15T00:59:29Z"), 1513299569000);
    EXPECT_EQ(parse_rfc3339_ms("2017-12-15T01:59:29.250+01:00"), 1513299569250);
    EXPECT_FALSE(parse_rfc3339_ms("2017-13-15T00:59:29Z"));
    EXPECT_FALSE(parse_rfc3339_ms("2017-12-15 00:59"));
    EXPECT_EQ(format_rfc3339_ms(1513299569250), "2017-12-15T00:59:29.250Z");
}

TEST(HashTest, SipHashReferenceVector) {
    // Aumasson and Bernstein's reference: key 00..0f, message 00..0e -> a129ca6149be45e5.
    HashKey key{};
    for (int i = 0; i < 16; ++i) {
        key[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    }
    std::string msg;
    for (int i = 0; i < 15; ++i) {
        msg.push_back(static_cast<char>(i));
    }
    EXPECT_EQ(siphash24(key, msg), 0xa129ca6149be45e5ULL);
}

TEST(HashTest, SubjectIsNormalisedAndNotTheAddress) {
    SubjectHasher h(HashKey{1, 2, 3});
    auto a = h.hash("Jane.Doe@Example.com ");
    EXPECT_EQ(a, h.hash("jane.doe@example.com"));
    EXPECT_EQ(a.size(), 32U);
    EXPECT_EQ(a.find("jane"), std::string::npos);
    EXPECT_NE(a, SubjectHasher(HashKey{9}).hash("jane.doe@example.com"));
}

TEST(DedupTest, RemembersRecentIdsWithinFixedMemory) {
    Deduplicator d(1000);
    EXPECT_FALSE(d.seen(42));
    EXPECT_TRUE(d.seen(42));
    for (std::uint64_t i = 100; i < 350; ++i) {
        EXPECT_FALSE(d.seen(i));
    }
    EXPECT_TRUE(d.seen(42));  // still within capacity/4 distinct ids
    for (std::uint64_t i = 1000; i < 100'000; ++i) {
        d.seen(i);
    }
    EXPECT_FALSE(d.seen(42));  // long forgotten: memory stays bounded
}

TEST(DedupTest, ZeroCapacityDisables) {
    Deduplicator d(0);
    EXPECT_FALSE(d.seen(7));
    EXPECT_FALSE(d.seen(7));
}

}  // namespace
}  // namespace terrain::monitor

namespace terrain::monitor {
namespace {

TEST(HashTest, SipHash128ReferenceVector) {
    // vectors_sip128[0] of the reference implementation: key 00..0f, empty message.
    HashKey key{};
    for (int i = 0; i < 16; ++i) {
        key[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(i);
    }
    const std::uint8_t want[16] = {0xa3, 0x81, 0x7f, 0x04, 0xba, 0x25, 0xa8, 0xe6,
                                   0x6d, 0xf6, 0x72, 0x14, 0xc7, 0x55, 0x02, 0x93};
    auto h = siphash24_128(key, "");
    for (int i = 0; i < 16; ++i) {
        EXPECT_EQ((h[static_cast<std::size_t>(i / 8)] >> (8 * (i % 8))) & 0xff, want[i]) << i;
    }
}

}  // namespace
}  // namespace terrain::monitor
