// terrain against Debian's real Prometheus and Alertmanager: every dashboard panel's query
// returns data from a Prometheus that scraped a terrain fed a simulated scenario, the shipped
// Prometheus files pass promtool, and Alertmanager receives terrain's forwarded alerts and
// feeds its own webhook back into terrain.
#include <gtest/gtest.h>
#include <httplib.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>

#include "core/duration.h"
#include "core/signature.h"
#include "tests/support/builders.h"
#include "tests/support/process.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/traffic.h"

namespace terrain {
namespace {

using nlohmann::json;
using testing::eventually;
using testing::Process;
using testing::Service;
using testing::Traffic;

const std::string kSource = TERRAIN_SOURCE_DIR;

std::string default_config() {
    auto [status, yaml] = testing::run_command(std::string(TERRAIN_BINARY) + " default-config", "");
    EXPECT_EQ(status, 0);
    return yaml;
}

std::int64_t hours_ago_s(int hours) {
    const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                         std::chrono::system_clock::now().time_since_epoch())
                         .count();
    return (now - hours * 3600) / 300 * 300;
}

// An hour of SendGrid traffic for two campaigns: spring-sale gets 0.5% spam complaints at
// gmail.com (Gmail's limit is 0.3%); newsletter is processed, delivered, bounced, deferred and
// unsubscribed from at ordinary rates. Then a retried batch, a malformed request and an
// Alertmanager notification.
void feed_scenario(httplib::Client& c, Traffic& traffic) {
    json first;
    for (int m = 0; m < 60; ++m) {
        json batch = traffic.minute(m, 200, 100, 1);
        for (int i = 0; i < 60; ++i) {
            const std::string who = "n" + std::to_string(i) + (i % 2 ? "@gmail.com" : "@yahoo.com");
            batch.push_back(traffic.event("processed", who, m, i, "newsletter"));
            batch.push_back(traffic.event(i == 7 ? "deferred" : "delivered", who, m, i, "newsletter"));
        }
        batch.push_back(traffic.event("unsubscribe", "n3@gmail.com", m, 50, "newsletter"));
        json bounce = traffic.event("bounce", "gone@yahoo.com", m, 40, "newsletter");
        bounce["type"] = "bounce";
        batch.push_back(bounce);
        if (m == 0) {
            first = batch;
        }
        testing::post_json(c, "/ingest/sendgrid", batch.dump());
    }
    // An hour of a contact centre's contact trace records (two lines of business): half the
    // calls self-served, the rest with an agent; every fifth caller calls back a minute later.
    for (int m = 0; m < 60; ++m) {
        json records = json::array();
        for (int i = 0; i < 5; ++i) {
            const bool back = i == 4 && m > 0;
            const std::string caller = "+1555000" + std::to_string(1000 + (back ? (m - 1) * 5 : m * 5 + i));
            const bool self_served = i % 2 == 0;
            json ctr = {{"ContactId", "ctr-" + std::to_string(m) + "-" + std::to_string(i)},
                        {"Channel", "VOICE"},
                        {"DisconnectTimestamp", core::format_rfc3339_ms((traffic.t0_s + m * 60 + i) * 1000)},
                        {"CustomerEndpoint", {{"Address", caller}, {"Type", "TELEPHONE_NUMBER"}}},
                        {"Attributes", {{"line_of_business", i % 3 == 0 ? "orders" : "billing"}}},
                        {"Queue", self_served ? json(nullptr) : json{{"Name", "support"}}},
                        {"Agent", self_served ? json(nullptr) : json{{"Username", "a"}}}};
            records.push_back({{"data", core::base64_encode(ctr.dump())}});
        }
        testing::post_json(c, "/ingest/connect_ctr",
                           json{{"requestId", "r" + std::to_string(m)}, {"timestamp", 1}, {"records", records}}.dump());
    }
    testing::post_json(c, "/ingest/sendgrid", first.dump());     // a retry: duplicates
    testing::post_json(c, "/ingest/sendgrid", "[{\"event\":", 400);  // truncated JSON
    json alert = {{"status", "firing"},
                  {"labels", {{"alertname", "EspWebhookErrors"}, {"provider", "gmail.com"}}},
                  {"annotations", json::object()},
                  {"startsAt", core::format_rfc3339_ms(traffic.t0_s * 1000 + 600'000)},
                  {"endsAt", "0001-01-01T00:00:00Z"},
                  {"fingerprint", "00aa11bb22cc33dd"}};
    json am = {
        {"version", "4"},
        {"status", "firing"},
        {"receiver", "terrain"},
        {"groupLabels", json::object()},
        {"commonLabels", json::object()},
        {"commonAnnotations", json::object()},
        {"externalURL", "http://alertmanager.example"},
        {"alerts", json::array()}};
    am["alerts"].push_back(alert);
    testing::post_json(c, "/ingest/alertmanager", am.dump());
}

json spam_alert(httplib::Client& c) {
    auto r = c.Get("/api/v1/alerts");
    if (!r || r->status != 200) {
        return nullptr;
    }
    const json doc = json::parse(r->body);
    for (const auto& a : doc["alerts"]) {
        if (a["metric"] == "spam_complaint_rate") {
            return a;
        }
    }
    return nullptr;
}

void act(httplib::Client& c, const std::string& id, json body) {
    body["by"] = "alice";
    auto r = c.Post("/api/v1/alerts/" + id + "/actions", body.dump(), "application/json");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
}

// A client for a Prometheus-family server on `port`, once its /-/ready answers 200.
std::unique_ptr<httplib::Client> ready_client(std::uint16_t port, const std::string& name,
                                              const std::string& log) {
    auto client = std::make_unique<httplib::Client>("127.0.0.1", port);
    if (!eventually([&] {
            auto r = client->Get("/-/ready");
            return r && r->status == 200;
        })) {
        throw std::runtime_error(name + " did not become ready; see " + log);
    }
    return client;
}

// Debian's Prometheus, scraping terrain every second and evaluating terrain's shipped rules.
class Prometheus final {
public:
    Prometheus(const testing::TempDir& dir, std::uint16_t terrain_port)
        : port_(testing::free_port()) {
        const std::string config = dir.file("prometheus.yml");
        std::ofstream(config) << "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
                              << "rule_files:\n  - " << kSource
                              << "/dashboards/prometheus/terrain-rules.yml\n"
                              << "scrape_configs:\n  - job_name: terrain\n    static_configs:\n"
                              << "      - targets: ['127.0.0.1:" << terrain_port << "']\n";
        process_ = std::make_unique<Process>(
            std::vector<std::string>{"/usr/bin/prometheus", "--config.file=" + config,
                                     "--storage.tsdb.path=" + dir.file("tsdb"),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_)},
            dir.file("prometheus.log"));
        client_ = ready_client(port_, "prometheus", dir.file("prometheus.log"));
    }

    // The result vector of an instant query (throws on a query error, naming the query).
    json query(const std::string& promql) {
        auto r = client_->Get("/api/v1/query", httplib::Params{{"query", promql}},
                              httplib::Headers{});
        if (!r) {
            throw std::runtime_error("prometheus did not answer");
        }
        auto doc = json::parse(r->body);
        if (doc["status"] != "success") {
            throw std::runtime_error("query failed: " + promql + ": " + r->body);
        }
        return doc["data"]["result"];
    }

    std::vector<std::string> label_values(const std::string& label, const std::string& match) {
        auto r = client_->Get("/api/v1/label/" + label + "/values",
                              httplib::Params{{"match[]", match}}, httplib::Headers{});
        std::vector<std::string> out;
        if (r && r->status == 200) {
            const json doc = json::parse(r->body);
            for (const auto& v : doc["data"]) {
                out.push_back(v.get<std::string>());
            }
        }
        return out;
    }

    json rules() { return json::parse(client_->Get("/api/v1/rules")->body)["data"]["groups"]; }

private:
    std::uint16_t port_;
    std::unique_ptr<Process> process_;
    std::unique_ptr<httplib::Client> client_;
};

struct PanelQuery {
    std::string dashboard;
    std::string panel;
    std::string expr;
};

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t pos = 0; (pos = s.find(from, pos)) != std::string::npos; pos += to.size()) {
        s.replace(pos, from.size(), to);
    }
    return s;
}

