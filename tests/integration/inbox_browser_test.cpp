#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/support/service.h"
#include "tests/support/temp_dir.h"
#include "tests/support/traffic.h"

namespace terrain {
namespace {

using nlohmann::json;

// The local inbox in real headless Chromium (Debian's chromium, driven by playwright-core from
// tests/browser; scripts/setup installs both): on the embedded default configuration, an
// alert's card shows both figures, its buttons change its state, and a reload keeps it.
TEST(InboxBrowserTest, CardShowsNumbersButtonsActAndReloadKeepsState) {
    testing::TempDir dir;
    testing::Service svc({"--data-dir", dir.file("data")}, dir.file("terrain.log"));
    terrain::testing::Client c("127.0.0.1", svc.port());
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    testing::Traffic traffic{(now_s - 2 * 86400) / 300 * 300};
    // Two incidents: complaints about spring-sale at gmail.com, and about winback at yahoo.com
    // (another campaign at another provider: its own alert).
    for (int m = 0; m < 60; ++m) {
        json batch = traffic.minute(m, 200, 100, 1);
        traffic.add_winback(batch, m);
        testing::post_json(c, "/ingest/sendgrid", batch.dump());
    }
    std::map<std::string, std::string> alerts;  // campaign -> alert id
    ASSERT_TRUE(testing::eventually([&] {
        auto r = c.Get("/api/v1/alerts?state=firing");
        const json list = r ? json::parse(r->body) : json::object();
        for (const auto& a : list.value("alerts", json::array())) {
            if (a["metric"] == "spam_complaint_rate") {
                alerts[a["labels"].value("campaign", "")] = a["id"];
            }
        }
        return alerts.count("spring-sale") == 1 && alerts.count("winback") == 1;
    })) << svc.read_log();
    const std::string alert = alerts["spring-sale"];
    // TERRAIN_INBOX_SCREENSHOT keeps the screenshot (docs/images/inbox.png is one).
    const char* keep = std::getenv("TERRAIN_INBOX_SCREENSHOT");
    const std::string shot = keep != nullptr ? keep : dir.file("inbox.png");
    auto [status, out] = testing::run_command(
        "node " + std::string(TERRAIN_SOURCE_DIR) + "/tests/browser/inbox.mjs " + svc.base_url() +
            " " + alert + " " + alerts["winback"] + " " + shot,
        "");
    EXPECT_EQ(status, 0) << out << svc.read_log();
    for (const char* step : {"ok   the card draws its chart", "ok   what customers said",
                             "ok   firing before acknowledged",
                             "ok   after a reload", "ok   the card offers Resume campaign",
                             "ok   resume campaign reverts the pause",
                             "ok   confirm works on a resolved alert",
                             "ok   the audit trail records the confirmation"}) {
        EXPECT_NE(out.find(step), std::string::npos) << step << "\n" << out;
    }
    EXPECT_GT(std::filesystem::file_size(shot), 10'000U);
}

}  // namespace
}  // namespace terrain
