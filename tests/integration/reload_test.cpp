// Reloading the configuration as Prometheus and Alertmanager users expect (SIGHUP and POST
// /-/reload), against the real binary: a bad file is refused and terrain keeps serving and
// alerting on the one it runs; a good one takes over at once, a changed threshold judges the
// next windows while every unchanged series keeps its windows and detector state, no event is
// counted twice, and a receiver the file adds hears of the alert already firing.
#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>

#include "tests/support/http_sink.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/traffic.h"

namespace terrain {
namespace {

using nlohmann::json;

std::string default_config() {
    auto [status, yaml] = testing::run_command(std::string(TERRAIN_BINARY) + " default-config", "");
    EXPECT_EQ(status, 0);
    return yaml;
}

void write(const std::string& path, const std::string& text) { std::ofstream(path) << text; }

double metric_value(httplib::Client& c, const std::string& series) {
    auto r = c.Get("/metrics");
    if (!r) {
        return -1;
    }
    std::smatch m;
    const std::regex line("\n" + std::regex_replace(series, std::regex(R"([{}\"\\])"), R"(\$&)") +
                          " ([0-9.e+-]+)");
    return std::regex_search(r->body, m, line) ? std::stod(m[1]) : -1;
}

int count(const std::string& text, const std::string& part) {
    int n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) {
        ++n;
    }
    return n;
}

json status(httplib::Client& c) {
    auto r = c.Get("/api/v1/status");
    return r && r->status == 200 ? json::parse(r->body) : json::object();
}

TEST(ReloadTest, ABadFileIsRefusedAndAGoodOneTakesOverKeepingWhatWasLearned) {
    testing::TempDir dir;
    const std::string file = dir.file("terrain.yaml");
    const std::string original = default_config();
    write(file, original);
    testing::Service svc({"--config", file, "--data-dir", dir.file("data")}, dir.file("terrain.log"));
    testing::Client c("127.0.0.1", svc.port());
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    testing::Traffic traffic{(now_s - 2 * 86400) / 300 * 300};
    int posted = 0;
    auto minutes = [&](int from, int to) {
        for (int m = from; m < to; ++m) {
            const json batch = traffic.minute(m, 200, 100, 1);
            testing::post_json(c, "/ingest/sendgrid", batch.dump());
            posted += static_cast<int>(batch.size());
        }
    };
    minutes(0, 60);
    std::string alert;
    ASSERT_TRUE(testing::eventually([&] {
        auto r = c.Get("/api/v1/alerts?state=firing");
        for (const auto& a : json::parse(r ? r->body : "{}").value("alerts", json::array())) {
            if (a["metric"] == "spam_complaint_rate") {
                alert = a["id"];
            }
        }
        return !alert.empty();
    })) << svc.read_log();
    const std::string first_hash = status(c)["config"]["hash"];
    ASSERT_EQ(first_hash.size(), 16U);

    // A bad file: refused, named, and the running configuration keeps serving and alerting.
    write(file, original + "  - name: broken\n    type: no-such-receiver\n");
    svc.signal(SIGHUP);
    ASSERT_TRUE(testing::eventually([&] {
        return svc.read_log().find("reload refused; the running configuration stays") != std::string::npos;
    })) << svc.read_log();
    EXPECT_NE(svc.read_log().find("no-such-receiver"), std::string::npos);
    EXPECT_EQ(metric_value(c, "terrain_config_last_reload_successful"), 0);
    EXPECT_EQ(status(c)["config"]["hash"], first_hash);
    EXPECT_FALSE(status(c)["config"]["last_reload"]["successful"].get<bool>());
    auto refused = c.Post("/-/reload", "", "application/json");
    ASSERT_TRUE(refused);
    EXPECT_EQ(refused->status, 400);
    EXPECT_NE(refused->body.find("no-such-receiver"), std::string::npos) << refused->body;
    minutes(60, 65);
    auto still = c.Get("/api/v1/alerts/" + alert);
    ASSERT_TRUE(still);
    EXPECT_EQ(json::parse(still->body)["status"], "firing");

    // A good file: the complaint limit raised to 2%, and a webhook receiver added.
    testing::HttpSink sink;
    std::string changed = original;
    const std::string limit = "above: 0.003\n        min_denominator: 1000";
    ASSERT_NE(changed.find(limit), std::string::npos);
    changed.replace(changed.find(limit), limit.size(), "above: 0.02\n        min_denominator: 1000");
    changed += "  - name: team-webhook\n    type: webhook\n    url: http://127.0.0.1:" +
               std::to_string(sink.port()) + "/alerts\n";
    write(file, changed);
    const double events_before = metric_value(c, "terrain_pipeline_events_total");
    svc.signal(SIGHUP);
    ASSERT_TRUE(testing::eventually([&] {
        const json s = status(c);
        return s.contains("config") && s["config"]["hash"] != first_hash;
    })) << svc.read_log();
    EXPECT_TRUE(status(c)["config"]["last_reload"]["successful"].get<bool>());
    EXPECT_EQ(metric_value(c, "terrain_config_last_reload_successful"), 1);
    const std::string log = svc.read_log();
    EXPECT_NE(log.find("reloaded " + file), std::string::npos) << log;
    // Nothing counted twice, every window kept.
    EXPECT_EQ(metric_value(c, "terrain_pipeline_events_total"), events_before);
    EXPECT_EQ(log.find("its windows start empty"), std::string::npos) << log;

    // The new receiver hears of the alert already firing.
    ASSERT_TRUE(testing::eventually([&] {
        for (const auto& n : sink.received()) {
            if (n["alert"]["id"] == alert && n["transition"] == "firing") {
                return true;
            }
        }
        return false;
    })) << svc.read_log();

    // The next windows are judged with the new limit: only the changed detector starts fresh
    // (the complaint rate at each of its levels), and the alert recovers under 2%.
    minutes(65, 95);
    ASSERT_TRUE(testing::eventually([&] {
        auto r = c.Get("/api/v1/alerts/" + alert);
        return r && json::parse(r->body)["status"] == "resolved";
    })) << svc.read_log();
    const std::string after = svc.read_log();
    EXPECT_EQ(count(after, "its parameters changed; it starts fresh"),
              count(after, "pipeline: spam_complaint_rate"))
        << after;
    EXPECT_GE(count(after, "pipeline: spam_complaint_rate"), 1) << after;
    EXPECT_TRUE(testing::eventually([&] {
        return metric_value(c, "terrain_pipeline_events_total") == static_cast<double>(posted);
    })) << metric_value(c, "terrain_pipeline_events_total") << " of " << posted;

    // POST /-/reload with the same good file: taken again.
    auto again = c.Post("/-/reload");  // as `curl -X POST`: no body, no Content-Type
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 200) << again->body;
    const json hash = json::parse(again->body)["hash"];
    // While it reloads, terrain answers 503 with Retry-After; then the same file runs.
    EXPECT_TRUE(testing::eventually([&] { return count(svc.read_log(), "reloaded " + file) == 2; }));
    EXPECT_TRUE(testing::eventually([&] {
        const json s = status(c);
        return s.contains("config") && s["config"]["hash"] == hash &&
               s["config"]["last_reload"]["successful"].get<bool>();
    })) << svc.read_log();

}

}  // namespace
}  // namespace terrain
