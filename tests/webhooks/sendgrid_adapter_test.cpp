#include <gtest/gtest.h>

#include "tests/support/adapter_problem.h"

#include <filesystem>
#include <set>

#include "core/config.h"
#include "tests/support/builders.h"
#include "webhooks/sources/sendgrid/adapter.h"

namespace terrain::webhooks {
namespace {

using testing::fixture;

class SendgridAdapterTest : public ::testing::Test {
protected:
    core::SubjectHasher hasher_{core::HashKey{4, 2}};
    std::vector<std::string> labels_ = core::known_labels();
    AdapterContext ctx() {
        AdapterContext c;
        c.hasher = &hasher_;
        c.now_ms = 1'800'000'000'000;
        c.labels = &labels_;
        return c;
    }
    Parsed parse(const std::string& body) {
        auto r = SendgridAdapter().parse(body, ctx());
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? std::move(r).value() : Parsed{};
    }
    static std::string label(const core::Event& e, const char* k) {
        const std::string* v = core::find_label(e.labels, k);
        return v ? *v : "<absent>";
    }
};

TEST_F(SendgridAdapterTest, EveryEventFixtureIsAccepted) {
    int files = 0;
    for (const auto& entry : std::filesystem::directory_iterator(TERRAIN_FIXTURES_DIR)) {
        auto name = entry.path().filename().string();
        if (name.rfind("sendgrid_", 0) != 0 || entry.path().extension() != ".json" ||
            name.find("signed_webhook") != std::string::npos ||
            name.find("pause_request") != std::string::npos) {
            continue;  // signature vectors and an outbound API request are not event payloads
        }
        ++files;
        auto r = SendgridAdapter().parse(fixture(name), ctx());
        ASSERT_TRUE(r.ok()) << name << ": " << r.error().message;
        EXPECT_FALSE(r.value().events.empty()) << name;
        for (const auto& e : r.value().events) {
            EXPECT_EQ(label(e, "source"), "sendgrid") << name;
            EXPECT_NE(label(e, "campaign"), "<absent>") << name;
            EXPECT_FALSE(e.id.empty()) << name;
            EXPECT_GT(e.time_ms, 1'000'000'000'000) << name;
            // The address itself is never kept anywhere in the event.
            for (const auto& [k, v] : e.labels) {
                EXPECT_EQ(v.find('@'), std::string::npos) << name << " " << k;
            }
            EXPECT_EQ(e.subject.find('@'), std::string::npos);
        }
    }
    EXPECT_GE(files, 22);
}

TEST_F(SendgridAdapterTest, AllEventTypesBatchNormalisesKindsAndSides) {
    auto p = parse(fixture("sendgrid_all_event_types_batch.json"));
    ASSERT_EQ(p.events.size(), 11U);
    std::vector<std::string> kinds;
    for (const auto& e : p.events) {
        kinds.push_back(e.kind + "/" + std::string(core::to_string(e.side)));
    }
    std::vector<std::string> want = {
        "email.processed/map",     "email.deferred/map",      "email.delivered/map",
        "email.open/map",          "email.click/map",         "email.bounce/map",
        "email.dropped/map",       "email.complaint/customer", "email.unsubscribe/customer",
        "email.unsubscribe/customer", "email.resubscribe/customer"};
    EXPECT_EQ(kinds, want);
    for (const auto& e : p.events) {
        EXPECT_EQ(label(e, "provider"), "test.com");
        EXPECT_EQ(label(e, "campaign"), "cat facts");
        EXPECT_EQ(e.time_ms, 1'513'299'569'000);
    }
    // The doc's placeholder id is shared by all eleven; ids stay distinct per event name.
    std::set<std::string> ids;
    for (const auto& e : p.events) {
        ids.insert(e.id);
    }
    EXPECT_EQ(ids.size(), 11U);
}

TEST_F(SendgridAdapterTest, EventsOfOneMessageShareItWhateverFilterServerHandledThem) {
    // SendGrid appends the filter server's id to sg_message_id; the message is the part before.
    auto body = [](const char* sg_message_id, const char* event) {
        return std::string(R"([{"email":"ann@yahoo.com","timestamp":1700000000,"event":")") + event +
               R"(","sg_event_id":"e-)" + event + R"(","sg_message_id":")" + sg_message_id + R"("}])";
    };
    const auto processed =
        parse(body("14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0", "processed")).events.at(0);
    const auto open =
        parse(body("14c5d75ce93.dfd.64b469.filter0002.5185.55F883172.0", "open")).events.at(0);
    const auto st =
        parse(body("5lFl7Fr1Rjme_EyzNNB_5A.stfilter-015.5185.55F883172.0", "open")).events.at(0);
    const auto st_processed =
        parse(body("5lFl7Fr1Rjme_EyzNNB_5A.stfilter-011.16648.5515E0B88.0", "processed")).events.at(0);
    EXPECT_EQ(processed.message.size(), 32U);
    EXPECT_EQ(processed.message, open.message);
    EXPECT_EQ(st.message, st_processed.message);
    EXPECT_NE(processed.message, st.message);
    // The documented batch: eleven events of one message.
    auto p = parse(fixture("sendgrid_all_event_types_batch.json"));
    for (const auto& e : p.events) {
        EXPECT_EQ(e.message, p.events[0].message);
        EXPECT_FALSE(e.message.empty());
    }
}

