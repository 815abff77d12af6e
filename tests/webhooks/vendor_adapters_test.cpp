// The Mailgun, SES, Postmark, Zendesk and Connect adapters against the vendors' documented
// payloads in ../shared/fixtures.
#include <gtest/gtest.h>

#include <set>

#include "tests/support/adapter_problem.h"

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "tests/support/builders.h"
#include "webhooks/sources/connect/adapter.h"
#include "webhooks/sources/mailgun/adapter.h"
#include "webhooks/sources/postmark/adapter.h"
#include "webhooks/sources/ses/adapter.h"
#include "webhooks/sources/zendesk/adapter.h"

namespace terrain::webhooks {
namespace {

using nlohmann::json;
using testing::fixture;

class VendorAdapterTest : public ::testing::Test {
protected:
    core::SubjectHasher hasher_{core::HashKey{4, 2}};
    std::vector<std::string> labels_ = core::known_labels();
    AdapterContext ctx() {
        AdapterContext c;
        c.hasher = &hasher_;
        c.now_ms = 4'200'000'000'000;  // after every fixture's time (Zendesk's is in 2099)
        c.labels = &labels_;
        return c;
    }
    Parsed parse(const Adapter& a, const std::string& body) {
        auto r = a.parse(body, ctx());
        EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
        return r.ok() ? std::move(r).value() : Parsed{};
    }
    core::Error refused(const Adapter& a, const std::string& body) {
        auto r = a.parse(body, ctx());
        const auto problem = testing::first_problem(r);
        EXPECT_FALSE(problem.reason.empty()) << body;
        return problem;
    }
    static std::string label(const core::Event& e, const char* k) {
        const std::string* v = core::find_label(e.labels, k);
        return v ? *v : "<absent>";
    }
    // No raw address survives an adapter: not in labels, id or subject.
    static void expect_no_address(const Parsed& p) {
        for (const auto& e : p.events) {
            for (const auto& [k, v] : e.labels) {
                EXPECT_EQ(v.find('@'), std::string::npos) << k << "=" << v;
            }
            EXPECT_EQ(e.id.find('@'), std::string::npos) << e.id;
            EXPECT_EQ(e.subject.find('@'), std::string::npos);
        }
    }
};

// --- Mailgun -----------------------------------------------------------------------------

std::string mailgun_body(const std::string& event_fixture) {
    return json{{"signature", {{"timestamp", "1"}, {"token", "t"}, {"signature", "s"}}},
                {"event-data", json::parse(fixture(event_fixture))}}
        .dump();
}

TEST_F(VendorAdapterTest, MailgunEveryDocumentedEventMapsToItsKind) {
    const std::vector<std::tuple<std::string, std::string, core::Side>> cases = {
        {"mailgun_event_accepted.json", "email.processed", core::Side::kMap},
        {"mailgun_event_delivered.json", "email.delivered", core::Side::kMap},
        {"mailgun_event_failed_permanent.json", "email.dropped", core::Side::kMap},
        {"mailgun_event_failed_permanent_delayed_bounce.json", "email.bounce", core::Side::kMap},
        {"mailgun_event_failed_temporary.json", "email.deferred", core::Side::kMap},
        {"mailgun_event_opened.json", "email.open", core::Side::kMap},
        {"mailgun_event_clicked.json", "email.click", core::Side::kMap},
        {"mailgun_event_complained.json", "email.complaint", core::Side::kCustomer},
        {"mailgun_event_unsubscribed.json", "email.unsubscribe", core::Side::kCustomer},
    };
    for (const auto& [file, kind, side] : cases) {
        SCOPED_TRACE(file);
        Parsed p = parse(MailgunAdapter(), mailgun_body(file));
        ASSERT_EQ(p.events.size(), 1U);
        const auto& e = p.events[0];
        EXPECT_EQ(e.kind, kind);
        EXPECT_EQ(e.side, side);
        EXPECT_EQ(label(e, "source"), "mailgun");
        EXPECT_NE(label(e, "provider"), "<absent>");
        EXPECT_FALSE(e.id.empty());
        EXPECT_EQ(e.subject.size(), 32U);
        const double ts = json::parse(fixture(file))["timestamp"].get<double>();
        EXPECT_EQ(e.time_ms, static_cast<std::int64_t>(ts * 1000));
        expect_no_address(p);
    }
}

TEST_F(VendorAdapterTest, MailgunAssembledWebhookAndCampaignFromTagsOrVariables) {
    Parsed p = parse(MailgunAdapter(), fixture("mailgun_webhook_failed_permanent.ASSEMBLED.json"));
    ASSERT_EQ(p.events.size(), 1U);
    EXPECT_EQ(p.events[0].kind, "email.dropped");  // reason suppress-bounce: not attempted
    EXPECT_EQ(label(p.events[0], "provider"), "mailgun.com");

    json delivered = json::parse(fixture("mailgun_event_delivered.json"));
    delivered["tags"] = {"spring-sale", "other"};
    Parsed tagged = parse(MailgunAdapter(), json{{"event-data", delivered}}.dump());
    EXPECT_EQ(label(tagged.events[0], "campaign"), "spring-sale");
    delivered["user-variables"] = {{"campaign", "winback"}};
    Parsed vars = parse(MailgunAdapter(), json{{"event-data", delivered}}.dump());
    EXPECT_EQ(label(vars.events[0], "campaign"), "winback");
    // The same event delivered twice has the same id; another day's event with the same id
    // (Mailgun ids are unique within a day) does not.
    EXPECT_EQ(tagged.events[0].id, vars.events[0].id);
    delivered["timestamp"] = delivered["timestamp"].get<double>() + 86400;
    EXPECT_NE(parse(MailgunAdapter(), json{{"event-data", delivered}}.dump()).events[0].id,
              vars.events[0].id);
}

TEST_F(VendorAdapterTest, MailgunEventsCarryTheirMessage) {
    // Each documented event names its Message-Id; a later event of the same message joins.
    json accepted = json::parse(fixture("mailgun_event_accepted.json"));
    json opened = accepted;
    opened["event"] = "opened";
    opened["id"] = "another-event";
    const auto a = parse(MailgunAdapter(), json{{"event-data", accepted}}.dump()).events.at(0);
    const auto o = parse(MailgunAdapter(), json{{"event-data", opened}}.dump()).events.at(0);
    EXPECT_EQ(a.message.size(), 32U);
    EXPECT_EQ(a.message, o.message);
    json complained = json::parse(fixture("mailgun_event_complained.json"));
    EXPECT_NE(parse(MailgunAdapter(), json{{"event-data", complained}}.dump()).events.at(0).message,
              a.message);
}

TEST_F(VendorAdapterTest, MailgunBadBodiesAreNamed) {
    EXPECT_EQ(refused(MailgunAdapter(), "{\"signature\":{}}").field, "event-data");
    EXPECT_EQ(refused(MailgunAdapter(), R"({"event-data":{"timestamp":1}})").field,
              "event-data.event");
    EXPECT_EQ(refused(MailgunAdapter(), R"({"event-data":{"event":"delivered"}})").field,
              "event-data.timestamp");
    EXPECT_EQ(refused(MailgunAdapter(), R"({"event-data":{"event":"delivered","timestamp":"x"}})")
                  .reason,
              "bad_field");
    EXPECT_EQ(refused(MailgunAdapter(), "[1,2").reason, "bad_json");
    EXPECT_EQ(parse(MailgunAdapter(), R"({"event-data":{"event":"stored","timestamp":1}})").ignored,
              1U);
}

// --- Amazon SES through SNS --------------------------------------------------------------

std::string sns_wrap(const std::string& ses_fixture, const std::string& message_id = "m-1") {
    json envelope = json::parse(fixture("sns_notification.json"));
    envelope["MessageId"] = message_id;
    envelope["Message"] = json::parse(fixture(ses_fixture)).dump();
    return envelope.dump();
}

TEST_F(VendorAdapterTest, SesNotificationsGiveOneEventPerRecipient) {
    Parsed bounce = parse(SesAdapter(), fixture("sns_ses_bounce_notification.ASSEMBLED.json"));
    ASSERT_EQ(bounce.events.size(), 1U);
    EXPECT_EQ(bounce.events[0].kind, "email.bounce");
    EXPECT_EQ(label(bounce.events[0], "bounce_class"), "hard");
    EXPECT_EQ(label(bounce.events[0], "provider"), "example.com");
    EXPECT_EQ(bounce.events[0].time_ms, *core::parse_rfc3339_ms("2016-01-27T14:59:38.237Z"));

    for (const char* f : {"ses_bounce_with_dsn.json", "ses_bounce_without_dsn.json"}) {
        Parsed p = parse(SesAdapter(), sns_wrap(f));
        ASSERT_FALSE(p.events.empty()) << f;
        EXPECT_EQ(p.events[0].kind, "email.bounce");
    }
    for (const char* f : {"ses_complaint_with_feedback.json", "ses_complaint_without_feedback.json"}) {
        Parsed p = parse(SesAdapter(), sns_wrap(f));
        ASSERT_FALSE(p.events.empty()) << f;
        EXPECT_EQ(p.events[0].kind, "email.complaint");
        EXPECT_EQ(p.events[0].side, core::Side::kCustomer);
        expect_no_address(p);
    }
    Parsed delivered = parse(SesAdapter(), sns_wrap("ses_delivery.json"));
    const auto recipients = json::parse(fixture("ses_delivery.json"))["delivery"]["recipients"];
    ASSERT_EQ(delivered.events.size(), recipients.size());
    EXPECT_EQ(delivered.events[0].kind, "email.delivered");
    // Ids: the SNS message id and the recipient, so a redelivered notification de-duplicates.
    EXPECT_EQ(delivered.events[0].id, "m-1:0");
    EXPECT_EQ(parse(SesAdapter(), sns_wrap("ses_delivery.json")).events[0].id, "m-1:0");
}

TEST_F(VendorAdapterTest, SesTransientBouncesAreSoftAndTagsNameTheCampaign) {
    json ses = json::parse(fixture("ses_bounce_with_dsn.json"));
    ses["bounce"]["bounceType"] = "Transient";
    ses["mail"]["tags"] = {{"campaign", {"spring-sale"}}};
    json envelope = json::parse(fixture("sns_notification.json"));
    envelope["Message"] = ses.dump();
    Parsed p = parse(SesAdapter(), envelope.dump());
    ASSERT_FALSE(p.events.empty());
    EXPECT_EQ(label(p.events[0], "bounce_class"), "soft");
    EXPECT_EQ(label(p.events[0], "campaign"), "spring-sale");
}

TEST_F(VendorAdapterTest, SesSubscriptionMessagesCarryNoEvents) {
    Parsed confirm = parse(SesAdapter(), fixture("sns_subscription_confirmation.json"));
    EXPECT_TRUE(confirm.events.empty());
    EXPECT_EQ(confirm.confirm_url.rfind("https://sns.us-west-2.amazonaws.com/", 0), 0U);
    Parsed unsubscribed = parse(SesAdapter(), fixture("sns_unsubscribe_confirmation.json"));
    EXPECT_TRUE(unsubscribed.events.empty());
    EXPECT_TRUE(unsubscribed.confirm_url.empty());
    // The plain SNS example's Message is text, not an SES notification.
    EXPECT_EQ(refused(SesAdapter(), fixture("sns_notification.json")).field, "Message");
    EXPECT_EQ(refused(SesAdapter(), R"({"Type":"Whatever"})").field, "Type");
}

TEST_F(VendorAdapterTest, SesEventsOfOneMailAndRecipientShareTheirMessage) {
    // A delivery and a later complaint about the same mail to the same recipient join; another
    // recipient of that mail is a message of its own.
    json delivery = json::parse(fixture("ses_delivery.json"));
    json complaint = json::parse(fixture("ses_complaint_with_feedback.json"));
    complaint["mail"]["messageId"] = delivery["mail"]["messageId"];
    complaint["complaint"]["complainedRecipients"] = json::array(
        {{{"emailAddress", "jane@example.com"}}, {{"emailAddress", "mary@example.com"}}});
    auto wrap = [](const json& ses) {
        json envelope = json::parse(fixture("sns_notification.json"));
        envelope["Message"] = ses.dump();
        return envelope.dump();
    };
    Parsed d = parse(SesAdapter(), wrap(delivery));
    Parsed c = parse(SesAdapter(), wrap(complaint));
    ASSERT_EQ(d.events.size(), 1U);
    ASSERT_GE(c.events.size(), 2U);
    EXPECT_EQ(d.events[0].message.size(), 32U);
    std::set<std::string> complaint_messages;
    for (const auto& e : c.events) {
        complaint_messages.insert(e.message);
    }
    EXPECT_EQ(complaint_messages.size(), c.events.size());  // one per recipient
    EXPECT_TRUE(complaint_messages.count(d.events[0].message));  // jane's: her delivery's
    EXPECT_NE(d.events[0].message, d.events[0].subject);  // a namespace of its own
}

// --- Postmark ----------------------------------------------------------------------------

TEST_F(VendorAdapterTest, PostmarkEventsJoinByMessageId) {
    const json delivery = {{"RecordType", "Delivery"}, {"MessageID", "883953f4"},
                           {"Recipient", "ann@yahoo.com"}, {"DeliveredAt", "2026-11-23T10:00:00Z"}};
    const json open = {{"RecordType", "Open"}, {"MessageID", "883953f4"},
                       {"Recipient", "ann@yahoo.com"}, {"ReceivedAt", "2026-11-23T11:00:00Z"}};
    const json other = {{"RecordType", "Open"}, {"MessageID", "a0a0a0a0"},
                        {"Recipient", "ann@yahoo.com"}, {"ReceivedAt", "2026-11-23T11:00:00Z"}};
    const std::string m = parse(PostmarkAdapter(), delivery.dump()).events.at(0).message;
    EXPECT_EQ(m.size(), 32U);
    EXPECT_EQ(parse(PostmarkAdapter(), open.dump()).events.at(0).message, m);
    EXPECT_NE(parse(PostmarkAdapter(), other.dump()).events.at(0).message, m);
}

TEST_F(VendorAdapterTest, PostmarkBounceFixtureAndRecordTypes) {
    Parsed p = parse(PostmarkAdapter(), fixture("postmark_bounce.json"));
    ASSERT_EQ(p.events.size(), 1U);
    EXPECT_EQ(p.events[0].kind, "email.bounce");
    EXPECT_EQ(label(p.events[0], "bounce_class"), "hard");
    EXPECT_EQ(label(p.events[0], "campaign"), "Test");  // the Tag
    EXPECT_EQ(label(p.events[0], "provider"), "example.com");
    EXPECT_EQ(p.events[0].id, "Bounce:42");
    EXPECT_EQ(p.events[0].time_ms, *core::parse_rfc3339_ms("2014-08-01T17:28:10.273Z"));
    expect_no_address(p);

    const json codes = json::parse(fixture("postmark_bounce_type_codes.json"));
    json bounce = json::parse(fixture("postmark_bounce.json"));
    const std::vector<std::pair<const char*, std::string>> expected = {
        {"SoftBounce", "email.bounce"}, {"Blocked", "email.bounce"},
        {"SpamComplaint", "email.complaint"}, {"Unsubscribe", "email.unsubscribe"}};
    for (const auto& [name, kind] : expected) {
        bounce["TypeCode"] = codes[name];
        Parsed q = parse(PostmarkAdapter(), bounce.dump());
        ASSERT_EQ(q.events.size(), 1U) << name;
        EXPECT_EQ(q.events[0].kind, kind) << name;
    }
    bounce["TypeCode"] = codes["AutoResponder"];
    EXPECT_EQ(parse(PostmarkAdapter(), bounce.dump()).ignored, 1U);

    const json delivery = {{"RecordType", "Delivery"}, {"MessageID", "abc"},
                           {"Recipient", "ann@Yahoo.com"}, {"DeliveredAt", "2026-11-23T10:00:00Z"},
                           {"Metadata", {{"campaign", "spring-sale"}}}};
    Parsed d = parse(PostmarkAdapter(), delivery.dump());
    ASSERT_EQ(d.events.size(), 1U);
    EXPECT_EQ(d.events[0].kind, "email.delivered");
    EXPECT_EQ(label(d.events[0], "provider"), "yahoo.com");
    EXPECT_EQ(label(d.events[0], "campaign"), "spring-sale");
    const json change = {{"RecordType", "SubscriptionChange"}, {"MessageID", "abc"},
                         {"Recipient", "ann@yahoo.com"}, {"ChangedAt", "2026-11-23T10:00:00Z"},
                         {"SuppressSending", true}};
    EXPECT_EQ(parse(PostmarkAdapter(), change.dump()).events.at(0).kind, "email.unsubscribe");
    EXPECT_EQ(refused(PostmarkAdapter(), R"({"RecordType":"Delivery"})").field, "DeliveredAt");
    EXPECT_EQ(refused(PostmarkAdapter(), R"({"ID":1})").field, "RecordType");
}

// --- Zendesk -----------------------------------------------------------------------------

TEST_F(VendorAdapterTest, ZendeskTriggerTicketsCarryCampaignTopicAndProvider) {
    const json body = {{"ticket",
                        {{"id", "4711"},
                         {"created_at", "2026-11-23T10:00:00Z"},
                         {"tags", "campaign_spring-sale topic_not_received vip"},
                         {"requester_email", "Ann@Gmail.com"},
                         {"channel", "Email"}}}};
    Parsed p = parse(ZendeskAdapter(), body.dump());
    ASSERT_EQ(p.events.size(), 1U);
    const auto& e = p.events[0];
    EXPECT_EQ(e.kind, "ticket.created");
    EXPECT_EQ(e.side, core::Side::kCustomer);
    EXPECT_EQ(label(e, "campaign"), "spring-sale");
    EXPECT_EQ(label(e, "topic"), "not_received");
    EXPECT_EQ(label(e, "provider"), "gmail.com");
    EXPECT_EQ(label(e, "channel"), "email");
    EXPECT_EQ(e.id, "ticket:4711");
    EXPECT_EQ(e.subject, hasher_.hash("ann@gmail.com"));
    expect_no_address(p);

    json with_field = body;
    with_field["ticket"]["campaign"] = "winback";
    with_field["ticket"]["tags"] = json::array({"topic_spam"});
    Parsed q = parse(ZendeskAdapter(), with_field.dump());
    EXPECT_EQ(label(q.events[0], "campaign"), "winback");
    EXPECT_EQ(label(q.events[0], "topic"), "spam");
}

TEST_F(VendorAdapterTest, ZendeskEventSubscriptions) {
    // The documented user event is not a ticket: recognised and ignored.
    EXPECT_EQ(parse(ZendeskAdapter(), fixture("zendesk_event_user_active_changed.json")).ignored, 1U);
    const json created = {{"type", "zen:event-type:ticket.created"},
                          {"id", "2b24ef10"},
                          {"time", "2026-11-23T10:00:00Z"},
                          {"detail", {{"id", "35436"}, {"tags", {"campaign_spring-sale"}},
                                      {"via", {{"channel", "web_form"}}}}}};
    Parsed p = parse(ZendeskAdapter(), created.dump());
    ASSERT_EQ(p.events.size(), 1U);
    EXPECT_EQ(label(p.events[0], "campaign"), "spring-sale");
    EXPECT_EQ(label(p.events[0], "channel"), "web_form");
    EXPECT_EQ(label(p.events[0], "provider"), "unknown");
    EXPECT_EQ(refused(ZendeskAdapter(), R"({"ticket":{"created_at":"2026-11-23T10:00:00Z"}})").field,
              "ticket.id");
    EXPECT_EQ(refused(ZendeskAdapter(), R"({"ticket":{"id":1,"created_at":"yesterday"}})").field,
              "ticket.created_at");
    EXPECT_EQ(refused(ZendeskAdapter(), R"({"hello":1})").field, "ticket");
}

// --- Amazon Connect ----------------------------------------------------------------------

TEST_F(VendorAdapterTest, ConnectDisconnectsTellTheContactsOutcome) {
    Parsed agent = parse(ConnectAdapter(), fixture("connect_contact_event_disconnected_eventbridge.json"));
    ASSERT_EQ(agent.events.size(), 2U);
    EXPECT_EQ(agent.events[0].kind, "ivr.call");
    EXPECT_EQ(agent.events[0].side, core::Side::kMap);
    EXPECT_EQ(label(agent.events[0], "outcome"), "agent");
    EXPECT_EQ(label(agent.events[0], "channel"), "voice");
    EXPECT_EQ(agent.events[1].kind, "ivr.zero_out");
    EXPECT_EQ(agent.events[1].side, core::Side::kCustomer);
    EXPECT_EQ(agent.events[0].time_ms, *core::parse_rfc3339_ms("2021-08-04T17:18:37Z"));

    // Not yet ended: ignored.
    EXPECT_EQ(parse(ConnectAdapter(), fixture("connect_contact_event_connected_to_agent.json")).ignored,
              1U);

    json queued = json::parse(fixture("connect_contact_event_disconnected_eventbridge.json"));
    queued["detail"].erase("AgentInfo");
    json self_served = queued;
    self_served["detail"].erase("queueInfo");
    Parsed both = parse(ConnectAdapter(), json::array({queued, self_served}).dump());
    ASSERT_EQ(both.events.size(), 3U);
    EXPECT_EQ(label(both.events[0], "outcome"), "abandoned");
    EXPECT_EQ(both.events[1].kind, "ivr.abandon");
    EXPECT_EQ(label(both.events[2], "outcome"), "self_served");

    EXPECT_EQ(refused(ConnectAdapter(), R"({"detail":{"eventType":"DISCONNECTED"}})").field,
              "time");
    EXPECT_EQ(refused(ConnectAdapter(), R"([{"detail":{}}])").index, 0);
}

TEST_F(VendorAdapterTest, DeepNestingAndInvalidUtf8AreRefused) {
    const std::string deep = std::string(100, '[') + std::string(100, ']');
    const std::string bad_utf8 = "{\"ticket\":{\"id\":\"\xff\xfe\"}}";
    for (const Adapter* a : std::initializer_list<const Adapter*>{
             new MailgunAdapter(), new SesAdapter(), new PostmarkAdapter(), new ZendeskAdapter(),
             new ConnectAdapter()}) {
        std::unique_ptr<const Adapter> owned(a);
        EXPECT_EQ(refused(*a, deep).reason, "bad_json") << a->source();
        EXPECT_EQ(refused(*a, bad_utf8).reason, "bad_json") << a->source();
        EXPECT_EQ(refused(*a, "").reason, "bad_json") << a->source();
    }
}

}  // namespace
}  // namespace terrain::webhooks
