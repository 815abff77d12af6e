#include <gtest/gtest.h>

#include "core/config.h"
#include "webhooks/sources/events/adapter.h"

namespace terrain::webhooks {
namespace {

class EventsAdapterTest : public ::testing::Test {
protected:
    core::SubjectHasher hasher_{core::HashKey{1}};
    std::vector<std::string> labels_ = [] {
        auto l = core::known_labels();
        l.push_back("brand");
        return l;
    }();
    AdapterContext ctx() {
        AdapterContext c;
        c.hasher = &hasher_;
        c.now_ms = 1'800'000'000'000;
        c.labels = &labels_;
        return c;
    }
};

TEST_F(EventsAdapterTest, ArrayAndNdjsonMeanTheSame) {
    const char* array = R"([
      {"time": 1763892000000, "kind": "ticket.created", "side": "customer",
       "labels": {"campaign": "spring", "topic": "didnt_receive"}, "id": "zd-1",
       "subject": "Jane@Example.com"},
      {"time": "2025-11-23T10:00:00Z", "kind": "bot.session", "side": "map", "value": 3.5}
    ])";
    const char* ndjson =
        "{\"time\": 1763892000000, \"kind\": \"ticket.created\", \"side\": \"customer\", "
        "\"labels\": {\"campaign\": \"spring\", \"topic\": \"didnt_receive\"}, \"id\": \"zd-1\", "
        "\"subject\": \"Jane@Example.com\"}\r\n\n"
        "{\"time\": \"2025-11-23T10:00:00Z\", \"kind\": \"bot.session\", \"side\": \"map\", "
        "\"value\": 3.5}\n";
    for (const char* body : {array, ndjson}) {
        auto r = EventsAdapter().parse(body, ctx());
        ASSERT_TRUE(r.ok()) << r.error().message;
        const auto& ev = r.value().events;
        ASSERT_EQ(ev.size(), 2U);
        EXPECT_EQ(ev[0].kind, "ticket.created");
        EXPECT_EQ(ev[0].side, core::Side::kCustomer);
        EXPECT_EQ(*core::find_label(ev[0].labels, "topic"), "didnt_receive");
        EXPECT_EQ(*core::find_label(ev[0].labels, "source"), "events");
        EXPECT_EQ(ev[0].subject, hasher_.hash("jane@example.com"));
        EXPECT_EQ(ev[0].id, "zd-1");
        EXPECT_EQ(ev[1].time_ms, 1'763'892'000'000);
        EXPECT_EQ(ev[1].value, 3.5);
    }
}

struct Bad {
    const char* name;
    const char* body;
    const char* reason;
    long index;
    const char* field;
    const char* message;
};

// Names the case in test listings instead of dumping its bytes.
void PrintTo(const Bad& b, std::ostream* os) { *os << b.name; }

class EventsBadInputTest : public EventsAdapterTest, public ::testing::WithParamInterface<Bad> {};

TEST_P(EventsBadInputTest, NamesEventAndField) {
    const auto& p = GetParam();
    auto r = EventsAdapter().parse(p.body, ctx());
    // Malformed JSON refuses the request; a bad event is set aside and the batch goes on.
    ASSERT_TRUE(!r.ok() || r.value().refused.size() == 1);
    const core::Error& e = r.ok() ? r.value().refused.front() : r.error();
    if (r.ok()) {
        EXPECT_TRUE(r.value().events.empty());
    }
    EXPECT_EQ(e.reason, p.reason) << e.message;
    EXPECT_EQ(e.index, p.index) << e.message;
    EXPECT_EQ(e.field, p.field) << e.message;
    EXPECT_NE(e.message.find(p.message), std::string::npos) << e.message;
}

constexpr const char* kOk = R"({"time":1,"kind":"a.b","side":"map"})";