TEST_F(SendgridAdapterTest, BounceClass) {
    auto hard = parse(fixture("sendgrid_bounce.json"));
    auto block = parse(fixture("sendgrid_blocked.json"));
    ASSERT_EQ(hard.events.size(), 1U);
    ASSERT_EQ(block.events.size(), 1U);
    EXPECT_EQ(label(hard.events[0], "bounce_class"), "hard");
    EXPECT_EQ(label(block.events[0], "bounce_class"), "block");
}

TEST_F(SendgridAdapterTest, CategoryArrayUsesFirstCategory) {
    auto p = parse(fixture("sendgrid_category_array.json"));
    ASSERT_EQ(p.events.size(), 2U);
    EXPECT_EQ(label(p.events[0], "campaign"), "newuser");
    EXPECT_EQ(label(p.events[1], "campaign"), "olduser");
    EXPECT_EQ(label(p.events[0], "provider"), "sendgrid.com");
    // No sg_event_id: a stable id from the event's own fields still de-duplicates retries.
    EXPECT_EQ(p.events[0].id.rfind("h:", 0), 0U);
    EXPECT_EQ(p.events[0].id, parse(fixture("sendgrid_category_array.json")).events[0].id);
    EXPECT_NE(p.events[0].id, p.events[1].id);
}

TEST_F(SendgridAdapterTest, BareObjectAndMillisecondTimestamp) {
    auto p = parse(fixture("sendgrid_singlesend_open.json"));
    ASSERT_EQ(p.events.size(), 1U);
    EXPECT_EQ(p.events[0].time_ms, 1'591'726'752'372);  // already milliseconds in the doc
    auto mc = parse(fixture("sendgrid_marketing_campaign_processed.json"));
    ASSERT_EQ(mc.events.size(), 1U);
    EXPECT_EQ(label(mc.events[0], "campaign"), "campaign name");
    EXPECT_EQ(mc.events[0].time_ms, 1'442'349'428'000);
}

TEST_F(SendgridAdapterTest, CustomCampaignArgWins) {
    auto p = parse(R"([{"email":"a@Gmail.COM","timestamp":1700000000,"event":"delivered",
        "category":"newsletter","campaign":"black-friday","sg_event_id":"e1"}])");
    ASSERT_EQ(p.events.size(), 1U);
    EXPECT_EQ(label(p.events[0], "campaign"), "black-friday");
    EXPECT_EQ(label(p.events[0], "provider"), "gmail.com");
    EXPECT_EQ(p.events[0].subject, hasher_.hash("a@gmail.com"));
}

TEST_F(SendgridAdapterTest, StringTimestampAndUnknownEvent) {
    auto p = parse(R"([{"timestamp":"1700000000","event":"delivered","email":"x@y.org"},
                       {"timestamp":1700000000,"event":"account_status_change"}])");
    ASSERT_EQ(p.events.size(), 1U);
    EXPECT_EQ(p.ignored, 1U);
    EXPECT_EQ(p.events[0].time_ms, 1'700'000'000'000);
}

struct BadBody {
    const char* name;
    const char* body;
    const char* reason;
    long index;
    const char* field;
};

class SendgridBadInputTest : public SendgridAdapterTest,
                             public ::testing::WithParamInterface<BadBody> {};

TEST_P(SendgridBadInputTest, NamesEventAndField) {
    const auto& p = GetParam();
    auto r = SendgridAdapter().parse(p.body, ctx());
    const auto e = testing::first_problem(r);
    ASSERT_FALSE(e.reason.empty());
    EXPECT_EQ(e.reason, p.reason) << e.message;
    EXPECT_EQ(e.index, p.index) << e.message;
    EXPECT_EQ(e.field, p.field) << e.message;
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SendgridBadInputTest,
    ::testing::Values(
        BadBody{"not_json", "{oops", "bad_json", -1, ""},
        BadBody{"truncated", R"([{"event":"open","timestamp":1})", "bad_json", -1, ""},
        BadBody{"scalar", "42", "bad_json", -1, ""},
        BadBody{"missing_event", R"([{"timestamp":1}])", "missing_field", 0, "event"},
        BadBody{"missing_timestamp", R"([{"event":"open"},{"event":"open"}])", "missing_field", 0,
                "timestamp"},
        BadBody{"second_bad", R"([{"event":"open","timestamp":1},{"event":7,"timestamp":1}])",
                "bad_field", 1, "event"},
        BadBody{"timestamp_text", R"([{"event":"open","timestamp":"soon"}])", "bad_field", 0,
                "timestamp"},
        BadBody{"timestamp_negative", R"([{"event":"open","timestamp":-5}])", "bad_field", 0,
                "timestamp"},
        BadBody{"far_future", R"([{"event":"open","timestamp":4102444800}])", "future_time", 0,
                "timestamp"},
        BadBody{"category_object", R"([{"event":"open","timestamp":1,"category":{"a":1}}])",
                "bad_field", 0, "category"},
        BadBody{"element_not_object", R"([{"event":"open","timestamp":1}, 5])", "bad_json", 1, ""},
        BadBody{"trailing", R"([{"event":"open","timestamp":1}] x)", "bad_json", -1, ""}),
    [](const auto& info) { return std::string(info.param.name); });

}  // namespace
}  // namespace terrain::webhooks
