#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "tests/support/bad_configs.h"
#include "tests/support/process.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain {
namespace {

// The real binary: `terrain check` refuses every configuration `terrain run` refuses, with the
// same message, and `run` leaves nothing on disk (no data directory, store, key or log).
TEST(StartupParityTest, CheckAndRunRefuseTheSameConfigurationsWithTheSameMessage) {
    testing::TempDir dir;
    const std::string env = "T=a-secret S=a-secret ANA_INBOX=a-secret ";
    for (const auto& c : testing::bad_configs()) {
        SCOPED_TRACE(c.name);
        const std::string file = dir.file(std::string(c.name) + ".yaml");
        std::ofstream(file) << c.yaml;
        const std::string data = dir.file(std::string(c.name) + "-data");
        const std::string options = " --config " + file + " --data-dir " + data;
        auto [check_status, check_out] =
            testing::run_command(env + TERRAIN_BINARY + " check" + options, "");
        auto [run_status, run_out] = testing::run_command(
            env + "timeout 20 " + TERRAIN_BINARY + " run --listen 127.0.0.1:0" + options, "");
        EXPECT_EQ(check_status, 1) << check_out;
        EXPECT_EQ(run_status, 1) << run_out;
        EXPECT_EQ(check_out, run_out);
        std::string message = c.message;  // the table's file name is test.yaml
        if (message.rfind("test.yaml: ", 0) == 0) {
            message = message.substr(11);
        }
        EXPECT_NE(check_out.find(message), std::string::npos) << check_out;
        EXPECT_FALSE(std::filesystem::exists(data)) << "run created " << data;
    }
}

// A taken port is found by binding before anything is written; a listen host given by name
// (localhost) is resolved rather than refused at bind.
TEST(StartupParityTest, ATakenPortLeavesNothingBehindAndAHostNameResolves) {
    testing::TempDir dir;
    testing::Service holder({"--data-dir", dir.file("first")}, dir.file("first.log"));
    const std::uint16_t port = holder.port();
    auto [status, out] = testing::run_command(std::string(TERRAIN_BINARY) +
                                                  " run --listen localhost:" +
                                                  std::to_string(port) + " --data-dir " +
                                                  dir.file("second"),
                                              "");
    EXPECT_EQ(status, 1) << out;
    EXPECT_NE(out.find("cannot listen on localhost:" + std::to_string(port)), std::string::npos)
        << out;
    EXPECT_FALSE(std::filesystem::exists(dir.file("second")));
    auto [check_status, check_out] = testing::run_command(
        std::string(TERRAIN_BINARY) + " check --listen localhost:0 --data-dir " +
            dir.file("third"),
        "");
    EXPECT_EQ(check_status, 0) << check_out;
    EXPECT_FALSE(std::filesystem::exists(dir.file("third")));
}

}  // namespace
}  // namespace terrain
