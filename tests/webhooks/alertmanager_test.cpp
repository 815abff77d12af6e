#include <gtest/gtest.h>

#include "tests/support/adapter_problem.h"

#include "core/duration.h"
#include "webhooks/sources/alertmanager/adapter.h"
#include "alerts/alertmanager/receiver.h"

namespace terrain::webhooks {
namespace {

// An Alertmanager webhook notification, payload version 4, as Alertmanager sends it: one
// firing alert and one resolved (endsAt set), group and common labels beside them.
constexpr const char* kNotification = R"({
  "version": "4",
  "groupKey": "{}:{alertname=\"EspWebhookErrors\"}",
  "truncatedAlerts": 0,
  "status": "firing",
  "receiver": "terrain",
  "groupLabels": {"alertname": "EspWebhookErrors"},
  "commonLabels": {"alertname": "EspWebhookErrors", "severity": "page"},
  "commonAnnotations": {},
  "externalURL": "http://alertmanager:9093",
  "alerts": [
    {"status": "firing",
     "labels": {"alertname": "EspWebhookErrors", "severity": "page", "provider": "gmail.com",
                "campaign": "spring-sale", "owner": "ops@example.com", "instance": "esp-1"},
     "annotations": {"summary": "ESP webhook errors"},
     "startsAt": "2026-11-23T10:00:00.123Z",
     "endsAt": "0001-01-01T00:00:00Z",
     "generatorURL": "http://prometheus:9090/graph",
     "fingerprint": "a1b2c3d4e5f60718"},
    {"status": "resolved",
     "labels": {"alertname": "JourneyStuck", "journey": "welcome", "side": "customer"},
     "annotations": {},
     "startsAt": "2026-11-23T09:00:00Z",
     "endsAt": "2026-11-23T09:30:00Z",
     "generatorURL": "",
     "fingerprint": "0011223344556677"}
  ]
})";

class AlertmanagerAdapterTest : public ::testing::Test {
protected:
    std::vector<std::string> labels_ = core::known_labels();
    AdapterContext ctx() {
        AdapterContext c;
        c.now_ms = *core::parse_rfc3339_ms("2026-11-23T12:00:00Z");
        c.labels = &labels_;
        return c;
    }
};

TEST_F(AlertmanagerAdapterTest, EachAlertBecomesAnEvent) {
    auto r = AlertmanagerAdapter().parse(kNotification, ctx());
    ASSERT_TRUE(r.ok()) << r.error().message;
    const auto& events = r.value().events;
    ASSERT_EQ(events.size(), 2U);
    const auto& firing = events[0];
    EXPECT_EQ(firing.kind, "alert.firing");
    EXPECT_EQ(firing.side, core::Side::kMap);
    EXPECT_EQ(firing.time_ms, *core::parse_rfc3339_ms("2026-11-23T10:00:00.123Z"));
    EXPECT_EQ(*core::find_label(firing.labels, "topic"), "EspWebhookErrors");
    EXPECT_EQ(*core::find_label(firing.labels, "provider"), "gmail.com");
    EXPECT_EQ(*core::find_label(firing.labels, "campaign"), "spring-sale");
    EXPECT_EQ(*core::find_label(firing.labels, "source"), "alertmanager");
    // Not terrain labels, or an address: not kept.
    EXPECT_EQ(core::find_label(firing.labels, "owner"), nullptr);
    EXPECT_EQ(core::find_label(firing.labels, "instance"), nullptr);
    EXPECT_EQ(firing.id, "a1b2c3d4e5f60718:firing:" + std::to_string(firing.time_ms));

    const auto& resolved = events[1];
    EXPECT_EQ(resolved.kind, "alert.resolved");
    EXPECT_EQ(resolved.side, core::Side::kCustomer);
    EXPECT_EQ(resolved.time_ms, *core::parse_rfc3339_ms("2026-11-23T09:30:00Z"));
    EXPECT_EQ(*core::find_label(resolved.labels, "journey"), "welcome");
}

TEST_F(AlertmanagerAdapterTest, RepeatedNotificationsHaveTheSameIds) {
    auto a = AlertmanagerAdapter().parse(kNotification, ctx());
    auto b = AlertmanagerAdapter().parse(kNotification, ctx());
    ASSERT_TRUE(a.ok() && b.ok());
    EXPECT_EQ(a.value().events[0].id, b.value().events[0].id);
}

TEST_F(AlertmanagerAdapterTest, RefusesWhatItCannotRead) {
    struct Case {
        std::string body;
        std::string reason;
        std::string mentions;
    };
    const std::vector<Case> cases = {
        {"{", "bad_json", "not valid JSON"},
        {"[]", "bad_json", "webhook object"},
        {R"({"version": "3", "alerts": []})", "bad_version", "version \"4\""},
        {R"({"version": "4"})", "missing_field", "'alerts'"},
        {R"({"version": "4", "alerts": [{"status": "pending", "labels": {}}]})", "bad_field",
         "event 0, field 'status'"},
        {R"({"version": "4", "alerts": [{"status": "firing", "labels": {},
             "startsAt": "yesterday"}]})",
         "bad_field", "field 'startsAt'"},
        {R"({"version": "4", "alerts": [{"status": "firing", "labels": {"a": 1},
             "startsAt": "2026-11-23T10:00:00Z"}]})",
         "bad_field", "labels.a"},
        {R"({"version": "4", "alerts": [{"status": "firing", "labels": {},
             "startsAt": "2027-11-23T10:00:00Z"}]})",
         "future_time", "ahead of terrain's clock"},
    };
    for (const auto& c : cases) {
        const auto e = testing::first_problem(AlertmanagerAdapter().parse(c.body, ctx()));
        EXPECT_EQ(e.reason, c.reason) << c.body;
        EXPECT_NE(e.message.find(c.mentions), std::string::npos) << c.body << " -> " << e.message;
    }
}

TEST(AlertmanagerReceiverTest, PostableAlertCarriesLabelsEvidenceAndTimes) {
    alerts::Alert a;
    a.id = "fp-1";
    a.metric = "spam_complaint_rate";
    a.detector = "threshold";
    a.severity = "critical";
    a.team = "customer-care";
    a.labels = {{"campaign", "spring"}, {"provider", "gmail.com"}};
    a.summary = "spam_complaint_rate for campaign=spring provider=gmail.com: 0.5% is above 0.3%";
    a.observed = 0.005;
    a.expected = 0.003;
    a.fired_at_ms = *core::parse_rfc3339_ms("2026-11-23T10:00:00Z");
    const std::int64_t now = a.fired_at_ms + 60'000;
    auto j = alerts::AlertmanagerReceiver::postable(a, now);
    EXPECT_EQ(j["labels"]["alertname"], "spam_complaint_rate");
    EXPECT_EQ(j["labels"]["provider"], "gmail.com");
    EXPECT_EQ(j["labels"]["team"], "customer-care");
    EXPECT_EQ(j["labels"]["source"], "terrain");
    EXPECT_EQ(j["annotations"]["terrain_alert_id"], "fp-1");
    EXPECT_EQ(j["annotations"]["observed"], "0.005");
    EXPECT_EQ(j["startsAt"], "2026-11-23T10:00:00.000Z");
    EXPECT_EQ(j["endsAt"], core::format_rfc3339_ms(now + 240'000));  // re-sent every minute
    a.state = alerts::AlertState::kResolved;
    a.resolved_at_ms = now;
    EXPECT_EQ(alerts::AlertmanagerReceiver::postable(a, now + 5000)["endsAt"],
              core::format_rfc3339_ms(now));
}

}  // namespace
}  // namespace terrain::webhooks
