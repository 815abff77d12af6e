// Amazon Connect's contact trace records through Kinesis Data Firehose, through the real
// service: the access key guards the door, the answer carries Firehose's requestId, a caller
// who calls back within the hour becomes a return, and the caller's number is never kept.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/duration.h"
#include "core/signature.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain {
namespace {

using nlohmann::json;
using testing::Service;

constexpr const char* kCaller = "+15550123456";

std::string ctr(const std::string& id, const std::string& lob, bool queued, std::int64_t end_ms) {
    json r = {{"ContactId", id},
              {"Channel", "VOICE"},
              {"InitiationMethod", "INBOUND"},
              {"DisconnectTimestamp", core::format_rfc3339_ms(end_ms)},
              {"CustomerEndpoint", {{"Address", kCaller}, {"Type", "TELEPHONE_NUMBER"}}},
              {"Attributes", {{"line_of_business", lob}}},
              {"Queue", queued ? json{{"Name", lob}} : json(nullptr)},
              {"Agent", nullptr}};
    return r.dump();
}

std::string delivery(const std::string& request_id, const std::vector<std::string>& records) {
    json body = {{"requestId", request_id}, {"timestamp", 1}, {"records", json::array()}};
    for (const auto& r : records) {
        body["records"].push_back({{"data", core::base64_encode(r)}});
    }
    return body.dump();
}

std::int64_t now_ms() { return core::SystemClock().now_ms(); }

double metric(const std::string& text, const std::string& name) {
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(name + " ", 0) == 0) {
            return std::stod(line.substr(name.size() + 1));
        }
    }
    return -1;
}

std::string everything_in(const std::filesystem::path& dir) {
    std::string all;
    for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
        if (entry.is_regular_file()) {
            std::ifstream in(entry.path(), std::ios::binary);
            all += std::string(std::istreambuf_iterator<char>(in), {});
        }
    }
    return all;
}

class ContactCentreTest : public ::testing::Test {
protected:
    void SetUp() override {
        ::setenv("TERRAIN_TEST_FIREHOSE_KEY", "firehose-access-key", 1);
        std::ofstream(dir_.file("terrain.yaml"))
            << "sources:\n  connect_ctr:\n    access_key: {env: TERRAIN_TEST_FIREHOSE_KEY}\n"
            << "metrics:\n  - name: ivr_returns\n"
            << "    filter: {kind: contact.return, labels: {first_outcome: self_served}}\n"
            << "    group_by: [lob]\n    window: 5m\n";
        svc_ = std::make_unique<Service>(
            std::vector<std::string>{"--config", dir_.file("terrain.yaml"), "--data-dir",
                                     dir_.file("data")},
            dir_.file("terrain.log"));
        client_ = std::make_unique<terrain::testing::Client>("127.0.0.1", svc_->port());
    }

    httplib::Result post(const std::string& body, const std::string& key) {
        httplib::Headers headers;
        if (!key.empty()) {
            headers.emplace("X-Amz-Firehose-Access-Key", key);
        }
        return client_->Post("/ingest/connect_ctr", headers, body, "application/json");
    }

    testing::TempDir dir_;
    std::unique_ptr<Service> svc_;
    std::unique_ptr<terrain::testing::Client> client_;
};

TEST_F(ContactCentreTest, FirehoseDeliveriesNeedTheAccessKeyAndGetTheirRequestIdBack) {
    const std::int64_t now = now_ms();
    const std::string body = delivery("req-1", {ctr("c-1", "orders", false, now - 60'000)});
    auto none = post(body, "");
    ASSERT_TRUE(none);
    EXPECT_EQ(none->status, 401) << none->body;
    auto wrong = post(body, "not-the-key");
    ASSERT_TRUE(wrong);
    EXPECT_EQ(wrong->status, 401) << wrong->body;
    auto ok = post(body, "firehose-access-key");
    ASSERT_TRUE(ok);
    ASSERT_EQ(ok->status, 200) << ok->body;
    const json answer = json::parse(ok->body);
    EXPECT_EQ(answer["requestId"], "req-1");
    EXPECT_GE(answer["timestamp"].get<std::int64_t>(), now);
    EXPECT_EQ(answer["accepted"], 1);  // a self-served call: ivr.call only
    auto bad = post(delivery("req-2", {"not json"}), "firehose-access-key");
    ASSERT_TRUE(bad);
    EXPECT_EQ(bad->status, 400);
    EXPECT_NE(bad->body.find("contact trace record"), std::string::npos) << bad->body;
}

TEST_F(ContactCentreTest, ACallerWhoCallsBackIsAReturnAndTheirNumberIsNeverKept) {
    const std::int64_t now = now_ms();
    // Self-served in the menu, then back 20 minutes later and queued: one return.
    auto r = post(delivery("req-3", {ctr("c-2", "orders", false, now - 30 * 60'000),
                                     ctr("c-3", "orders", true, now - 10 * 60'000)}),
                  "firehose-access-key");
    ASSERT_TRUE(r);
    ASSERT_EQ(r->status, 200) << r->body;
    std::string metrics;
    ASSERT_TRUE(testing::eventually([&] {
        auto m = client_->Get("/metrics");
        metrics = m ? m->body : "";
        return metric(metrics, "terrain_returns_total") == 1;
    })) << metrics;
    svc_->stop();  // everything on disk: the event log, the checkpoint
    const std::string digits = std::string(kCaller).substr(1);
    for (const auto& [where, text] : {std::pair{"/metrics", metrics},
                                      std::pair{"the log", svc_->read_log()},
                                      std::pair{"the data directory",
                                                everything_in(dir_.file("data"))}}) {
        EXPECT_EQ(text.find(digits), std::string::npos) << "the caller's number is in " << where;
        EXPECT_EQ(text.find("555-0123"), std::string::npos) << where;
    }
}

}  // namespace
}  // namespace terrain
