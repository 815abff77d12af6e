// No customer address or phone number is kept as a label, however it is written.
#include <gtest/gtest.h>

#include <string>

#include "core/personal.h"

namespace terrain::core {
namespace {

TEST(PersonalTest, FindsAddressesAndPhoneNumbersHoweverTheyAreWritten) {
    const std::string contacts[] = {
        "jane@example.com",
        "Jane.Doe+promo@Mail.Example.co.uk",
        "spring sale for jane@example.com",
        "jane%40example.com",
        "jane%2540example.com",
        "jane\xef\xbc\xa0" "example.com",       // full-width at sign
        "jane\xef\xb9\xab" "example.com",       // small at sign
        "jane@example\xef\xbc\x8e" "com",       // full-width full stop
        "+14155550123",
        "+1 (415) 555-0123",
        "tel:+44.20.7946.0958",
        "%2B14155550123",
        "\xef\xbc\x8b" "14155550123",           // full-width plus
    };
    for (const auto& c : contacts) {
        EXPECT_TRUE(holds_contact(c)) << c;
        const auto kept = label_value(c, nullptr);
        EXPECT_EQ(kept, "hashed:redacted") << c;
    }
    const std::string plain[] = {
        "spring-sale-2024", "@channel", "winback@q4", "2024-11-01", "+1 day", "outlook.com",
        "20241101", "100%", "a@b", "",
    };
    for (const auto& p : plain) {
        EXPECT_FALSE(holds_contact(p)) << p;
        EXPECT_EQ(label_value(p, nullptr), p);
    }
}

TEST(PersonalTest, OneAddressIsOneKeyedHashAndLongValuesAreCutWhole) {
    SubjectHasher hasher(HashKey{7});
    const auto a = label_value("jane@example.com", &hasher);
    EXPECT_EQ(a.size(), std::string("hashed:").size() + 16);
    EXPECT_EQ(label_value("jane%40example.com", &hasher), a);
    EXPECT_EQ(label_value("JANE@EXAMPLE.COM", &hasher), a);
    EXPECT_NE(label_value("john@example.com", &hasher), a);
    SubjectHasher other(HashKey{8});
    EXPECT_NE(label_value("jane@example.com", &other), a);  // keyed: not computable offline
    std::string long_value(127, 'x');
    long_value += "\xc3\xa9\xc3\xa9";  // é straddles byte 128
    const auto cut = label_value(long_value, nullptr);
    EXPECT_EQ(cut.size(), 127U);
}

}  // namespace
}  // namespace terrain::core