// Every panel query of every dashboard, with its template variables resolved the way Grafana
// resolves them: each variable's label_values() query is asked of Prometheus (after the
// variables before it are substituted); its saved value is kept ("All", or a value Prometheus
// offers), else the first value is taken, or "All" when there is none.
std::vector<PanelQuery> dashboard_queries(Prometheus& prom) {
    std::vector<PanelQuery> out;
    static const std::regex kLabelValues(R"(label_values\((.*),\s*([a-zA-Z_]+)\)\s*)");
    for (const auto& entry :
         std::filesystem::directory_iterator(kSource + "/dashboards/grafana")) {
        const auto doc = json::parse(testing::read_file(entry.path().string()));
        const std::string title = doc.at("title");
        std::vector<std::pair<std::string, std::string>> vars = {
            {"$__rate_interval", "15s"}, {"$__range", "5m"}, {"$__interval", "5s"}};
        for (const auto& v : doc.at("templating").at("list")) {
            if (v.at("type") == "datasource") {
                continue;
            }
            std::string q = v.at("query").at("query");
            for (const auto& [name, value] : vars) {
                q = replace_all(q, name, value);
            }
            std::smatch m;
            if (!std::regex_match(q, m, kLabelValues)) {
                ADD_FAILURE() << title << ": variable " << v["name"] << " query '" << q
                              << "' is not label_values(selector, label)";
                continue;
            }
            auto values = prom.label_values(m[2], m[1]);
            std::string value;
            const std::string saved = v.value("current", json::object()).value("value", "");
            if (saved == "$__all" && v.value("includeAll", false)) {
                value = v.value("allValue", ".*");  // saved as "All"
            } else if (std::find(values.begin(), values.end(), saved) != values.end()) {
                value = saved;  // the dashboard's saved choice, as Grafana keeps it
            } else if (!values.empty()) {
                value = values.front();
            } else if (v.value("includeAll", false)) {
                value = v.value("allValue", ".*");
            } else {
                ADD_FAILURE() << title << ": variable " << v["name"] << " has no values ("
                              << q << ")";
            }
            vars.emplace_back("$" + v.at("name").get<std::string>(), value);
        }
        // Longer names first, so $metric does not eat part of $metrics.
        std::sort(vars.begin(), vars.end(),
                  [](const auto& a, const auto& b) { return a.first.size() > b.first.size(); });
        for (const auto& p : doc.at("panels")) {
            for (const auto& t : p.at("targets")) {
                std::string expr = t.at("expr");
                for (const auto& [name, value] : vars) {
                    expr = replace_all(expr, name, value);
                }
                EXPECT_EQ(expr.find('$'), std::string::npos) << title << ": " << expr;
                out.push_back({title, p.at("title"), expr});
            }
        }
    }
    return out;
}

