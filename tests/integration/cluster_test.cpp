// The scale-out mode against a real cluster on loopback (scripts/cluster): three Kafka brokers
// in KRaft mode (from Maven Central, scripts/setup cluster), PostgreSQL from Debian, three
// terrain nodes. Load is spread over every node while one node is killed with SIGKILL and
// later restarted and one broker is killed; every event that got a 2xx must be counted exactly
// once in the partitions' checkpoints.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "tests/support/process.h"
#include "tests/support/recording_client.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain::testing {
namespace {

using nlohmann::json;

class Cluster final {
public:
    explicit Cluster(const TempDir& tmp) : dir_(tmp.file("cluster")) {
        ::chmod(tmp.path().c_str(), 0755);  // PostgreSQL runs as its own user beneath it
        // A port range nobody else in the suite uses: free ports of the OS's choosing are
        // below it.
        base_ = 21000 + static_cast<int>(::getpid() % 200) * 50;  // below the ephemeral range
    }
    ~Cluster() { script("down"); }

    std::pair<int, std::string> script(const std::string& args) const {
        return run_command("TERRAIN_CLUSTER_DIR=" + dir_ + " TERRAIN_CLUSTER_PORT=" +
                               std::to_string(base_) + " TERRAIN_BINARY=" TERRAIN_BINARY " " +
                               TERRAIN_SOURCE_DIR "/scripts/cluster " + args,
                           "");
    }
    int node_port(int k) const { return base_ + 30 + k; }
    pid_t pid(const std::string& name) const {
        std::ifstream in(dir_ + "/pids/" + name + ".pid");
        pid_t p = 0;
        in >> p;
        return p;
    }
    void kill9(const std::string& name) const {
        const pid_t p = pid(name);
        ASSERT_GT(p, 0) << name;
        ::kill(p, SIGKILL);
        std::filesystem::remove(dir_ + "/pids/" + name + ".pid");
    }
    // Stops a node with SIGTERM and waits for it: it checkpoints its partitions on the way out.
    void stop_node(int k) const {
        const pid_t p = pid("node" + std::to_string(k));
        if (p <= 0) {
            return;
        }
        ::kill(p, SIGTERM);
        for (int i = 0; i < 300 && ::kill(p, 0) == 0; ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        std::filesystem::remove(dir_ + "/pids/node" + std::to_string(k) + ".pid");
    }
    std::string sql(const std::string& query) const {
        auto [rc, out] = run_command("psql -h 127.0.0.1 -p " + std::to_string(base_ + 20) +
                                         " -U terrain -d terrain -tAc \"" + query + "\"",
                                     "");
        EXPECT_EQ(rc, 0) << out;
        while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
            out.pop_back();
        }
        return out;
    }
    // `record`: the answer is kept for the docs test, which checks it against openapi.yaml.
    json status(int k, bool record = false) const {
        Client recording("127.0.0.1", node_port(k));
        httplib::Client plain("127.0.0.1", node_port(k));
        httplib::Client& c = record ? recording : plain;
        c.set_connection_timeout(1);
        c.set_read_timeout(2);
        auto r = c.Get("/api/v1/status");
        if (!r || r->status != 200) {
            return nullptr;
        }
        return json::parse(r->body);
    }
    const std::string& dir() const { return dir_; }

private:
    std::string dir_;
    int base_ = 0;
};

// SendGrid "delivered" events with unique ids for twelve campaigns (spread over partitions).
json batch_of(int b, std::int64_t now_s) {
    json batch = json::array();
    for (int i = 0; i < 100; ++i) {
        const int n = b * 100 + i;
        const std::string campaign = "campaign-" + std::to_string(n % 12);
        batch.push_back({{"email", "reader" + std::to_string(n % 5000) + "@example.net"},
                         {"timestamp", now_s - 600 + (b % 600)},
                         {"event", "delivered"},
                         {"category", campaign},
                         {"sg_event_id", "ha-" + std::to_string(n)},
                         {"sg_message_id", "m-" + std::to_string(n) + ".filter0001.0"}});
    }
    return batch;
}

TEST(ClusterTest, ThreeNodesCountEveryAcknowledgedEventOnceThroughANodeKillAndABrokerKill) {
    TempDir tmp;
    Cluster cluster(tmp);
    {
        auto [rc, out] = cluster.script("up 3");
        ASSERT_EQ(rc, 0) << out;
        std::printf("%s", out.c_str());
    }
    const std::int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count();
    constexpr int kBatches = 240;
    std::set<int> down;  // nodes not to send to
    int acknowledged = 0;  // batches of 100 events with ids
    int without_ids = 0;
    int refused = 0;
    double failover_s = -1;
    auto send = [&](int b, int first_node) {
        const std::string body = batch_of(b, now_s).dump();
        for (int attempt = 0; attempt < 200; ++attempt) {
            const int k = (first_node + attempt) % 3 + 1;
            if (down.count(k) != 0) {
                continue;
            }
            httplib::Client c("127.0.0.1", cluster.node_port(k));
            c.set_connection_timeout(2);
            c.set_read_timeout(30);
            auto r = c.Post("/ingest/sendgrid", body, "application/json");
            if (r && r->status == 200) {
                return true;
            }
            ++refused;  // a node killed mid-request, a 503 while a broker is away: retried
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        return false;
    };
    for (int b = 0; b < kBatches; ++b) {
        if (b == kBatches / 3) {
            cluster.kill9("node2");
            const auto killed = std::chrono::steady_clock::now();
            down.insert(2);
            // Failover: nodes 1 and 3 own all six partitions again.
            ASSERT_TRUE(eventually(
                [&] {
                    std::set<int> owned;
                    for (int k : {1, 3}) {
                        const auto s = cluster.status(k);
                        if (s.is_null()) {
                            continue;
                        }
                        for (const auto& p : s["cluster"]["partitions"]) {
                            owned.insert(p["partition"].get<int>());
                        }
                    }
                    return owned.size() == 6;
                },
                std::chrono::seconds(90)));
            failover_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed)
                             .count();
        }
        if (b == kBatches / 2) {
            cluster.kill9("broker3");
        }
        if (b == 2 * kBatches / 3) {
            auto [rc, out] = cluster.script("node 2");
            ASSERT_EQ(rc, 0) << out;
            down.erase(2);
        }
        ASSERT_TRUE(send(b, b)) << "batch " << b << " was never acknowledged";
        ++acknowledged;
        if (b < kBatches / 3 && b % 4 == 0) {
            // Events without an id cannot be told from a retry: sent only while every node is
            // up, each request once. Counted once only if a partition that moves resumes at
            // its checkpoint's offset, not before it.
            json tickets = json::array();
            for (int i = 0; i < 50; ++i) {
                tickets.push_back({{"time", (now_s - 300) * 1000},
                                   {"kind", "ticket.created"},
                                   {"side", "customer"},
                                   {"labels", {{"campaign", "campaign-" + std::to_string(i % 12)}}}});
            }
            httplib::Client c("127.0.0.1", cluster.node_port(b % 3 + 1));
            c.set_read_timeout(30);
            auto r = c.Post("/ingest/events", tickets.dump(), "application/json");
            ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
            without_ids += 50;
        }
    }
    // Vendors retry: the first 20 batches again, each to a node other than the one that took
    // it first. De-duplicated by event id where the partition is judged.
    for (int b = 0; b < 20; ++b) {
        ASSERT_TRUE(send(b, b + 1));
    }
    std::printf("failover (SIGKILL to all partitions owned again): %.1f s; requests retried: %d\n",
                failover_s, refused);
    {
        auto [rc, out] = cluster.script("broker 3");
        ASSERT_EQ(rc, 0) << out;
    }
    // Every partition owned and caught up with the topic.
    ASSERT_TRUE(eventually(
        [&] {
            std::set<int> owned;
            long lag = 0;
            for (int k : {1, 2, 3}) {
                const auto s = cluster.status(k);
                if (s.is_null()) {
                    return false;
                }
                for (const auto& p : s["cluster"]["partitions"]) {
                    owned.insert(p["partition"].get<int>());
                    lag += p["lag"].get<long>();
                }
            }
            return owned.size() == 6 && lag == 0;
        },
        std::chrono::seconds(120)));
    // PostgreSQL stopped: every node says it is not ready (a load balancer sends vendors
    // elsewhere) and its checkpoints fail; started again, the nodes reconnect by themselves.
    auto ready = [&](int k) {
        httplib::Client c("127.0.0.1", cluster.node_port(k));
        auto r = c.Get("/readyz");
        return r && r->status == 200;
    };
    {
        auto [rc, out] = run_command(
            std::string(::getuid() == 0 ? "runuser -u postgres -- " : "") +
                "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)/pg_ctl -D " +
                cluster.dir() + "/pg -m fast stop",
            "");
        ASSERT_EQ(rc, 0) << out;
    }
    EXPECT_TRUE(eventually([&] { return !ready(1) && !ready(2) && !ready(3); },
                           std::chrono::seconds(20)));
    {
        auto [rc, out] = cluster.script("up 3");  // starts what is not running: PostgreSQL
        ASSERT_EQ(rc, 0) << out;
    }
    EXPECT_TRUE(eventually([&] { return ready(1) && ready(2) && ready(3); },
                           std::chrono::seconds(20)));
    for (int k : {1, 2, 3}) {
        const auto s = cluster.status(k, true);
        EXPECT_TRUE(s["cluster"]["kafka_up"].get<bool>()) << s.dump();
        EXPECT_TRUE(s["cluster"]["postgres_up"].get<bool>()) << s.dump();
        cluster.stop_node(k);
    }
    const std::string counted =
        cluster.sql("SELECT sum(events) FROM terrain_partitions WHERE topic = 'terrain-events'");
    EXPECT_EQ(counted, std::to_string(acknowledged * 100 + without_ids))
        << "events acknowledged: " << acknowledged * 100 + without_ids << ", counted: " << counted;
    EXPECT_EQ(cluster.sql("SELECT count(*) FROM terrain_partitions WHERE topic = "
                          "'terrain-events' AND windows IS NOT NULL"),
              "6");
    // Every node of the three took part (the load was spread, partitions moved).
    for (int k : {1, 2, 3}) {
        std::ifstream log(cluster.dir() + "/logs/node" + std::to_string(k) + ".log");
        const std::string text((std::istreambuf_iterator<char>(log)), {});
        EXPECT_NE(text.find("owns partition"), std::string::npos) << "node " << k;
    }
}

}  // namespace
}  // namespace terrain::testing
