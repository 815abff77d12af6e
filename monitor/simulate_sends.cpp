// Send traffic as marketing teams make it: campaigns that each send in a burst at their own
// local hour on their own weekdays, through four ESPs in their own formats, to recipients at
// big mailbox providers and at many small company domains; deliveries within seconds, opens,
// clicks, complaints, unsubscribes and "did not arrive" tickets trailing over days on
// heavy-tailed (log-normal) delays; every send a little different from the last; lists that
// grow. Incidents are confined to one send, and to one mailbox provider where that is how they
// happen.
//
// Its shapes are drawn from how ESP traffic looks, not from terrain's detectors: nothing here
// is tuned to make a detector fire.
#include <cmath>
#include <map>
#include <random>
#include <stdexcept>
#include <tuple>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/duration.h"
#include "monitor/simulate_outbox.h"

namespace terrain::monitor {

namespace {

using nlohmann::json;

enum class Esp { kSendgrid, kMailgun, kSes, kPostmark };

struct SendCampaign {
    const char* name;
    Esp esp;
    unsigned days;      // bit d set: sends on weekday d (0 Sunday), in its time zone
    int hour;           // local send time (hour, minute); -1: every hour (transactional)
    int minute;
    int utc_offset_min;
    double audience;    // recipients at the start of the simulation
    double weekly_growth;
    int burst_min;      // how long the ESP takes to send it all
};

constexpr unsigned kEveryDay = 0x7F;
constexpr unsigned kWeekdays = 0x3E;
constexpr SendCampaign kSendCampaigns[] = {
    {"daily-deals", Esp::kSendgrid, kEveryDay, 9, 0, -300, 24'000, 0.015, 35},
    {"member-news", Esp::kSendgrid, (1U << 2) | (1U << 4), 14, 30, 60, 40'000, 0.005, 50},
    {"flash-sale", Esp::kSendgrid, kWeekdays, 12, 0, 0, 15'000, 0.01, 40},
    {"re-engage", Esp::kMailgun, (1U << 1) | (1U << 3) | (1U << 6), 18, 0, -480, 8'000, 0.0, 30},
    {"app-updates", Esp::kSes, (1U << 0) | (1U << 3), 10, 0, 330, 10'000, 0.02, 25},
    {"receipts", Esp::kPostmark, kEveryDay, -1, 0, 0, 200, 0.01, 60},
};

struct SendProvider {
    const char* domain;
    double share;
    double complaints;  // how readily its users' complaints reach the sender (feedback loops)
    double machine_opens;  // opens made by the provider's privacy proxy within minutes
};
constexpr SendProvider kSendProviders[] = {
    {"gmail.com", 0.36, 0.6, 0.0},   {"outlook.com", 0.17, 1.0, 0.05},
    {"yahoo.com", 0.11, 1.6, 0.0},   {"icloud.com", 0.09, 1.0, 0.7},
    {"aol.com", 0.03, 1.4, 0.0},     {nullptr, 0.24, 0.8, 0.1},  // company domains
};
constexpr int kCompanyDomains = 40;

// How long after delivery one kind of signal comes: log-normal, by its median and spread.
struct Trail {
    double median_ms;
    double sigma;
};

// Everything a world fixes: its campaigns' schedules and audiences, its providers, and how its
// recipients' signals trail. World 0 is the reference the scenario tests and the tuning guide
// report; any other number draws a world from wide ranges around it (`--world N`): send hours,
// time zones, list sizes, bursts, provider shares, open and complaint delays the detectors were
// never tuned on. The campaigns' cadence (which weekdays) and the incidents stay as they are.
struct World {
    std::vector<SendCampaign> campaigns{std::begin(kSendCampaigns), std::end(kSendCampaigns)};
    std::vector<SendProvider> providers{std::begin(kSendProviders), std::end(kSendProviders)};
    Trail open{90 * kMinute, 1.4};
    double preview_opens = 0;  // share of human opens within two minutes (preview panes)
    double click = 0.12;       // share of human opens followed by a click
    Trail complaint{2.5 * kHour, 1.5};
    Trail unsubscribe{4 * kHour, 1.3};
    Trail not_received{8 * kHour, 1.0};
};

World world_of(std::uint64_t n) {
    World w;
    if (n == 0) {
        return w;
    }
    std::mt19937_64 rng(n * 104'729 + 3);
    auto uniform = [&](double lo, double hi) {
        return std::uniform_real_distribution<double>(lo, hi)(rng);
    };
    auto log_uniform = [&](double lo, double hi) { return lo * std::pow(hi / lo, uniform(0, 1)); };
    for (auto& c : w.campaigns) {
        if (c.hour >= 0) {
            c.hour = static_cast<int>(uniform(6, 22));
            c.minute = 15 * static_cast<int>(uniform(0, 4));
            c.utc_offset_min = 60 * static_cast<int>(uniform(-8, 10));
        }
        c.audience *= log_uniform(0.4, 2.5);
        c.weekly_growth = uniform(-0.01, 0.04);
        c.burst_min = static_cast<int>(uniform(15, 90));
    }
    double total = 0;
    for (auto& p : w.providers) {
        p.share *= log_uniform(0.6, 1.6);
        p.complaints *= log_uniform(0.6, 1.6);
        p.machine_opens = p.machine_opens > 0.5 ? uniform(0.4, 0.9) : uniform(0, 0.15);
        total += p.share;
    }
    for (auto& p : w.providers) {
        p.share /= total;
    }
    w.open = {log_uniform(20, 180) * kMinute, uniform(0.8, 1.8)};
    w.preview_opens = uniform(0, 0.3);
    w.click = uniform(0.05, 0.2);
    w.complaint = {log_uniform(1, 6) * kHour, uniform(1.0, 2.0)};
    w.unsubscribe = {log_uniform(2, 8) * kHour, uniform(1.0, 1.8)};
    w.not_received = {log_uniform(4, 16) * kHour, uniform(0.7, 1.3)};
    return w;
}

constexpr std::int64_t kCopyAfter = 20 * kMinute;  // a duplicated send's copy, after the original

// What one scenario injects, into which campaign's last send.
struct Injected {
    const char* campaign;
    std::vector<std::pair<std::string, json>> expect;  // any of these alerts finds it
    const char* what;
};

Injected injected(const std::string& scenario) {
    if (scenario == "provider_bounce") {
        return {"daily-deals",
                {{"hard_bounce_rate", {{"campaign", "daily-deals"}, {"provider", "outlook.com"}}}},
                "daily-deals' send hard-bounces at outlook.com (12% of its recipients there, "
                "2-3% of the campaign as a whole): a stale segment the provider has closed"};
    }
    if (scenario == "complaint_spike") {
        return {"member-news",
                {{"spam_complaint_rate", {{"campaign", "member-news"}}},
                 {"send_backlash", {{"campaign", "member-news"}}}},
                "member-news goes to a purchased list: 1.2% of its recipients report it as spam, "
                "most within the first hours"};
    }
    if (scenario == "duplicate_send") {
        return {"flash-sale",
                {{"processed", {{"campaign", "flash-sale"}}},
                 {"send_backlash", {{"campaign", "flash-sale"}}},
                 {"unsubscribe_rate", {{"campaign", "flash-sale"}}}},
                "flash-sale's send goes out twice, the copy 20 minutes after the first: 2.5% of "
                "those who get it twice unsubscribe, 0.4% complain"};
    }
    if (scenario == "inbox_placement") {
        return {"flash-sale",
                {{"inbox_silence", {{"campaign", "flash-sale"}, {"provider", "gmail.com"}}},
                 {"spam_folder", {{"campaign", "flash-sale"}, {"provider", "gmail.com"}}}},
                "flash-sale's send lands in gmail.com's spam folder: the ESP still reports it "
                "delivered, a tenth of the usual gmail.com recipients open it, a few say it never "
                "arrived"};
    }
    if (scenario == "send_quiet_fortnight") {
        return {nullptr, {}, ""};
    }
    throw std::invalid_argument("unknown scenario '" + scenario + "'");
}

int weekday_of(std::int64_t t_ms) { return static_cast<int>(((t_ms / kDay) + 4) % 7); }

class SendTraffic {
public:
    SendTraffic(const SimulateOptions& o, std::int64_t start, std::int64_t end)
        : scenario_(o.scenario), inject_(injected(o.scenario)), world_(world_of(o.world)),
          rng_(o.seed * 7919 + 17),
          start_(start), end_(end), outbox_(end), flushed_(start - 2 * kHour) {
        for (std::size_t i = 0; i < world_.campaigns.size(); ++i) {
            Quality q;
            q.hard_bounce = 0.003 + 0.009 * uniform();
            q.complaint = 0.0002 + 0.0005 * uniform();
            q.unsubscribe = 0.0015 + 0.0045 * uniform();
            q.open = 0.12 + 0.23 * uniform();
            quality_.push_back(q);
        }
        // An incident needs a send of its campaign in the stream: where a drawn world's send
        // hour puts none in it (too late on the stream's last sending day), that campaign sends
        // earlier, an hour at a time.
        for (auto& c : world_.campaigns) {
            if (inject_.campaign == nullptr || c.name != std::string_view(inject_.campaign)) {
                continue;
            }
            for (int tries = 0; tries < 24 && incident_start() < 0; ++tries) {
                c.hour = (c.hour + 23) % 24;
            }
        }
    }

    // The start of the incident: the injected campaign's last send that begins at least five
    // hours before the end (so its signals have time to come).
    // When the incident's first affected mail goes out: for a duplicated send, the copy.
    std::int64_t affected_start() const {
        const std::int64_t t = incident_start();
        return scenario_ == "duplicate_send" && t <= end_ ? t + kCopyAfter : t;
    }

    std::int64_t incident_start() const {
        if (inject_.campaign == nullptr) {
            return end_ + 1;
        }
        for (std::size_t i = 0; i < world_.campaigns.size(); ++i) {
            if (inject_.campaign == std::string_view(world_.campaigns[i].name)) {
                std::int64_t last = -1;
                for (std::int64_t day = start_ / kDay * kDay; day < end_; day += kDay) {
                    const std::int64_t t = send_time(world_.campaigns[i], day);
                    if (t >= start_ && t + 5 * kHour <= end_) {
                        last = t;
                    }
                }
                return last;
            }
        }
        return end_ + 1;
    }

    void run(const std::function<void(const SimulatedRequest&)>& emit) {
        const std::int64_t incident = incident_start();
        for (std::int64_t day = start_ / kDay * kDay - kDay; day < end_; day += kDay) {
            for (std::size_t i = 0; i < world_.campaigns.size(); ++i) {
                const auto& c = world_.campaigns[i];
                if (c.hour < 0) {
                    for (int h = 0; h < 24; ++h) {
                        send(i, day + h * kHour, 1.0 / 24, false, false);
                    }
                    continue;
                }
                const std::int64_t t = send_time(c, day);
                if (t < 0 || t < start_ - kHour) {
                    continue;
                }
                const bool hit = t == incident;
                send(i, t, 1.0, hit, false);
                if (hit && scenario_ == "duplicate_send") {
                    send(i, t + kCopyAfter, 1.0, true, true);
                }
            }
            flush_until(day + kDay, emit);
        }
        flush_until(end_, emit);
    }

private:
    struct Quality {
        double hard_bounce, complaint, unsubscribe, open;
    };

    double uniform() { return std::uniform_real_distribution<double>(0, 1)(rng_); }
    bool chance(double p) { return uniform() < p; }
    double lognormal(double median_ms, double sigma) {
        return median_ms * std::exp(sigma * std::normal_distribution<double>(0, 1)(rng_));
    }
    std::int64_t after(const Trail& trail) {
        return static_cast<std::int64_t>(lognormal(trail.median_ms, trail.sigma));
    }
    int poisson(double mean) { return mean <= 0 ? 0 : std::poisson_distribution<int>(mean)(rng_); }

    // When campaign `c` sends on the UTC day starting at `day`: -1 if not on that day.
    std::int64_t send_time(const SendCampaign& c, std::int64_t day) const {
        const std::int64_t local = day + (c.hour * 60 + c.minute - c.utc_offset_min) * kMinute;
        const int weekday = weekday_of(local + c.utc_offset_min * kMinute);
        if (c.hour < 0 || ((c.days >> weekday) & 1U) == 0) {
            return -1;
        }
        // The scheduled local time, moved into the UTC day it falls on.
        const std::int64_t t = (local % kDay + kDay) % kDay + day;
        return t;
    }

    const SendProvider& provider_of(const std::string& domain) const {
        for (const auto& p : world_.providers) {
            if (p.domain == nullptr || domain == p.domain) {
                return p;
            }
        }
        return world_.providers[0];
    }

    const SendProvider& pick_provider(std::string& domain) {
        double pick = uniform();
        for (const auto& p : world_.providers) {
            if (pick < p.share || p.domain == nullptr) {
                domain = p.domain != nullptr
                             ? p.domain
                             : "company" + std::to_string(1 + rng_() % kCompanyDomains) + ".example";
                return p;
            }
            pick -= p.share;
        }
        domain = world_.providers[0].domain;
        return world_.providers[0];
    }

    // One send of campaign `ci` starting at `t`: its audience, delivered over its burst, each
    // recipient's signals trailing.
    void send(std::size_t ci, std::int64_t t, double share, bool incident, bool duplicate) {
        const auto& c = world_.campaigns[ci];
        const double weeks = static_cast<double>(t - start_) / (7 * kDay);
        const int n = duplicate ? static_cast<int>(audience_.size())
                                : poisson(c.audience * share * std::pow(1 + c.weekly_growth, weeks));
        // Every send differs a little: content, segment, time of day; its subject line makes
        // more or fewer people open it.
        const double mood = std::exp(0.3 * std::normal_distribution<double>(0, 1)(rng_));
        appeal_ = std::exp(0.2 * std::normal_distribution<double>(0, 1)(rng_));
        for (int i = 0; i < n; ++i) {
            // The ESP ramps up and tails off: more recipients early in the burst.
            const double u = uniform();
            const std::int64_t at = t + static_cast<std::int64_t>(u * u * c.burst_min * kMinute);
            recipient(ci, at, mood, incident, duplicate, i);
        }
    }

    void recipient(std::size_t ci, std::int64_t at, double mood, bool incident, bool duplicate,
                   int index) {
        const Quality& q = quality_[ci];
        std::string domain;
        const SendProvider* p = &pick_provider(domain);
        std::string address = "r" + std::to_string(index) + "-" + std::to_string(ci) + "-" +
                              std::to_string(rng_() % 100'000) + "@" + domain;
        if (duplicate) {
            // The copy goes to the same people as the incident's send.
            std::tie(address, domain) = audience_[static_cast<std::size_t>(index)];
            p = &provider_of(domain);
        } else if (incident) {
            audience_.emplace_back(address, domain);
        }
        const std::string message = "m" + std::to_string(++messages_);
        Mail m{ci, address, message, domain};
        emit_event(m, at, "processed");
        double hard = q.hard_bounce * std::exp(0.3 * std::normal_distribution<double>(0, 1)(rng_));
        if (incident && scenario_ == "provider_bounce" && domain == "outlook.com") {
            hard = 0.12;
        }
        if (chance(hard)) {
            // Most bounce during the SMTP session; some come back later as a bounce message.
            const bool later = chance(0.15);
            emit_event(m, at + (later ? static_cast<std::int64_t>(lognormal(40 * kMinute, 1.2))
                                      : 2000 + static_cast<std::int64_t>(uniform() * 20'000)),
                       "bounce");
            return;
        }
        std::int64_t delivered = at + 1000 + static_cast<std::int64_t>(uniform() * 25'000);
        if (chance(0.01)) {
            emit_event(m, at + 2000, "deferred");
            delivered += static_cast<std::int64_t>(lognormal(15 * kMinute, 0.8));
        }
        emit_event(m, delivered, "delivered");
        double open = std::min(0.9, q.open * appeal_);
        // Spam-foldered at one provider: few see it, fewer complain, some ask where it went.
        const bool foldered = incident && scenario_ == "inbox_placement" && domain == "gmail.com";
        double not_received = 0.00005;
        Trail complaint_trail = world_.complaint;
        Trail unsubscribe_trail = world_.unsubscribe;
        if (foldered) {
            open *= 0.1;
            not_received = 0.002;
        }
        double complaint = q.complaint * mood * p->complaints * (foldered ? 0.2 : 1.0);
        double unsubscribe = q.unsubscribe * mood;
        if (incident && scenario_ == "complaint_spike") {
            complaint = 0.012 * p->complaints / 0.9;
            complaint_trail.median_ms = 45 * kMinute;
        }
        if (duplicate) {
            complaint = 0.004;
            unsubscribe = 0.025;
            complaint_trail.median_ms = unsubscribe_trail.median_ms = 30 * kMinute;
        }
        if (chance(open)) {
            const bool machine = chance(p->machine_opens);
            const bool preview = !machine && world_.preview_opens > 0 && chance(world_.preview_opens);
            const auto opened =
                delivered +
                static_cast<std::int64_t>(machine   ? uniform() * 5 * kMinute
                                          : preview ? uniform() * 2 * kMinute
                                                    : lognormal(world_.open.median_ms,
                                                                world_.open.sigma));
            emit_event(m, opened, "open");
            if (!machine && chance(world_.click)) {
                emit_event(m, opened + static_cast<std::int64_t>(lognormal(kMinute, 1.0)), "click");
            }
        }
        if (chance(complaint)) {
            emit_event(m, delivered + after(complaint_trail), "complaint");
        }
        if (chance(unsubscribe)) {
            emit_event(m, delivered + after(unsubscribe_trail), "unsubscribe");
        }
        if (chance(not_received)) {  // "it never arrived", though it did (spam folder, filters)
            ticket(m, delivered + after(world_.not_received), "not_received");
        }
        if (chance(0.0001)) {
            ticket(m, delivered + static_cast<std::int64_t>(lognormal(10 * kHour, 1.0)), "question");
        }
    }

    struct Mail {
        std::size_t campaign;
        std::string address;
        std::string message;
        std::string domain;
    };

    void emit_event(const Mail& m, std::int64_t t, const std::string& what) {
        const auto& c = world_.campaigns[m.campaign];
        switch (c.esp) {
            case Esp::kSendgrid: return sendgrid(m, t, what);
            case Esp::kMailgun: return mailgun(m, t, what);
            case Esp::kSes: return ses(m, t, what);
            case Esp::kPostmark: return postmark(m, t, what);
        }
    }

    void sendgrid(const Mail& m, std::int64_t t, const std::string& what) {
        static const std::map<std::string, std::string> kEvent = {
            {"processed", "processed"}, {"delivered", "delivered"}, {"deferred", "deferred"},
            {"bounce", "bounce"},       {"open", "open"},           {"click", "click"},
            {"complaint", "spamreport"}, {"unsubscribe", "unsubscribe"}};
        json e = {{"email", m.address},
                  {"timestamp", t / 1000},
                  {"event", kEvent.at(what)},
                  {"sg_event_id", "ev" + std::to_string(++events_)},
                  // The filter server's id differs between a message's events.
                  {"sg_message_id", m.message + ".filter" + std::to_string(rng_() % 9000) + ".0"},
                  {"category", json::array({world_.campaigns[m.campaign].name})}};
        if (what == "bounce") {
            e["type"] = "bounce";
            e["reason"] = "550 5.1.1 mailbox unavailable";
        }
        outbox_.add(t, "sendgrid", Outbox::Delivery::kArray, e.dump());
    }

    void mailgun(const Mail& m, std::int64_t t, const std::string& what) {
        static const std::map<std::string, std::string> kEvent = {
            {"processed", "accepted"}, {"delivered", "delivered"}, {"deferred", "failed"},
            {"bounce", "failed"},      {"open", "opened"},         {"click", "clicked"},
            {"complaint", "complained"}, {"unsubscribe", "unsubscribed"}};
        json data = {{"event", kEvent.at(what)},
                     {"id", "ev" + std::to_string(++events_)},
                     {"timestamp", static_cast<double>(t) / 1000.0},
                     {"recipient", m.address},
                     {"message", {{"headers", {{"message-id", m.message + "@mg.sender.example"}}}}},
                     {"user-variables", {{"campaign", world_.campaigns[m.campaign].name}}}};
        if (what == "deferred") {
            data["severity"] = "temporary";
        } else if (what == "bounce") {
            data["severity"] = "permanent";
        }
        outbox_.add(t, "mailgun", Outbox::Delivery::kOnePerRequest,
                    json{{"event-data", data}}.dump());
    }

    void ses(const Mail& m, std::int64_t t, const std::string& what) {
        static const std::map<std::string, std::string> kEvent = {
            {"processed", "Send"},  {"delivered", "Delivery"}, {"deferred", "DeliveryDelay"},
            {"bounce", "Bounce"},   {"open", "Open"},          {"click", "Click"},
            {"complaint", "Complaint"}, {"unsubscribe", "Subscription"}};
        const std::string type = kEvent.at(what);
        json n = {{"eventType", type},
                  {"mail",
                   {{"timestamp", core::format_rfc3339_ms(t)},
                    {"messageId", m.message + "-000000"},
                    {"destination", json::array({m.address})},
                    {"tags", {{"campaign", json::array({world_.campaigns[m.campaign].name})}}}}}};
        const std::string stamp = core::format_rfc3339_ms(t);
        if (what == "bounce") {
            n["bounce"] = {{"bounceType", "Permanent"},
                           {"timestamp", stamp},
                           {"bouncedRecipients", json::array({{{"emailAddress", m.address}}})}};
        } else if (what == "complaint") {
            n["complaint"] = {{"timestamp", stamp},
                              {"complainedRecipients", json::array({{{"emailAddress", m.address}}})}};
        } else if (what == "delivered") {
            n["delivery"] = {{"timestamp", stamp}, {"recipients", json::array({m.address})}};
        } else if (what == "open") {
            n["open"] = {{"timestamp", stamp}};
        } else if (what == "click") {
            n["click"] = {{"timestamp", stamp}};
        } else if (what == "processed") {
            n["send"] = json::object();
        } else {
            return;  // SES reports delays and list unsubscribes elsewhere
        }
        json envelope = {{"Type", "Notification"},
                         {"MessageId", "sns-" + std::to_string(++events_)},
                         {"TopicArn", "arn:aws:sns:us-east-1:111122223333:ses-events"},
                         {"Message", n.dump()},
                         {"Timestamp", stamp}};
        outbox_.add(t, "ses", Outbox::Delivery::kOnePerRequest, envelope.dump());
    }

    void postmark(const Mail& m, std::int64_t t, const std::string& what) {
        const std::string stamp = core::format_rfc3339_ms(t);
        json r = {{"MessageID", m.message}, {"Metadata", {{"campaign", world_.campaigns[m.campaign].name}}}};
        if (what == "delivered") {
            r.update({{"RecordType", "Delivery"}, {"Recipient", m.address}, {"DeliveredAt", stamp}});
        } else if (what == "bounce") {
            r.update({{"RecordType", "Bounce"}, {"TypeCode", 1}, {"Email", m.address},
                      {"BouncedAt", stamp}, {"ID", static_cast<long long>(++events_)}});
        } else if (what == "complaint") {
            r.update({{"RecordType", "SpamComplaint"}, {"Email", m.address}, {"BouncedAt", stamp}});
        } else if (what == "open") {
            r.update({{"RecordType", "Open"}, {"Recipient", m.address}, {"ReceivedAt", stamp}});
        } else if (what == "click") {
            r.update({{"RecordType", "Click"}, {"Recipient", m.address}, {"ReceivedAt", stamp}});
        } else if (what == "unsubscribe") {
            r.update({{"RecordType", "SubscriptionChange"}, {"Recipient", m.address},
                      {"ChangedAt", stamp}, {"SuppressSending", true}});
        } else {
            return;  // Postmark reports no separate processed or deferral event
        }
        outbox_.add(t, "postmark", Outbox::Delivery::kOnePerRequest, r.dump());
    }

    void ticket(const Mail& m, std::int64_t t, const char* topic) {
        outbox_.add(t, "zendesk", Outbox::Delivery::kOnePerRequest,
                    json{{"ticket",
                          {{"id", std::to_string(++tickets_)},
                           {"created_at", core::format_rfc3339_ms(t)},
                           {"tags", std::string("campaign_") + world_.campaigns[m.campaign].name +
                                        " topic_" + topic},
                           {"requester_email", m.address},
                           {"channel", "email"}}}}
                        .dump());
    }

    void flush_until(std::int64_t until, const std::function<void(const SimulatedRequest&)>& emit) {
        for (; flushed_ < std::min(until, end_); ) {
            flushed_ = std::min(flushed_ + kMinute, end_);
            outbox_.flush(flushed_, emit);
        }
    }

    std::string scenario_;
    Injected inject_;
    World world_;
    std::mt19937_64 rng_;
    std::int64_t start_;
    std::int64_t end_;
    Outbox outbox_;
    std::vector<Quality> quality_;
    std::int64_t flushed_;
    std::uint64_t messages_ = 0;
    std::vector<std::pair<std::string, std::string>> audience_;  // the incident send's (address, domain)
    double appeal_ = 1;  // how readily the current send is opened
    std::uint64_t events_ = 0;
    std::uint64_t tickets_ = 0;
};

}  // namespace

const std::vector<std::string>& send_scenarios() {
    static const std::vector<std::string> kScenarios = {"send_quiet_fortnight", "provider_bounce",
                                                        "complaint_spike", "duplicate_send",
                                                        "inbox_placement"};
    return kScenarios;
}

bool is_send_scenario(const std::string& scenario) {
    for (const auto& s : send_scenarios()) {
        if (s == scenario) {
            return true;
        }
    }
    return false;
}

json send_truth(const SimulateOptions& options, std::int64_t start_ms, std::int64_t end_ms) {
    const Injected inj = injected(options.scenario);
    json truth = {{"scenario", options.scenario},
                  {"world", options.world},
                  {"start", core::format_rfc3339_ms(start_ms)},
                  {"end", core::format_rfc3339_ms(end_ms)},
                  {"incidents", json::array()}};
    if (inj.campaign != nullptr) {
        const std::int64_t at = SendTraffic(options, start_ms, end_ms).affected_start();
        json expect = json::array();
        for (const auto& [metric, labels] : inj.expect) {
            expect.push_back({{"metric", metric}, {"labels", labels}});
        }
        truth["incidents"].push_back({{"what", inj.what},
                                      {"start", core::format_rfc3339_ms(at)},
                                      {"start_ms", at},
                                      {"end", core::format_rfc3339_ms(end_ms)},
                                      {"expect", expect.front()},
                                      {"expect_any", expect}});
    }
    return truth;
}

void simulate_sends(const SimulateOptions& options, std::int64_t start_ms, std::int64_t end_ms,
                    const std::function<void(const SimulatedRequest&)>& emit) {
    SendTraffic traffic(options, start_ms, end_ms);
    traffic.run(emit);
}

}  // namespace terrain::monitor
