// `terrain backtest` on SendGrid webhook dumps the test generates: three days of mail for two
// mailbox providers, with two incidents injected on the third day. The report must exist,
// name every alerting series, and chart the alert spans over the incidents.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>

#include "monitor/default_config.h"
#include "monitor/backtest.h"
#include "tests/support/service.h"
#include "monitor/simulate.h"
#include "core/duration.h"
#include "tests/support/builders.h"
#include "tests/support/temp_dir.h"
#include "tests/support/traffic.h"

namespace terrain {
namespace {

constexpr std::int64_t kDay0 = 1'794'787'200;  // 2026-11-16T00:00:00Z

TEST(BacktestTest, ReportNamesEveryAlertingSeriesAndChartsItsAlertSpans) {
    testing::TempDir dir;
    const std::string events = dir.file("sendgrid.ndjson");
    {
        std::ofstream out(events);
        testing::Traffic traffic{kDay0};
        for (int m = 0; m < 3 * 24 * 60; ++m) {
            const int hour = m / 60;
            // Day 3: complaints at gmail from 13:00 to 16:00, and a runaway send to yahoo at 18:00.
            const bool complaints = hour >= 48 + 13 && hour < 48 + 16;
            const bool runaway = hour == 48 + 18;
            out << traffic.minute(m, 10, runaway ? 60 : 5, complaints ? 1 : (m % 120 == 0 ? 1 : 0))
                       .dump()
                << "\n";
        }
    }
    const std::string config = dir.file("config.yaml");
    std::ofstream(config) << R"(
metrics:
  - name: complaint_rate
    aggregate: ratio
    numerator: {kind: email.complaint}
    denominator: {kind: email.delivered}
    group_by: [campaign, provider]
    window: 1h
    detectors:
      - type: rate
  - name: delivered
    filter: {kind: email.delivered}
    group_by: [provider]
    window: 1h
    detectors:
      - type: seasonal
        cycles: 2
        min_cycles: 2
  - name: winback_unsubscribes
    filter: {kind: email.unsubscribe, labels: {campaign: [winback-q4]}}
    detectors:
      - type: threshold
        above: 10
)";
    const std::string labels = dir.file("incidents.json");
    // Incidents are matched by their labels; the first names a metric, which does not limit it.
    std::ofstream(labels) << R"([
  {"metric": "complaint_rate_old_name", "labels": {"provider": "gmail.com"},
   "start": "2026-11-18T13:00:00Z", "end": "2026-11-18T16:00:00Z"},
  {"metric": "delivered", "labels": {"provider": "yahoo.com"},
   "start": "2026-11-18T18:00:00Z", "end": "2026-11-18T19:00:00Z"}
])";
    const std::string report = dir.file("report.html");
    const std::string stdout_path = dir.file("stdout.txt");
    const std::string cmd = std::string(TERRAIN_BINARY) + " backtest --config " + config +
                            " --events " + events + " --labels " + labels + " --out " + report +
                            " >" + stdout_path + " 2>&1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << testing::read_file(stdout_path);
    const std::string html = testing::read_file(report);
    ASSERT_FALSE(html.empty());
    const std::string summary = testing::read_file(stdout_path);

    // Every alerting series has a section with a chart; collect them with their spans.
    // Sections are cut with find: std::regex recurses once per character of a section and a
    // large one overflows the stack of an unoptimised (sanitizer) build.
    std::regex span(R"re(<rect class="alert-span"[^>]*data-start="([^"]+)" data-end="([^"]+)")re");
    std::map<std::string, std::vector<std::pair<std::int64_t, std::int64_t>>> charted;
    const std::string open = "<section class=\"series\" data-series=\"";
    for (auto at = html.find(open); at != std::string::npos; at = html.find(open, at + 1)) {
        const auto name_end = html.find('"', at + open.size());
        const auto close = html.find("</section>", name_end);
        ASSERT_NE(close, std::string::npos);
        const std::string name = html.substr(at + open.size(), name_end - at - open.size());
        const std::string body = html.substr(name_end, close - name_end);
        EXPECT_NE(body.find("<svg class=\"chart\""), std::string::npos) << name;
        EXPECT_NE(body.find("class=\"band\""), std::string::npos) << name;
        auto& spans = charted[name];
        std::size_t from = 0;
        for (auto rect = body.find("<rect class=\"alert-span\""); rect != std::string::npos;
             rect = body.find("<rect class=\"alert-span\"", from)) {
            from = body.find('>', rect);
            const std::string tag = body.substr(rect, from - rect + 1);
            std::smatch m;
            ASSERT_TRUE(std::regex_search(tag, m, span)) << tag;
            spans.emplace_back(*core::parse_rfc3339_ms(m[1].str()), *core::parse_rfc3339_ms(m[2].str()));
        }
        EXPECT_FALSE(spans.empty()) << name << " is listed as alerting without a span";
    }
    // The series the incidents were injected into are named, with a span over the incident.
    auto overlaps = [&](const std::string& name, const char* from, const char* to) {
        auto it = charted.find(name);
        if (it == charted.end()) {
            return false;
        }
        const auto a = *core::parse_rfc3339_ms(from);
        const auto b = *core::parse_rfc3339_ms(to);
        for (const auto& [s, e] : it->second) {
            if (s < b && e > a) {
                return true;
            }
        }
        return false;
    };
    EXPECT_TRUE(overlaps("complaint_rate / rate / campaign=spring-sale, provider=gmail.com",
                         "2026-11-18T13:00:00Z", "2026-11-18T16:00:00Z"))
        << html;
    EXPECT_TRUE(overlaps("delivered / seasonal / provider=yahoo.com", "2026-11-18T18:00:00Z",
                         "2026-11-18T19:00:00Z"))
        << html;
    // The alerting series in the summary are exactly the charted ones.
    std::regex count(R"((\d+) alerting series)");
    std::smatch m;
    ASSERT_TRUE(std::regex_search(summary, m, count)) << summary;
    EXPECT_EQ(std::stoul(m[1]), charted.size()) << summary;
    // Both incidents were found; each detector found the one of its kind, of the two about
    // series it judged (both have a provider), and raised no false alert.
    EXPECT_NE(summary.find("2 of 2 labelled incidents found"), std::string::npos) << summary;
    EXPECT_NE(summary.find("complaint_rate/rate: 1 alerts on 1 of 2 series, recall 50%, precision 100%, median delay "),
              std::string::npos) << summary;
    EXPECT_NE(summary.find("delivered/seasonal: 1 alerts on 1 of 2 series, recall 50%, precision 100%"),
              std::string::npos) << summary;
    EXPECT_NE(summary.find("winback_unsubscribes: judged nothing (0 events counted)"), std::string::npos) << summary;
    EXPECT_NE(html.find("<td>complaint_rate/rate</td>"), std::string::npos);
    // A report made for deciding: dated time axes and the value's unit, the known incidents
    // shaded, each alert marked true or false with its delay, the median delay per detector,
    // and the metric that judged nothing named as such.
    const auto section = html.find("data-series=\"complaint_rate / rate / campaign=spring-sale, provider=gmail.com\"");
    ASSERT_NE(section, std::string::npos);
    const std::string complaints = html.substr(section, html.find("</section>", section) - section);
    EXPECT_NE(complaints.find("<text class=\"x-tick\""), std::string::npos);
    EXPECT_NE(complaints.find(">11-18 "), std::string::npos) << "dated ticks";
    EXPECT_NE(complaints.find("%</text>"), std::string::npos) << "a ratio's axis in percent";
    EXPECT_NE(complaints.find("<rect class=\"incident\" x="), std::string::npos);
    EXPECT_NE(complaints.find("data-verdict=\"true\""), std::string::npos);
    EXPECT_NE(complaints.find("true: a known incident, found after "), std::string::npos);
    std::regex delay_cell(R"(<td>complaint_rate/rate</td>(?:<td>[^<]*</td>){5}<td>(\d+ h )?\d+ min</td>)");
    EXPECT_TRUE(std::regex_search(html, m, delay_cell)) << "median delay";
    EXPECT_NE(html.find("<li>winback_unsubscribes: 0 events matched its filter"), std::string::npos);
    // The HTML report in Debian's Chromium: axes and incident shading drawn.
    // TERRAIN_REPORT_SCREENSHOT keeps the screenshot (docs/images/backtest.png is one).
    const char* keep = std::getenv("TERRAIN_REPORT_SCREENSHOT");
    const std::string shot = keep != nullptr ? keep : dir.file("report.png");
    auto [status, out] = testing::run_command(
        "node " + std::string(TERRAIN_SOURCE_DIR) + "/tests/browser/report.mjs " + report + " " + shot, "");
    EXPECT_EQ(status, 0) << out;
    EXPECT_NE(out.find("ok   axes"), std::string::npos) << out;
    EXPECT_NE(out.find("ok   incidents shaded"), std::string::npos) << out;
    // No raw address reached the report.
    EXPECT_EQ(html.find("@gmail.com"), std::string::npos);
}