TEST(PrometheusTest, EveryDashboardPanelQueryReturnsData) {
    testing::TempDir dir;
    Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    Prometheus prom(dir, svc.port());

    Traffic traffic{hours_ago_s(48)};
    feed_scenario(c, traffic);
    json alert;
    ASSERT_TRUE(eventually([&] { return !(alert = spam_alert(c)).is_null(); })) << svc.read_log();
    const std::string id = alert["id"];
    // Prometheus has scraped the counters at zero before anyone acts (they are born at zero).
    ASSERT_TRUE(eventually([&] {
        return !prom.query(R"(terrain_actions_total{action="acknowledge",result="done"})").empty();
    }));
    // A snooze the menu does not offer is refused, one it offers is done.
    auto refused = c.Post("/api/v1/alerts/" + id + "/actions",
                          R"({"action":"snooze","for":"2h","by":"alice"})", "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400) << refused->body;
    EXPECT_NE(refused->body.find("1h, 4h, 1d"), std::string::npos) << refused->body;
    act(c, id, {{"action", "snooze"}, {"for", "4h"}});
    act(c, id, {{"action", "acknowledge"}});
    act(c, id, {{"action", "confirm"}, {"reason", "customers wrote in"}});

    // One acknowledgement and one verdict read as 1 in increase() over five minutes, and the
    // time-to-acknowledge quantile is a number.
    auto scalar = [&](const std::string& q) {
        const auto r = prom.query(q);
        return r.empty() ? std::nan("") : std::stod(r[0]["value"][1].get<std::string>());
    };
    const std::string acks =
        R"(sum(round(increase(terrain_actions_total{action="acknowledge",result="done"}[5m]))))";
    const std::string verdicts =
        R"(sum(round(increase(terrain_feedback_total{verdict="confirmed"}[5m]))))";
    const std::string p50 =
        "histogram_quantile(0.5, sum by (le) "
        "(increase(terrain_alert_time_to_acknowledge_seconds_bucket[5m])))";
    EXPECT_TRUE(eventually([&] {
        return scalar(acks) == 1 && scalar(verdicts) == 1 && std::isfinite(scalar(p50));
    }))
        << acks << " = " << scalar(acks) << "; " << verdicts << " = " << scalar(verdicts) << "; "
        << p50 << " = " << scalar(p50);

    act(c, id, {{"action", "not_a_problem"}, {"reason", "seed list, not customers"}});
    // Prometheus has scraped the end of the scenario.
    ASSERT_TRUE(eventually(
        [&] { return !prom.query(R"(terrain_feedback_total{verdict="not_a_problem"})").empty(); }));

    // Every metric a dashboard names is one terrain exports.
    const std::string exposition = c.Get("/metrics")->body;
    auto queries = dashboard_queries(prom);
    ASSERT_GE(queries.size(), 25U);
    static const std::regex kMetric(R"(\bterrain_[a-z_]+)");
    for (const auto& q : queries) {
        for (std::sregex_iterator it(q.expr.begin(), q.expr.end(), kMetric), end; it != end;
             ++it) {
            const std::string name = std::regex_replace(it->str(), std::regex("_bucket$"), "");
            EXPECT_NE(exposition.find("\n" + name), std::string::npos)
                << q.dashboard << " / " << q.panel << " names " << name
                << ", which terrain does not export";
        }
    }

    // Each query returns data once Prometheus has scraped the scenario (rates need two samples
    // after a change, so this waits for scrapes; it asserts no timing).
    std::set<std::string> empty;
    eventually(
        [&] {
            empty.clear();
            for (const auto& q : queries) {
                if (prom.query(q.expr).empty()) {
                    empty.insert(q.dashboard + " / " + q.panel + ": " + q.expr);
                }
            }
            return empty.empty();
        },
        std::chrono::seconds(60));
    for (const auto& e : empty) {
        ADD_FAILURE() << "no data for " << e;
    }

    // The recording rules produce series, and no shipped rule fails to evaluate.
    const auto rules = YAML::LoadFile(kSource + "/dashboards/prometheus/terrain-rules.yml");
    int recorded = 0;
    for (const auto& group : rules["groups"]) {
        for (const auto& rule : group["rules"]) {
            if (rule["record"]) {
                const auto name = rule["record"].as<std::string>();
                EXPECT_TRUE(eventually([&] { return !prom.query(name).empty(); },
                                       std::chrono::seconds(30)))
                    << "recording rule " << name << " produced nothing";
                ++recorded;
            }
        }
    }
    EXPECT_GE(recorded, 5);
    int evaluated = 0;
    for (const auto& g : prom.rules()) {
        for (const auto& r : g["rules"]) {
            EXPECT_EQ(r.value("health", ""), "ok") << r.dump();
            ++evaluated;
        }
    }
    EXPECT_GE(evaluated, 10);
}

TEST(PrometheusTest, ShippedConfigAndRulesPassPromtool) {
    auto [config_status, config_out] = testing::run_command(
        "promtool check config " + kSource + "/dashboards/prometheus/prometheus.yml", "");
    EXPECT_EQ(config_status, 0) << config_out;
    auto [rules_status, rules_out] = testing::run_command(
        "promtool check rules " + kSource + "/dashboards/prometheus/terrain-rules.yml", "");
    EXPECT_EQ(rules_status, 0) << rules_out;
    EXPECT_NE(rules_out.find("SUCCESS"), std::string::npos) << rules_out;
}

// Debian's Alertmanager, routing everything to terrain's /ingest/alertmanager.
class Alertmanager final {
public:
    explicit Alertmanager(std::uint16_t port) : port_(port) {}

    void start(const testing::TempDir& dir, const std::string& webhook_url) {
        const std::string config = dir.file("alertmanager.yml");
        std::ofstream(config) << "route:\n  receiver: terrain\n  group_by: [alertname]\n"
                              << "  group_wait: 1s\n  group_interval: 1s\n"
                              << "  repeat_interval: 1h\n"
                              << "receivers:\n  - name: terrain\n    webhook_configs:\n"
                              << "      - url: " << webhook_url << "\n"
                              << "        send_resolved: true\n";
        process_ = std::make_unique<Process>(
            std::vector<std::string>{"/usr/bin/prometheus-alertmanager",
                                     "--config.file=" + config,
                                     "--storage.path=" + dir.file("am"),
                                     "--web.listen-address=127.0.0.1:" + std::to_string(port_),
                                     "--cluster.listen-address="},
            dir.file("alertmanager.log"));
        client_ = ready_client(port_, "alertmanager", dir.file("alertmanager.log"));
    }

    // Alerts Alertmanager holds as active (not resolved), from terrain.
    json terrain_alerts() {
        auto r = client_->Get("/api/v2/alerts", httplib::Params{{"filter", "source=\"terrain\""}},
                              httplib::Headers{});
        return r && r->status == 200 ? json::parse(r->body) : json::array();
    }

    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

private:
    std::uint16_t port_;
    std::unique_ptr<Process> process_;
    std::unique_ptr<httplib::Client> client_;
};

double counter(httplib::Client& c, const std::string& series) {
    const std::string body = c.Get("/metrics")->body;
    auto pos = body.find("\n" + series + " ");
    return pos == std::string::npos ? 0 : std::stod(body.substr(pos + series.size() + 2));
}

TEST(AlertmanagerTest, ReceivesForwardedAlertsAndFeedsItsWebhookBack) {
    testing::TempDir dir;
    Alertmanager am(testing::free_port());
    const std::string config = dir.file("terrain.yaml");
    std::ofstream(config) << default_config() << "  - name: alertmanager\n"
                          << "    type: alertmanager\n    url: " << am.url() << "\n"
                          << "    initial_backoff: 100ms\n";
    Service svc({"--config", config, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    am.start(dir, "http://127.0.0.1:" + std::to_string(svc.port()) + "/ingest/alertmanager");

    // The last hour: Alertmanager stamps its notifications with the wall clock, so the traffic
    // is recent too (event time is shared by every source).
    Traffic traffic{hours_ago_s(1)};
    for (int m = 0; m < 60; ++m) {
        testing::post_json(c, "/ingest/sendgrid", traffic.minute(m, 200, 100, 1).dump());
    }
    json alert;
    ASSERT_TRUE(eventually([&] { return !(alert = spam_alert(c)).is_null(); })) << svc.read_log();

    // Alertmanager holds terrain's alert with its labels and evidence.
    json held;
    ASSERT_TRUE(eventually([&] {
        for (const auto& a : am.terrain_alerts()) {
            if (a["annotations"].value("terrain_alert_id", "") == alert["id"]) {
                held = a;
                return true;
            }
        }
        return false;
    })) << svc.read_log();
    EXPECT_EQ(held["labels"]["alertname"], "spam_complaint_rate");
    EXPECT_EQ(held["labels"]["provider"], "gmail.com");
    EXPECT_EQ(held["labels"]["campaign"], "spring-sale");
    EXPECT_EQ(held["labels"]["severity"], "critical");
    EXPECT_EQ(held["labels"]["team"], "customer-care");
    EXPECT_EQ(held["status"]["state"], "active");
    EXPECT_NE(held["annotations"]["summary"].get<std::string>().find("spam_complaint_rate"),
              std::string::npos);

    // Alertmanager's webhook brings it back to terrain as an event.
    const std::string accepted =
        R"(terrain_events_received_total{result="accepted",source="alertmanager"})";
    ASSERT_TRUE(eventually([&] { return counter(c, accepted) >= 1; })) << svc.read_log();

    // A person acknowledges in terrain: Alertmanager's copy says who.
    act(c, alert["id"], {{"action", "acknowledge"}});
    ASSERT_TRUE(eventually([&] {
        for (const auto& a : am.terrain_alerts()) {
            if (a["annotations"].value("acknowledged_by", "") == "alice") {
                return true;
            }
        }
        return false;
    }));

    // Resolved in terrain: resolved in Alertmanager, whose resolved notification comes back.
    act(c, alert["id"], {{"action", "resolve"}});
    ASSERT_TRUE(eventually([&] { return am.terrain_alerts().empty(); }))
        << am.terrain_alerts().dump(2);
    ASSERT_TRUE(eventually([&] { return counter(c, accepted) >= 2; })) << svc.read_log();
    EXPECT_EQ(counter(c, R"(terrain_notifications_total{receiver="alertmanager",result="failed"})"),
              0);
}

}  // namespace
}  // namespace terrain
