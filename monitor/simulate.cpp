#include "monitor/simulate.h"

#include <httplib.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <optional>
#include <iostream>
#include <map>
#include <queue>
#include <random>
#include <stdexcept>
#include <thread>

#include "core/config.h"
#include "core/duration.h"
#include "core/signature.h"
#include "core/url.h"
#include "monitor/simulate_outbox.h"

namespace terrain::monitor {

namespace {

using nlohmann::json;

constexpr std::int64_t kIncidentLead = 3 * kHour;  // incidents start this long before the end

struct Campaign {
    const char* name;
    double per_hour;  // messages, on average over a weekday
};
constexpr Campaign kCampaigns[] = {
    {"spring-sale", 4000}, {"weekly-digest", 3000}, {"winback", 1500}, {"onboarding", 600}};

struct Provider {
    const char* domain;
    double share;
};
constexpr Provider kProviders[] = {{"gmail.com", 0.40},
                                   {"yahoo.com", 0.20},
                                   {"outlook.com", 0.20},
                                   {"icloud.com", 0.10},
                                   {"example.org", 0.10}};

struct Bot {
    const char* name;
    double per_hour;
};
constexpr Bot kBots[] = {{"billing-bot", 500}, {"orders-bot", 300}};
constexpr double kCallsPerHour = 400;

// The contact centre behind Amazon Connect's contact trace records: lines of business with
// their own share of calls and their own self-service rate.
struct Line {
    const char* name;
    double share;
    double self_served;  // of calls, as the IVR reports it
    double agent;        // of the calls that are not self-served
};
constexpr Line kLines[] = {{"billing", 0.45, 0.60, 0.90}, {"orders", 0.35, 0.50, 0.88},
                           {"tech", 0.20, 0.30, 0.80}};
constexpr double kCtrCallsPerHour = 600;


// What each scenario changes while its incident lasts (1 = as usual).
struct ScenarioIncident {
    std::string expect_metric;  // the pair whose alert should fire
    json expect_labels;
    std::string what;
};

ScenarioIncident incident_of(const std::string& scenario) {
    if (scenario == "spam_folder") {
        return {"spam_folder", {{"campaign", "spring-sale"}, {"provider", "gmail.com"}},
                "spring-sale lands in gmail.com's spam folder: 3% of its gmail recipients file "
                "'did not arrive' tickets, 0.5% complain; SendGrid still reports it delivered"};
    }
    if (scenario == "runaway_send") {
        return {"send_backlash", {{"campaign", "weekly-digest"}},
                "a journey loop sends weekly-digest four times over; 2% of the duplicates "
                "unsubscribe and 0.5% complain"};
    }
    if (scenario == "bot_loop") {
        return {"bot_loop", {{"bot", "billing-bot"}},
                "billing-bot stops escalating and loops: it reports 88% of sessions contained "
                "while 40% of its customers contact again within the hour"};
    }
    if (scenario == "ivr_outage") {
        return {"ivr_trap", {{"channel", "voice"}},
                "a broken IVR menu: callers retry (+50% calls), the IVR still reports 56% "
                "self-served while a third of callers hang up waiting for an agent (usually 8%)"};
    }
    if (scenario == "forced_ivr") {
        return {"forced_ivr", {{"lob", "orders"}},
                "a menu change hides the agent option on the orders line: callers hang up in "
                "the menu, which the IVR counts as self-served (about 50% -> 85%), and most of "
                "them call back within the hour"};
    }
    if (scenario == "bot_containment_trap") {
        return {"bot_trap", {{"bot", "orders-bot"}},
                "orders-bot stops offering a human: it counts 90% of its sessions contained "
                "(usually 70%) while nearly half of those customers open a new session within "
                "the hour"};
    }
    if (scenario == "consent_bug") {
        return {"consent_gone_wrong", {{"campaign", "winback"}},
                "a list import doubles winback's audience with never-subscribed people: 4% of "
                "them tell support they never signed up, 1% complain, 3% unsubscribe"};
    }
    if (scenario == "quiet_week") {
        return {"", json::object(), ""};
    }
    throw std::invalid_argument("unknown scenario '" + scenario + "'");
}

double weekday_factor(std::int64_t t_ms) {
    const std::int64_t weekday = ((t_ms / kDay) + 4) % 7;  // 0 Sunday; 1970-01-01 was a Thursday
    return weekday == 0 || weekday == 6 ? 0.6 : 1.0;
}

// Daily and weekly seasonality: quiet at night, a peak mid-afternoon UTC, weekends at 60%,
// blended over the six hours around midnight (traffic does not step at 00:00).
double shape(std::int64_t t_ms) {
    const double hour = static_cast<double>((t_ms % kDay + kDay) % kDay) / kHour;
    const double daily = 0.2 + 0.8 * (0.5 - 0.5 * std::cos(2 * M_PI * (hour - 3) / 24));
    double weekly = weekday_factor(t_ms);
    const std::int64_t to_midnight = (t_ms % kDay + kDay) % kDay;
    const double from_edge = static_cast<double>(std::min(to_midnight, kDay - to_midnight));
    if (from_edge < 3 * kHour) {
        // 0.5 at midnight, 1 three hours away: mix today's factor with the neighbour's.
        const double w = 0.5 + 0.5 * from_edge / (3 * kHour);
        const std::int64_t neighbour = to_midnight < kDay / 2 ? t_ms - kDay / 2 : t_ms + kDay / 2;
        weekly = w * weekly + (1 - w) * weekday_factor(neighbour);
    }
    return daily * weekly / 0.6;  // mean ~1 on weekdays
}

// Contact-centre traffic: Saturdays at 35%, Sundays at 20% of a weekday, on the daily shape.
double contact_centre_shape(std::int64_t t_ms) {
    const std::int64_t weekday = ((t_ms / kDay) + 4) % 7;
    const double week = weekday == 6 ? 0.35 : weekday == 0 ? 0.20 : 1.0;
    return shape(t_ms) / weekday_factor(t_ms) * 0.6 * week;
}

enum Source : int { kSendgrid, kZendesk, kConnect, kEvents, kConnectCtr, kSources };
constexpr const char* kSourceNames[] = {"sendgrid", "zendesk", "connect", "events", "connect_ctr"};

// As each vendor delivers: Zendesk one ticket per webhook, Connect contact trace records
// through Firehose, the others in batches.
Outbox::Delivery delivery_of(int source) {
    return source == kZendesk      ? Outbox::Delivery::kOnePerRequest
           : source == kConnectCtr ? Outbox::Delivery::kFirehose
                                   : Outbox::Delivery::kArray;
}

class Generator {
public:
    Generator(const SimulateOptions& o, std::int64_t start, std::int64_t end)
        : scenario_(o.scenario), rng_(o.seed), start_(start), end_(end),
          incident_start_(o.scenario == "quiet_week" ? end + 1 : end - kIncidentLead),
          outbox_(end) {}

