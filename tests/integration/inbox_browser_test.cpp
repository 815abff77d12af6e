#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
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
    for (int m = 0; m < 60; ++m) {
        testing::post_json(c, "/ingest/sendgrid", traffic.minute(m, 200, 100, 1).dump());
    }
    std::string alert;
    ASSERT_TRUE(testing::eventually([&] {
        auto r = c.Get("/api/v1/alerts?state=firing");
        const json list = r ? json::parse(r->body) : json::object();
        for (const auto& a : list.value("alerts", json::array())) {
            if (a["metric"] == "spam_complaint_rate") {
                alert = a["id"];
            }
        }
        return !alert.empty();
    })) << svc.read_log();
    auto [status, out] = testing::run_command(
        "node " + std::string(TERRAIN_SOURCE_DIR) + "/tests/browser/inbox.mjs " + svc.base_url() +
            " " + alert,
        "");
    EXPECT_EQ(status, 0) << out << svc.read_log();
    EXPECT_NE(out.find("ok   after a reload"), std::string::npos) << out;
}

}  // namespace
}  // namespace terrain
