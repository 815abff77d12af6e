#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "core/dedup.h"
#include "core/duration.h"
#include "core/hash.h"
#include "core/log.h"
#include "core/matcher.h"
#include "core/time_zone.h"

namespace terrain::core {
namespace {

// Matchers as Alertmanager writes them: equal, !=, =~ and !~, regular expressions anchored to
// the whole value, a missing label read as "".
TEST(MatcherTest, EqualNotEqualAndAnchoredRegularExpressions) {
    const std::string spring = "spring-sale";
    const std::string autumn = "autumn-sale";
    EXPECT_TRUE(Matcher::accepts("spring-sale", &spring));
    EXPECT_FALSE(Matcher::accepts("spring-sale", &autumn));
    EXPECT_FALSE(Matcher::accepts("spring-sale", nullptr));
    EXPECT_TRUE(Matcher::accepts("", nullptr));
    EXPECT_TRUE(Matcher::accepts("!=spring-sale", &autumn));
    EXPECT_FALSE(Matcher::accepts("!=spring-sale", &spring));
    EXPECT_TRUE(Matcher::accepts("!=spring-sale", nullptr));
    EXPECT_TRUE(Matcher::accepts("=~spring-.*", &spring));
    EXPECT_TRUE(Matcher::accepts("=~(spring|autumn)-sale", &autumn));
    EXPECT_FALSE(Matcher::accepts("=~spring", &spring));  // anchored: the whole value
    EXPECT_FALSE(Matcher::accepts("=~spring-.*", nullptr));
    EXPECT_TRUE(Matcher::accepts("=~.*", nullptr));
    EXPECT_TRUE(Matcher::accepts("!~spring-.*", &autumn));
    EXPECT_FALSE(Matcher::accepts("!~spring-.*", &spring));
    EXPECT_FALSE(Matcher::error("=~spring-.*"));
    EXPECT_FALSE(Matcher::error("spring-("));  // an equality: any text
    EXPECT_EQ(Matcher::error("=~spring-(").value_or(""),
              "'spring-(' is not a regular expression: missing ): spring-(");
    EXPECT_FALSE(Matcher::accepts("=~spring-(", &spring));
    // Nested repetition backtracks exponentially in other engines; RE2 is linear.
    const std::string as(100'000, 'a');
    EXPECT_FALSE(Matcher::accepts("=~(a+)+b", &as));
}

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
}  // namespace terrain::core

namespace terrain::core {
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

std::int64_t seconds_of(std::chrono::sys_days day, int hour, int minute = 0, int second = 0) {
    using namespace std::chrono;
    return duration_cast<seconds>((day + hours(hour) + minutes(minute) + seconds(second))
                                      .time_since_epoch())
        .count();
}

// The system's zone files, read as TZif: daylight saving time starts and ends at the right
// second in Berlin and New York, and far beyond the files' last transition the footer's POSIX
// rule still knows it.
// One event, one line: a newline or a terminal escape in a label value logged by terrain cannot
// forge a line of its own or repaint the operator's terminal.
TEST(LogTest, ControlCharactersCannotForgeALine) {
    char path[] = "/tmp/terrain-log-XXXXXX";
    const int fd = ::mkstemp(path);
    std::fflush(stderr);
    const int saved = ::dup(2);
    ::dup2(fd, 2);
    log_warn("campaign=spring\n2026-12-01T00:00:00.000Z error  forged\r\x1b[31m red \\ end");
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    ::close(fd);
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    ::unlink(path);
    const std::string line = text.str();
    EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1) << line;
    EXPECT_NE(line.find("spring\\n2026"), std::string::npos) << line;
    EXPECT_NE(line.find("\\x0d\\x1b[31m"), std::string::npos) << line;
    EXPECT_NE(line.find("red \\\\ end"), std::string::npos) << line;
}

TEST(TimeZoneTest, ReadsTheSystemZoneFilesTransitionsAndFooterRule) {
    using namespace std::chrono;
    const TimeZone berlin = TimeZone::load("Europe/Berlin");
    EXPECT_EQ(berlin.offset_at(seconds_of(2026y / January / 15, 12)), 3600);
    EXPECT_EQ(berlin.offset_at(seconds_of(2026y / July / 1, 12)), 7200);
    // 2026-03-29: 02:00 CET becomes 03:00 CEST, at 01:00 UTC.
    EXPECT_EQ(berlin.offset_at(seconds_of(2026y / March / 29, 0, 59, 59)), 3600);
    EXPECT_EQ(berlin.offset_at(seconds_of(2026y / March / 29, 1)), 7200);
    // 2026-10-25: back at 01:00 UTC.
    EXPECT_EQ(berlin.offset_at(seconds_of(2026y / October / 25, 0, 59, 59)), 7200);
    EXPECT_EQ(berlin.offset_at(seconds_of(2026y / October / 25, 1)), 3600);
    // 2100: after any transition a zone file lists; the footer rule decides.
    EXPECT_EQ(berlin.offset_at(seconds_of(2100y / July / 1, 12)), 7200);
    EXPECT_EQ(berlin.offset_at(seconds_of(2100y / December / 1, 12)), 3600);

    const TimeZone new_york = TimeZone::load("America/New_York");
    // 2026-03-08: 02:00 EST becomes 03:00 EDT, at 07:00 UTC.
    EXPECT_EQ(new_york.offset_at(seconds_of(2026y / March / 8, 6, 59, 59)), -5 * 3600);
    EXPECT_EQ(new_york.offset_at(seconds_of(2026y / March / 8, 7)), -4 * 3600);
    EXPECT_EQ(new_york.local(seconds_of(2026y / March / 8, 7)), seconds_of(2026y / March / 8, 3));

    EXPECT_EQ(TimeZone::load("Asia/Kolkata").offset_at(seconds_of(2026y / June / 1, 0)), 19800);
    EXPECT_EQ(TimeZone::load("UTC").offset_at(seconds_of(2026y / June / 1, 0)), 0);
}

TEST(TimeZoneTest, PosixRulesCoverTheSouthernHemisphereAndOddOffsets) {
    using namespace std::chrono;
    // Sydney: daylight time from the first Sunday of October to the first Sunday of April.
    const TimeZone sydney = TimeZone::posix("AEST-10AEDT,M10.1.0,M4.1.0/3");
    EXPECT_EQ(sydney.offset_at(seconds_of(2026y / January / 15, 0)), 11 * 3600);
    EXPECT_EQ(sydney.offset_at(seconds_of(2026y / July / 1, 0)), 10 * 3600);
    // 2026-04-05 03:00 AEDT is 2026-04-04 16:00 UTC.
    EXPECT_EQ(sydney.offset_at(seconds_of(2026y / April / 4, 15, 59, 59)), 11 * 3600);
    EXPECT_EQ(sydney.offset_at(seconds_of(2026y / April / 4, 16)), 10 * 3600);
    EXPECT_EQ(TimeZone::posix("<+0530>-5:30").offset_at(0), 19800);
    EXPECT_EQ(TimeZone::posix("<-03>3").offset_at(0), -3 * 3600);
    // Julian-day rules: J60 is March 1st in every year.
    const TimeZone julian = TimeZone::posix("XST0XDT,J60/0,J305/0");
    EXPECT_EQ(julian.offset_at(seconds_of(2028y / February / 29, 12)), 0);
    EXPECT_EQ(julian.offset_at(seconds_of(2028y / March / 1, 12)), 3600);
}

TEST(TimeZoneTest, ABadNameOrRuleIsRefusedWithTheReason) {
    try {
        TimeZone::load("Europe/Berln");
        FAIL() << "loaded a zone that does not exist";
    } catch (const std::runtime_error& e) {
        EXPECT_NE(std::string(e.what()).find("'Europe/Berln' is not a time zone"),
                  std::string::npos)
            << e.what();
    }
    EXPECT_THROW(TimeZone::load("../../etc/passwd"), std::runtime_error);
    EXPECT_THROW(TimeZone::posix("X1"), std::invalid_argument);
    EXPECT_THROW(TimeZone::posix("CET-1CEST,M13.5.0,M10.5.0"), std::invalid_argument);
}

}  // namespace
}  // namespace terrain::core