    void run(const std::function<void(const SimulatedRequest&)>& emit) {
        for (std::int64_t minute = start_; minute < end_; minute += kMinute) {
            const bool incident = minute >= incident_start_;
            email(minute, incident);
            bots(minute, incident);
            calls(minute, incident);
            contact_centre(minute, incident);
            outbox_.flush(std::min(minute + kMinute, end_), emit);
        }
    }

private:
    double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
    int poisson(double mean) {
        return mean <= 0 ? 0 : std::poisson_distribution<int>(mean)(rng_);
    }
    std::int64_t within(std::int64_t minute) {
        return minute + static_cast<std::int64_t>(uniform() * kMinute);
    }
    std::int64_t lag(double mean_ms) {
        return static_cast<std::int64_t>(std::exponential_distribution<double>(1.0 / mean_ms)(rng_));
    }
    bool chance(double p) { return uniform() < p; }
    void add(std::int64_t t, int source, std::string item) {
        outbox_.add(t, kSourceNames[source], delivery_of(source), std::move(item));
    }
    std::string id() { return "sim" + std::to_string(++counter_); }
    static std::string rfc3339(std::int64_t ms) { return core::format_rfc3339_ms(ms); }

    std::string sendgrid(std::int64_t t, const char* event, const std::string& email,
                         const char* campaign, const char* extra = "") {
        return std::string("{\"email\":\"") + email + "\",\"timestamp\":" +
               std::to_string(t / 1000) + ",\"event\":\"" + event + "\",\"sg_event_id\":\"" +
               id() + "\",\"campaign\":\"" + campaign + "\",\"category\":[\"" + campaign +
               "\"]" + extra + "}";
    }
    std::string ticket(std::int64_t t, const std::string& email, const char* campaign,
                       const char* topic) {
        return json{{"ticket",
                     {{"id", std::to_string(++tickets_)},
                      {"created_at", rfc3339(t)},
                      {"tags", std::string("campaign_") + campaign + " topic_" + topic},
                      {"requester_email", email},
                      {"channel", "email"}}}}
            .dump();
    }