INSTANTIATE_TEST_SUITE_P(
    Cases, EventsBadInputTest,
    ::testing::Values(
        Bad{"empty", "  \n", "empty_body", -1, "", "body is empty"},
        Bad{"missing_kind", R"([{"time":1,"side":"map"}])", "missing_field", 0, "kind", "missing"},
        Bad{"missing_side", R"([{"time":1,"kind":"a"}])", "missing_field", 0, "side", "missing"},
        Bad{"missing_time", R"([{"kind":"a","side":"map"}])", "missing_field", 0, "time", "missing"},
        Bad{"bad_side", R"([{"time":1,"kind":"a","side":"bot"}])", "bad_field", 0, "side",
            "expected \"map\" or \"customer\""},
        Bad{"bad_kind", R"([{"time":1,"kind":"Ticket Created","side":"map"}])", "bad_field", 0,
            "kind", "dotted lower-case"},
        Bad{"bad_time", R"([{"time":"yesterday","kind":"a","side":"map"}])", "bad_field", 0,
            "time", "RFC 3339"},
        Bad{"future", R"([{"time":4102444800000,"kind":"a","side":"map"}])", "future_time", 0,
            "time", "ahead of terrain's clock"},
        Bad{"typo_field", R"([{"time":1,"kind":"a","side":"map","lables":{}}])", "unknown_field", 0,
            "lables", "did you mean 'labels'?"},
        Bad{"unknown_label", R"([{"time":1,"kind":"a","side":"map","labels":{"campain":"x"}}])",
            "unknown_label", 0, "labels.campain", "did you mean 'campaign'?"},
        Bad{"label_not_string", R"([{"time":1,"kind":"a","side":"map","labels":{"campaign":3}}])",
            "bad_field", 0, "labels.campaign", "expected a string"},
        Bad{"value_text", R"([{"time":1,"kind":"a","side":"map","value":"3"}])", "bad_field", 0,
            "value", "finite number"},
        Bad{"second_line_broken", "{\"time\":1,\"kind\":\"a\",\"side\":\"map\"}\n{\"time\":",
            "bad_json", 1, "", "not valid JSON"},
        Bad{"array_of_numbers", "[1]", "bad_json", 0, "", "not a JSON object"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(EventsAdapterTest, OneBadEventIsSetAsideAndTheOthersKept) {
    auto r = EventsAdapter().parse(
        R"([{"time":1,"kind":"a","side":"map"},{"time":1,"kind":"a","side":"bot"},)"
        R"({"time":2,"kind":"a","side":"map"}])",
        ctx());
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r.value().events.size(), 2U);
    ASSERT_EQ(r.value().refused.size(), 1U);
    EXPECT_EQ(r.value().refused[0].index, 1);
    EXPECT_EQ(r.value().refused[0].field, "side");
}

TEST_F(EventsAdapterTest, ContactsInLabelsAreKeptOnlyAsTheirKeyedHash) {
    // However the address is written, no label holds it; the same address is the same label.
    std::vector<std::string> seen;
    for (const std::string& campaign :
         {std::string("jane@example.com"), std::string("jane%40example.com"),
          std::string("jane%2540example.com"), std::string("jane\uff20example.com"),
          std::string("JANE@EXAMPLE.COM"), std::string("winback for jane@example.com")}) {
        auto r = EventsAdapter().parse(R"({"time":1,"kind":"a","side":"map","labels":{"campaign":")" +
                                           campaign + "\"}}",
                                       ctx());
        ASSERT_TRUE(r.ok()) << campaign;
        ASSERT_EQ(r.value().events.size(), 1U) << campaign;
        const std::string* value = core::find_label(r.value().events[0].labels, "campaign");
        ASSERT_NE(value, nullptr);
        EXPECT_EQ(value->rfind("hashed:", 0), 0U) << campaign << " kept as " << *value;
        EXPECT_EQ(value->find("jane"), std::string::npos);
        seen.push_back(*value);
    }
    EXPECT_EQ(seen[0], seen[1]);
    EXPECT_EQ(seen[0], seen[2]);
    EXPECT_EQ(seen[0], seen[3]);
    EXPECT_EQ(seen[0], seen[4]);
}

TEST_F(EventsAdapterTest, DeclaredCustomLabelIsAccepted) {
    auto r = EventsAdapter().parse(
        R"({"time":1,"kind":"a","side":"map","labels":{"brand":"acme"}})", ctx());
    ASSERT_TRUE(r.ok()) << r.error().message;
    (void)kOk;
}

}  // namespace
}  // namespace terrain::webhooks