// MOps can backtest the pairs on a simulated scenario: the recorded multi-vendor requests and
// the ground truth `terrain simulate --out` writes go straight into a backtest.
TEST(BacktestTest, ScoresTheDefaultPairsOnASimulatedScenario) {
    testing::TempDir dir;
    const std::string out = dir.file("bot_loop.ndjson");
    ASSERT_EQ(monitor::run_simulate({"--scenario", "bot_loop", "--out", out, "--days", "1"}), 0);
    monitor::BacktestOptions o;
    o.events_path = out;
    o.labels_path = out + ".truth.json";
    o.out_path = dir.file("report.html");
    const auto r = monitor::run_backtest(monitor::default_config(), o);
    EXPECT_GT(r.events, 300'000U);
    EXPECT_EQ(r.incidents.size(), 1U);
    const auto& pair = r.detectors.at("bot_loop/disagreement");
    EXPECT_EQ(pair.alerting_series, 1U);
    EXPECT_EQ(pair.recall.value_or(0), 1.0);
    EXPECT_EQ(pair.precision.value_or(0), 1.0);
    // The other bot stays quiet.
    EXPECT_EQ(pair.alerts, 1U);
}

TEST(BacktestTest, NamesTheLineOfABadEvent) {
    testing::TempDir dir;
    const std::string events = dir.file("bad.ndjson");
    std::ofstream(events) << R"({"time": "2026-11-18T10:00:00Z", "kind": "ticket.created", "side": "customer"})"
                          << "\n{\"time\": \"yesterday\", \"kind\": \"ticket.created\", \"side\": \"customer\"}\n";
    const std::string out = dir.file("out.txt");
    const std::string cmd = std::string(TERRAIN_BINARY) + " backtest --events " + events +
                            " --out " + dir.file("r.html") + " >" + out + " 2>&1";
    EXPECT_NE(std::system(cmd.c_str()), 0);
    EXPECT_NE(testing::read_file(out).find("bad.ndjson:2:"), std::string::npos)
        << testing::read_file(out);
}

}  // namespace
}  // namespace terrain