    // One minute of mail: sends, deliveries, bounces, and the customers' reactions later.
    void email(std::int64_t minute, bool incident) {
        for (const auto& c : kCampaigns) {
            const std::string name = c.name;
            double volume = c.per_hour / 60 * shape(minute);
            if (incident && scenario_ == "runaway_send" && name == "weekly-digest") {
                volume *= 4;
            }
            const int n = poisson(volume);
            const int bad_segment =
                incident && scenario_ == "consent_bug" && name == "winback" ? poisson(volume) : 0;
            for (int i = 0; i < n + bad_segment; ++i) {
                const bool never_subscribed = i >= n;
                const double pick = uniform();
                double acc = 0;
                const Provider* provider = &kProviders[0];
                for (const auto& p : kProviders) {
                    acc += p.share;
                    if (pick < acc) {
                        provider = &p;
                        break;
                    }
                }
                const std::string address = "u" + std::to_string(rng_() % 5'000'000) + "@" +
                                            provider->domain;
                const std::int64_t t = within(minute);
                add(t, kSendgrid, sendgrid(t, "processed", address, c.name));
                const double r = uniform();
                if (r < 0.004) {
                    add(t + 2000, kSendgrid,
                        sendgrid(t + 2000, "bounce", address, c.name,
                                 ",\"type\":\"bounce\",\"reason\":\"550 5.1.1 unknown user\""));
                    continue;
                }
                if (r < 0.007) {
                    add(t + 2000, kSendgrid,
                        sendgrid(t + 2000, "bounce", address, c.name,
                                 ",\"type\":\"blocked\",\"reason\":\"550 5.7.1 blocked\""));
                    continue;
                }
                std::int64_t delivered_at = t + 1000 + static_cast<std::int64_t>(uniform() * 20000);
                if (r < 0.017) {
                    add(t + 1000, kSendgrid, sendgrid(t + 1000, "deferred", address, c.name));
                    delivered_at += 5 * kMinute;
                }
                add(delivered_at, kSendgrid, sendgrid(delivered_at, "delivered", address, c.name));
                reactions(delivered_at, address, c.name, provider->domain, incident, never_subscribed);
            }
        }
    }

