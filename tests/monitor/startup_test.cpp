#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "monitor/startup.h"
#include "tests/support/bad_configs.h"
#include "tests/support/temp_dir.h"

namespace terrain::monitor {
namespace {

using testing::BadConfig;

class StartupTest : public ::testing::TestWithParam<BadConfig> {
protected:
    void SetUp() override {
        // The secrets the table's configurations name exist, so each case meets its own
        // problem rather than a missing variable.
        for (const char* name : {"T", "S", "ANA_INBOX"}) {
            ::setenv(name, "a-secret", 1);
        }
    }
};

// Every configuration of the table is refused by the validation steps `terrain run` and
// `terrain check` share, with a message naming the key, and the data directory is not created.
TEST_P(StartupTest, ValidationRefusesNamingTheKey) {
    const auto& p = GetParam();
    testing::TempDir dir;
    const std::string data = dir.file("data");
    try {
        Plan plan;
        plan.origin = "test.yaml";
        plan.data_dir = data;
        plan.config = core::parse_config(p.yaml, plan.origin);
        const Kinds kinds;
        validate(plan, kinds);
        FAIL() << "accepted a bad config: " << p.yaml;
    } catch (const core::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find(p.message), std::string::npos)
            << "message was: " << e.what();
        EXPECT_EQ(std::string(e.what()).rfind("test.yaml: ", 0), 0U) << e.what();
    }
    EXPECT_FALSE(std::filesystem::exists(data));
}

// Not among the shared bad configurations: `terrain run` in the parity test listens where it is
// told, not on the wildcard.
TEST(StartupTest, AClusterNodeOnAWildcardAddressMustSayWhereOthersReachIt) {
    testing::TempDir dir;
    Plan plan;
    plan.origin = "test.yaml";
    plan.data_dir = dir.file("data");
    plan.config = core::parse_config(
        "server: {listen: \"0.0.0.0:8686\"}\n"
        "cluster: {brokers: [127.0.0.1:9092], postgres: {env: TERRAIN_TEST_PG}}\n",
        plan.origin);
    const Kinds kinds;
    try {
        validate(plan, kinds);
        FAIL() << "accepted a cluster node on 0.0.0.0 without cluster.advertise";
    } catch (const core::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("test.yaml: cluster.advertise: is required when "
                                             "server.listen is a wildcard address"),
                  std::string::npos)
            << e.what();
    }
}

INSTANTIATE_TEST_SUITE_P(Cases, StartupTest, ::testing::ValuesIn(testing::bad_configs()),
                         [](const auto& info) { return std::string(info.param.name); });

TEST(StartupStepsTest, ListenAndDataDirectoryAreValidatedWithoutTouchingThem) {
    testing::TempDir dir;
    const Kinds kinds;
    Plan plan;
    plan.origin = "t.yaml";
    plan.config = core::parse_config("server:\n  listen: localhost:0\n", "t.yaml");
    plan.data_dir = dir.file("not/yet/there");
    validate(plan, kinds);  // a name resolves; a directory that can be created is fine
    EXPECT_FALSE(std::filesystem::exists(dir.file("not")));

    plan.config.server.listen = "no-such-host.invalid:8686";
    EXPECT_THROW(validate(plan, kinds), core::ConfigError);
    plan.config.server.listen = "127.0.0.1:0";
    plan.data_dir = dir.file("file");
    std::ofstream(dir.file("file")) << "x";
    try {
        validate(plan, kinds);
        FAIL();
    } catch (const core::ConfigError& e) {
        EXPECT_NE(std::string(e.what()).find("is not a directory"), std::string::npos) << e.what();
    }
}

}  // namespace
}  // namespace terrain::monitor