namespace terrain {
namespace {

using nlohmann::json;

// What-if on live history: a terrain raised two complaint alerts; people marked one not a
// problem and confirmed the other. `terrain backtest --from` its data directory replays the
// history it holds: the same configuration changes nothing, and a complaint limit of 1% instead
// of 0.3% would have spared the rejected alert and kept the confirmed one, said exactly so.
TEST(WhatIfTest, ACandidateOnTheHistoryTerrainHoldsSaysWhichAlertsWouldDiffer) {
    testing::TempDir dir;
    const std::string running = dir.file("running.yaml");
    auto [status, yaml] = testing::run_command(std::string(TERRAIN_BINARY) + " default-config", "");
    ASSERT_EQ(status, 0);
    std::ofstream(running) << yaml;
    const std::string data = dir.file("data");
    std::map<std::string, std::string> ids;  // campaign -> alert id
    // The candidate: a complaint limit of 1% instead of 0.3%.
    std::string stricter = yaml;
    const std::string limit = "above: 0.003\n        min_denominator: 1000";
    ASSERT_NE(stricter.find(limit), std::string::npos);
    stricter.replace(stricter.find(limit), limit.size(), "above: 0.01\n        min_denominator: 1000");
    {
        testing::Service svc({"--config", running, "--data-dir", data}, dir.file("terrain.log"));
        testing::Client c("127.0.0.1", svc.port());
        const std::int64_t now_s = testing::now_s();
        testing::Traffic traffic{(now_s - 2 * 86400) / 300 * 300};
        for (int m = 0; m < 60; ++m) {
            // spring-sale at gmail.com: 0.5% complain; winback at yahoo.com: 1.3%.
            auto batch = traffic.minute(m, 200, 0, 1);
            traffic.add_winback(batch, m);
            testing::post_json(c, "/ingest/sendgrid", batch.dump());
        }
        ASSERT_TRUE(testing::eventually([&] {
            auto r = c.Get("/api/v1/alerts?state=firing");
            for (const auto& a : json::parse(r ? r->body : "{}").value("alerts", json::array())) {
                if (a["metric"] == "spam_complaint_rate") {
                    ids[a["labels"].value("campaign", "")] = a["id"];
                }
            }
            return ids.size() == 2;
        })) << svc.read_log();
        auto act = [&](const std::string& id, const json& body) {
            auto r = c.Post("/api/v1/alerts/" + id + "/actions", body.dump(), "application/json");
            ASSERT_TRUE(r);
            EXPECT_EQ(r->status, 200) << r->body;
        };
        act(ids["spring-sale"], {{"action", "not_a_problem"}, {"by", "ana"}, {"reason", "detector too sensitive"}});
        act(ids["winback"], {{"action", "acknowledge"}, {"by", "ben"}});
        act(ids["winback"], {{"action", "confirm"}, {"by", "ben"}});
        // The running terrain suggests a setting from the same history: a replay per setting,
        // answered when done (slow in an unoptimised sanitizer build: a long read timeout).
        c.set_read_timeout(300, 0);
        auto suggestion = c.Get("/api/v1/detectors/spam_complaint_rate/threshold/suggestion");
        ASSERT_TRUE(suggestion);
        ASSERT_EQ(suggestion->status, 200) << suggestion->body;
        const json s = json::parse(suggestion->body);
        EXPECT_EQ(s["parameter"], "above");
        EXPECT_DOUBLE_EQ(s["suggested"].get<double>(), 0.0045);
        EXPECT_EQ(s["confirmed_kept"], 1);
        EXPECT_EQ(s["rejected_spared"], 1);
        auto none = c.Get("/api/v1/detectors/unsubscribe_rate/threshold/suggestion");
        ASSERT_TRUE(none);
        EXPECT_EQ(none->status, 404) << none->body;
        // And tries the candidate on its own history over the API.
        auto tried = c.Post("/api/v1/whatif", json{{"config", stricter}}.dump(), "application/json");
        ASSERT_TRUE(tried);
        ASSERT_EQ(tried->status, 200) << tried->body;
        const json answer = json::parse(tried->body);
        std::vector<std::string> differ;
        for (const auto& change : answer["changes"]) {
            if (change["kind"] != "same") {
                differ.push_back(change["kind"].get<std::string>() + " " +
                                 change["labels"].value("campaign", "") + " " +
                                 change["feedback"].get<std::string>());
            }
        }
        EXPECT_EQ(differ, std::vector<std::string>{"removed spring-sale not_a_problem"});
        auto refused = c.Post("/api/v1/whatif", json{{"config", "metrics: ["}}.dump(), "application/json");
        ASSERT_TRUE(refused);
        EXPECT_EQ(refused->status, 400) << refused->body;
    }  // stopped: it checkpoints; the log it covers stays as history (pipeline.history_bytes)

    auto whatif = [&](const std::string& config) {
        auto [code, out] = testing::run_command(std::string(TERRAIN_BINARY) + " backtest --from " +
                                                    data + " --config " + config + " --out " +
                                                    dir.file("whatif.html"),
                                                "");
        EXPECT_EQ(code, 0) << out;
        // Everything after the first line (which names the history's span) is asserted whole.
        const auto first = out.find('\n');
        const auto report = out.rfind("report: ");
        return first == std::string::npos || report == std::string::npos
                   ? out
                   : out.substr(first + 1, report - first - 1);
    };
    EXPECT_EQ(whatif(running), "no alert would differ\n");
    auto [suggested, said] = testing::run_command(std::string(TERRAIN_BINARY) + " backtest --from " +
                                                      data + " --config " + running +
                                                      " --suggest all --out " + dir.file("s.html"),
                                                  "");
    EXPECT_EQ(suggested, 0) << said;
    // The limit swept over the history: the nearest setting that keeps the confirmed alert and
    // spares the rejected one.
    EXPECT_NE(said.find("suggestions:\n  spam_complaint_rate/threshold: above 0.003 -> 0.0045 keeps 1 "
                        "of 1 confirmed alerts and spares 1 of 1 marked not a problem\n"),
              std::string::npos)
        << said;
    const std::string report = testing::read_file(dir.file("s.html"));
    EXPECT_NE(report.find("<pre class=\"whatif\">"), std::string::npos);
    EXPECT_NE(report.find("no alert would differ\nsuggestions:\n  spam_complaint_rate/threshold: "
                          "above 0.003 -&gt; 0.0045"),
              std::string::npos);

    // `check` with the data directory: a filter that matched none of the last day's events
    // is a warning (here a campaign's name mistyped), a filter that matched some is not.
    const std::string typo = dir.file("typo.yaml");
    std::ofstream(typo) << "metrics:\n"
                           "  - name: winback_typo\n"
                           "    filter: {kind: email.complaint, labels: {campaign: winback-q4}}\n"
                           "  - name: winback_right\n"
                           "    filter: {kind: email.complaint, labels: {campaign: [winback, x]}}\n";
    auto [checked, warned] = testing::run_command(
        std::string(TERRAIN_BINARY) + " check --config " + typo + " --data-dir " + data, "");
    EXPECT_EQ(checked, 0) << warned;
    EXPECT_NE(warned.find("warning: metric winback_typo: its filter matched none of the "),
              std::string::npos)
        << warned;
    EXPECT_EQ(warned.find("winback_right"), std::string::npos) << warned;

    const std::string candidate = dir.file("candidate.yaml");
    std::ofstream(candidate) << stricter;
    const std::string diff = whatif(candidate);
    const std::string fired = diff.substr(diff.find(", fired ") + 8, 20);
    EXPECT_EQ(diff,
              "  removed  spam_complaint_rate/threshold campaign=spring-sale provider=gmail.com, "
              "fired " + fired + " (marked not a problem: detector too sensitive)\n"
              "1 alert people marked not a problem would not have fired; 1 confirmed alert would "
              "fire as before\n");
}

}  // namespace
}  // namespace terrain