    // What customers do after a delivery: complain, unsubscribe, open a ticket, hours later.
    void reactions(std::int64_t at, const std::string& address, const char* c,
                   std::string_view provider, bool incident, bool never_subscribed) {
        const std::string_view campaign = c;
        double complaint = 0.0004, unsubscribe = 0.002;
        double not_received = 0.0001, other_ticket = 0.0002, never = 0.00002;
        double complaint_lag = 2 * kHour, unsubscribe_lag = 3 * kHour, ticket_lag = kHour;
        if (incident && scenario_ == "spam_folder" && campaign == "spring-sale" &&
            provider == "gmail.com") {
            not_received = 0.03;
            complaint = 0.005;
            ticket_lag = 15 * kMinute;
            complaint_lag = 30 * kMinute;
        }
        if (incident && scenario_ == "runaway_send" && campaign == "weekly-digest") {
            // Three of four copies are duplicates; those annoy.
            if (chance(0.75)) {
                unsubscribe = 0.02;
                complaint = 0.005;
                unsubscribe_lag = complaint_lag = 10 * kMinute;
            }
        }
        if (never_subscribed) {
            never = 0.04;
            complaint = 0.01;
            unsubscribe = 0.03;
            ticket_lag = 15 * kMinute;
            complaint_lag = unsubscribe_lag = 20 * kMinute;
        }
        if (chance(complaint)) {
            const auto t = at + lag(complaint_lag);
            add(t, kSendgrid, sendgrid(t, "spamreport", address, c));
        }
        if (chance(unsubscribe)) {
            const auto t = at + lag(unsubscribe_lag);
            add(t, kSendgrid, sendgrid(t, "unsubscribe", address, c));
        }
        for (auto [p, topic] : {std::pair{not_received, "not_received"},
                                std::pair{other_ticket, "question"},
                                std::pair{never, "never_subscribed"}}) {
            if (chance(p)) {
                const auto t = at + lag(ticket_lag);
                add(t, kZendesk, ticket(t, address, c, topic));
            }
        }
    }

    void bots(std::int64_t minute, bool incident) {
        for (const auto& b : kBots) {
            const bool looping = incident && scenario_ == "bot_loop" &&
                                 std::string_view(b.name) == "billing-bot";
            const bool trapping = incident && scenario_ == "bot_containment_trap" &&
                                  std::string_view(b.name) == "orders-bot";
            const int n = poisson(b.per_hour / 60 * shape(minute));
            for (int i = 0; i < n; ++i) {
                const std::int64_t t = within(minute);
                const double r = uniform();
                const char* outcome = r < (looping ? 0.88 : trapping ? 0.90 : 0.70) ? "contained"
                                      : r < (looping ? 0.92 : 0.90) ? "escalated"
                                                                    : "abandoned";
                const std::string customer = "customer-" + std::to_string(rng_() % 3'000'000);
                session(t, b.name, outcome, customer);
                // Some customers open a new session within the hour: more of them when the
                // bot traps them (bot_containment_trap) and counts them contained.
                const bool contained = std::string_view(outcome) == "contained";
                if (chance(trapping && contained ? 0.45 : 0.05)) {
                    const auto again = t + lag(12 * kMinute);
                    session(again, b.name, trapping ? "contained" : "escalated", customer);
                }
                if (chance(looping ? 0.40 : 0.06)) {
                    const auto back = t + lag(looping ? 15 * kMinute : 2 * kHour);
                    add(back, kEvents,
                        json{{"time", back}, {"kind", "contact.repeat"}, {"side", "customer"},
                             {"labels", {{"bot", b.name}, {"channel", "chat"}}}, {"id", id()}}
                            .dump());
                }
            }
        }
    }

    // A bot session in terrain's event format, the customer's identifier as its subject.
    void session(std::int64_t t, const char* bot, const char* outcome, const std::string& customer) {
        add(t, kEvents,
            json{{"time", t}, {"kind", "bot.session"}, {"side", "map"},
                 {"labels", {{"bot", bot}, {"outcome", outcome}, {"channel", "chat"}}},
                 {"id", id()}, {"subject", customer}}
                .dump());
    }

    void calls(std::int64_t minute, bool incident) {
        const bool broken = incident && scenario_ == "ivr_outage";
        const int n = poisson(kCallsPerHour / 60 * shape(minute) * (broken ? 1.5 : 1.0));
        for (int i = 0; i < n; ++i) {
            const std::int64_t start = within(minute);
            const std::int64_t end = start + 30'000 + static_cast<std::int64_t>(uniform() * 240'000);
            const double r = uniform();
            const bool self_served = r < (broken ? 0.56 : 0.60);
            const bool agent = !self_served && r < (broken ? 0.68 : 0.92);
            json detail = {{"eventType", "DISCONNECTED"},
                           {"contactId", id()},
                           {"channel", "VOICE"},
                           {"initiationMethod", "INBOUND"},
                           {"initiationTimestamp", rfc3339(start)},
                           {"disconnectTimestamp", rfc3339(end)}};
            if (!self_served) {
                detail["queueInfo"] = {{"queueArn", "arn:aws:connect:us-east-1:111122223333:"
                                                    "instance/sim/queue/billing"},
                                       {"enqueueTimestamp", rfc3339(start + 20'000)}};
            }
            if (agent) {
                detail["agentInfo"] = {{"agentArn", "arn:aws:connect:agent/sim"},
                                       {"connectedToAgentTimestamp", rfc3339(start + 60'000)}};
            }
            add(end, kConnect,
                json{{"version", "0"}, {"id", id()}, {"detail-type", "Amazon Connect Contact Event"},
                     {"source", "aws.connect"}, {"time", rfc3339(end)}, {"region", "us-east-1"},
                     {"detail", detail}}
                    .dump());
        }
    }

    // Calls to the contact centre as contact trace records, each caller known by a number
    // (hashed by terrain at the door). Some callers call back within the hour: those the IVR
    // let go without an answer more often, and when a menu change hides the agent option on
    // the orders line (forced_ivr), its callers hang up in the menu and call back.
    void contact_centre(std::int64_t minute, bool incident) {
        const int n = poisson(kCtrCallsPerHour / 60 * contact_centre_shape(minute));
        for (int i = 0; i < n; ++i) {
            const double pick = uniform();
            double acc = 0;
            const Line* line = &kLines[0];
            for (const auto& l : kLines) {
                acc += l.share;
                if (pick < acc) {
                    line = &l;
                    break;
                }
            }
            const std::string caller = "+1555" + std::to_string(1'000'000 + rng_() % 9'000'000);
            ctr_call(within(minute), *line, caller, incident, 0);
        }
    }

    void ctr_call(std::int64_t start, const Line& line, const std::string& caller, bool incident,
                  int attempt) {
        const bool trapped = incident && scenario_ == "forced_ivr" &&
                             std::string_view(line.name) == "orders";
        const double r = uniform();
        const bool self_served = r < (trapped ? 0.85 : line.self_served);
        const bool agent = !self_served && uniform() < line.agent;
        const std::int64_t end = start + 40'000 + static_cast<std::int64_t>(uniform() * 300'000);
        json ctr = {{"AWSAccountId", "111122223333"},
                    {"AWSContactTraceRecordFormatVersion", "2017-03-10"},
                    {"ContactId", id()},
                    {"Channel", "VOICE"},
                    {"InitiationMethod", "INBOUND"},
                    {"InitiationTimestamp", rfc3339(start)},
                    {"DisconnectTimestamp", rfc3339(end)},
                    {"CustomerEndpoint", {{"Address", caller}, {"Type", "TELEPHONE_NUMBER"}}},
                    {"SystemEndpoint", {{"Address", "+18005550100"}, {"Type", "TELEPHONE_NUMBER"}}},
                    {"Attributes", {{"line_of_business", line.name}}},
                    {"DisconnectReason", self_served ? "CONTACT_FLOW_DISCONNECT" : "CUSTOMER_DISCONNECT"},
                    {"Queue", nullptr},
                    {"Agent", nullptr}};
        if (!self_served) {
            ctr["Queue"] = {{"Name", line.name}, {"EnqueueTimestamp", rfc3339(start + 30'000)}};
        }
        if (agent) {
            ctr["Agent"] = {{"Username", "agent"}, {"ConnectedToAgentTimestamp", rfc3339(start + 90'000)}};
        }
        add(end, kConnectCtr, ctr.dump());
        // Calling back: trapped callers mostly; otherwise those left without an answer.
        const double back = trapped && self_served ? 0.55
                            : self_served          ? 0.07
                            : agent                ? 0.03
                                                   : 0.25;
        if (attempt < 2 && chance(back)) {
            ctr_call(end + lag(15 * kMinute), line, caller, incident, attempt + 1);
        }
    }

    std::string scenario_;
    std::mt19937_64 rng_;
    std::int64_t start_;
    std::int64_t end_;
    std::int64_t incident_start_;
    std::uint64_t counter_ = 0;
    std::uint64_t tickets_ = 0;
    Outbox outbox_;
};

std::int64_t end_of(const SimulateOptions& o) {
    const std::int64_t end = o.end_ms != 0
                                 ? o.end_ms
                                 : std::chrono::duration_cast<std::chrono::milliseconds>(
                                       std::chrono::system_clock::now().time_since_epoch())
                                       .count();
    return end / kMinute * kMinute;
}

int days_of(const SimulateOptions& o) {
    if (o.days > 0) {
        return o.days;
    }
    if (is_send_scenario(o.scenario)) {
        return o.scenario == "send_quiet_fortnight" ? 14 : 4;
    }
    return o.scenario == "quiet_week" ? 7 : 2;
}

}  // namespace

std::int64_t weekday_evening_before(std::int64_t now_ms) {
    std::int64_t end = now_ms / kDay * kDay + 20 * kHour;
    auto weekend = [&] {
        const std::int64_t weekday = (end / kDay + 4) % 7;  // 0 Sunday
        return weekday == 0 || weekday == 6;
    };
    while (end > now_ms || weekend()) {
        end -= kDay;
    }
    return end;
}

const std::vector<std::string>& scenarios() {
    static const std::vector<std::string> kScenarios = [] {
        std::vector<std::string> all = {"quiet_week", "spam_folder", "runaway_send", "bot_loop",
                                        "ivr_outage", "consent_bug", "forced_ivr",
                                        "bot_containment_trap"};
        for (const auto& s : send_scenarios()) {
            all.push_back(s);
        }
        return all;
    }();
    return kScenarios;
}

nlohmann::json ground_truth(const SimulateOptions& options) {
    const std::int64_t end = end_of(options);
    if (is_send_scenario(options.scenario)) {
        return send_truth(options, end - days_of(options) * kDay, end);
    }
    const ScenarioIncident incident = incident_of(options.scenario);
    json truth = {{"scenario", options.scenario},
                  {"start", core::format_rfc3339_ms(end - days_of(options) * kDay)},
                  {"end", core::format_rfc3339_ms(end)},
                  {"incidents", json::array()}};
    if (!incident.expect_metric.empty()) {
        truth["incidents"].push_back({{"what", incident.what},
                                      {"start", core::format_rfc3339_ms(end - kIncidentLead)},
                                      {"start_ms", end - kIncidentLead},
                                      {"end", core::format_rfc3339_ms(end)},
                                      {"expect", {{"metric", incident.expect_metric},
                                                  {"labels", incident.expect_labels}}}});
    }
    return truth;
}

void simulate(const SimulateOptions& options,
              const std::function<void(const SimulatedRequest&)>& emit) {
    const std::int64_t end = end_of(options);
    if (is_send_scenario(options.scenario)) {
        simulate_sends(options, end - days_of(options) * kDay, end, emit);
        return;
    }
    incident_of(options.scenario);  // validates the name
    Generator(options, end - days_of(options) * kDay, end).run(emit);
}

}  // namespace terrain::monitor
