// The scale-out mode against a real cluster on loopback (scripts/cluster): three Kafka brokers
// in KRaft mode (from Maven Central, scripts/setup cluster), PostgreSQL from Debian, three
// terrain nodes. Load is spread over every node while one node is killed with SIGKILL and
// later restarted and one broker is killed; every event that got a 2xx must be counted exactly
// once in the partitions' checkpoints. An injected incident must be alerted once, whichever
// node judged it; its notifications reach a webhook once each, an override clicked through two
// nodes reaches the MAP once, also across the alerting leader killed with SIGKILL, and the
// audit chain holds.
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <map>
#include <mutex>
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

    void use_config(const std::string& path) { config_ = path; }
    std::pair<int, std::string> script(const std::string& args) const {
        return run_command("TERRAIN_CLUSTER_CONFIG=" + config_ + " TERRAIN_CLUSTER_DIR=" + dir_ +
                               " TERRAIN_CLUSTER_PORT=" +
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

    // GET `path` from node k (null when it does not answer 200).
    json get(int k, const std::string& path) const {
        httplib::Client c("127.0.0.1", node_port(k));
        c.set_connection_timeout(1);
        c.set_read_timeout(15);
        auto r = c.Get(path);
        return r && r->status == 200 ? json::parse(r->body) : json(nullptr);
    }
    int leader() const {
        for (int k : {1, 2, 3}) {
            const auto s = status(k);
            if (!s.is_null() && s["cluster"]["alerting"]["leading"].get<bool>()) {
                return k;
            }
        }
        return 0;
    }

private:
    std::string dir_;
    std::string config_;
    int base_ = 0;
};

// Stands in for a chat webhook and a MAP's API: records every request with its
// Idempotency-Key.
class StandIn final {
public:
    struct Request {
        std::string path;
        std::string key;
        json body;
    };
    StandIn() {
        auto record = [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            json body = json::parse(req.body, nullptr, false);
            requests_.push_back({req.path, req.get_header_value("Idempotency-Key"), body});
            res.set_content("{\"ok\": true}", "application/json");
        };
        server_.Post("/hook", record);
        server_.Post(R"(/map/.*)", record);
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
    }
    ~StandIn() {
        server_.stop();
        thread_.join();
    }
    int port() const { return port_; }
    std::vector<Request> requests(const std::string& prefix) const {
        std::lock_guard lock(mutex_);
        std::vector<Request> out;
        for (const auto& r : requests_) {
            if (r.path.rfind(prefix, 0) == 0) {
                out.push_back(r);
            }
        }
        return out;
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    mutable std::mutex mutex_;
    std::vector<Request> requests_;
};

// terrain's default configuration with what the test needs: a metric the incident crosses,
// a webhook receiver and the pause_campaign override calling the MAP stand-in over HTTP.
std::string ha_config(const TempDir& tmp, int stand_in_port) {
    auto [rc, printed] = run_command(TERRAIN_BINARY " default-config", "");
    EXPECT_EQ(rc, 0) << printed;
    std::string text = printed;  // a lambda below takes it (clang 14: not a structured binding)
    const std::string here = "http://127.0.0.1:" + std::to_string(stand_in_port);
    auto replace = [&](const std::string& from, const std::string& to) {
        const auto at = text.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        if (at != std::string::npos) {
            text.replace(at, from.size(), to);
        }
    };
    replace("metrics:\n", R"(metrics:
  - name: ha_incident_tickets
    help: tickets per campaign (the HA test's incident)
    aggregate: count
    filter: {kind: ticket.created}
    group_by: [campaign]
    window: 1m
    team: frontline
    detectors:
      - type: threshold
        above: 300
        severity: critical
)");
    replace("receivers:\n  - name: log\n    type: log\n",
            "receivers:\n  - name: log\n    type: log\n  - name: ha-hook\n    type: webhook\n"
            "    url: " + here + "/hook\n");
    replace("executor: dry_run", "executor: http");
    for (std::size_t at; (at = text.find("https://map.example.com")) != std::string::npos;) {
        text.replace(at, 23, here + "/map");
    }
    const std::string path = tmp.file("ha.yaml");
    std::ofstream(path) << text;
    return path;
}

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
    StandIn stand_in;
    cluster.use_config(ha_config(tmp, stand_in.port()));
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
        if (b == 10) {
            // The incident: a burst of tickets about one campaign, judged by whichever node
            // owns its partition and alerted by whichever leads the alerting.
            json burst = json::array();
            for (int i = 0; i < 400; ++i) {
                burst.push_back({{"time", (now_s - 300) * 1000},
                                 {"kind", "ticket.created"},
                                 {"side", "customer"},
                                 {"labels", {{"campaign", "campaign-incident"}}}});
            }
            httplib::Client c("127.0.0.1", cluster.node_port(1));
            c.set_read_timeout(30);
            auto r = c.Post("/ingest/events", burst.dump(), "application/json");
            ASSERT_TRUE(r && r->status == 200) << (r ? r->body : "no answer");
            without_ids += 400;
        }
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
    // Alerts, people and actions shared: the incident is one alert, the same from every node.
    auto incident_alerts = [&](int k) {
        json found = json::array();
        const auto list = cluster.get(k, "/api/v1/alerts");
        for (const auto& a : list.is_null() ? json::array() : list["alerts"]) {
            if (a["metric"] == "ha_incident_tickets" &&
                a["labels"].value("campaign", "") == "campaign-incident") {
                found.push_back(a);
            }
        }
        return found;
    };
    ASSERT_TRUE(eventually([&] { return incident_alerts(1).size() == 1; },
                           std::chrono::seconds(180)))
        << cluster.get(1, "/api/v1/alerts").dump();
    const std::string alert_id = incident_alerts(1)[0]["id"].get<std::string>();
    for (int k : {2, 3}) {
        const auto seen = incident_alerts(k);
        ASSERT_EQ(seen.size(), 1U) << "node " << k;
        EXPECT_EQ(seen[0]["id"], alert_id) << "node " << k;
    }
    // The override clicked on two nodes that do not lead (a double click through a load
    // balancer): the MAP is called once.
    const int leader = cluster.leader();
    ASSERT_NE(leader, 0);
    std::vector<int> followers;
    for (int k : {1, 2, 3}) {
        if (k != leader) {
            followers.push_back(k);
        }
    }
    // A 503 (no node leads the alerting yet, or this one has not yet read who does) says
    // Retry-After: the click is sent again, as a person's browser would.
    auto click = [&](int k) {
        httplib::Client c("127.0.0.1", cluster.node_port(k));
        c.set_read_timeout(15);
        int status = 0;
        for (int attempt = 0; attempt < 30; ++attempt) {
            auto r = c.Post("/inbox/act",
                            json{{"alert", alert_id}, {"action", "pause_campaign"}}.dump(),
                            "application/json");
            status = r ? r->status : 0;
            if (status != 503) {
                break;
            }
            std::printf("click through node %d: 503 %s; retried\n", k, r->body.c_str());
            std::this_thread::sleep_for(std::chrono::milliseconds(500));
        }
        return status;
    };
    {  // the inbox through a node that does not lead: the leader's page with its headers
        httplib::Client c("127.0.0.1", cluster.node_port(followers[0]));
        auto page = c.Get("/inbox");
        ASSERT_TRUE(page && page->status == 200);
        EXPECT_NE(page->get_header_value("Content-Type").find("text/html"), std::string::npos);
        EXPECT_NE(page->get_header_value("Content-Security-Policy").find("default-src 'self'"),
                  std::string::npos);
    }
    EXPECT_EQ(click(followers[0]), 200);
    EXPECT_EQ(click(followers[1]), 409);  // already under way
    ASSERT_TRUE(eventually([&] { return stand_in.requests("/map/").size() == 1; },
                           std::chrono::seconds(30)));
    ASSERT_TRUE(eventually(
        [&] {
            return cluster.sql("SELECT count(*) FROM outbox") == "0" &&
                   cluster.sql("SELECT count(*) FROM executions WHERE state = 'done'") == "1";
        },
        std::chrono::seconds(60)));
    // The alerting leader killed: another node takes the lease and the alert side over from
    // PostgreSQL; nothing is raised, sent or called again.
    const auto hook_before = stand_in.requests("/hook").size();
    cluster.kill9("node" + std::to_string(leader));
    const auto killed = std::chrono::steady_clock::now();
    int next = 0;
    ASSERT_TRUE(eventually(
        [&] {
            for (int k : followers) {
                const auto s = cluster.status(k);
                if (!s.is_null() && s["cluster"]["alerting"]["leading"].get<bool>()) {
                    next = k;
                }
            }
            return next != 0;
        },
        std::chrono::seconds(60)));
    std::printf("alerting failover (SIGKILL of the leader to another node leading): %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count());
    {
        auto [rc, out] = cluster.script("node " + std::to_string(leader));
        ASSERT_EQ(rc, 0) << out;
    }
    EXPECT_EQ(click(leader), 409);  // the restarted node passes it on; the run is known
    ASSERT_TRUE(eventually([&] { return incident_alerts(leader).size() == 1; },
                           std::chrono::seconds(30)));
    EXPECT_EQ(incident_alerts(leader)[0]["id"], alert_id);
    std::this_thread::sleep_for(std::chrono::seconds(5));  // room for anything sent again
    EXPECT_EQ(stand_in.requests("/hook").size(), hook_before);
    EXPECT_EQ(cluster.sql("SELECT count(*) FROM alerts WHERE body LIKE '%ha_incident_tickets%' "
                          "AND body LIKE '%campaign-incident%'"),
              "1");
    const auto map_calls = stand_in.requests("/map/");
    ASSERT_EQ(map_calls.size(), 1U);
    EXPECT_NE(map_calls[0].path.find("campaign-incident"), std::string::npos);
    EXPECT_FALSE(map_calls[0].key.empty());
    std::map<std::string, int> deliveries;  // Idempotency-Key -> times delivered
    int firing = 0;
    for (const auto& r : stand_in.requests("/hook")) {
        ++deliveries[r.key];
        const auto& alert = r.body.contains("alert") ? r.body["alert"] : r.body;
        if (alert.value("id", "") == alert_id && r.body.value("transition", "") == "firing") {
            ++firing;
        }
    }
    for (const auto& [key, times] : deliveries) {
        EXPECT_EQ(times, 1) << "notification " << key << " delivered " << times << " times";
    }
    EXPECT_EQ(firing, 1) << "the incident's firing notification";
    std::printf("notifications delivered to the webhook: %zu (each once), MAP calls: %zu\n",
                deliveries.size(), map_calls.size());
    const auto audit = cluster.get(next, "/api/v1/audit");
    ASSERT_FALSE(audit.is_null());
    EXPECT_TRUE(audit["chain"]["intact"].get<bool>()) << audit["chain"].dump();
    int pauses = 0;
    for (const auto& e : audit["entries"]) {
        pauses += e["alert"] == alert_id && e["action"] == "pause_campaign" &&
                          e["result"].get<std::string>().rfind("done", 0) == 0
                      ? 1
                      : 0;
    }
    EXPECT_EQ(pauses, 1) << audit.dump();
    // A reload (SIGHUP) in this mode: the node checkpoints its partitions, gives up what it
    // holds, rebuilds its service on the file as it is now and is ready again; nothing it
    // counted is lost or counted twice (the sums below).
    {
        const pid_t one = cluster.pid("node1");
        ASSERT_GT(one, 0);
        ::kill(one, SIGHUP);
        EXPECT_TRUE(eventually(
            [&] {
                std::ifstream log(cluster.dir() + "/logs/node1.log");
                const std::string text((std::istreambuf_iterator<char>(log)), {});
                return text.find("reloaded ") != std::string::npos;
            },
            std::chrono::seconds(60)));
        EXPECT_TRUE(eventually([&] { return ready(1); }, std::chrono::seconds(30)));
        EXPECT_TRUE(eventually([&] { return incident_alerts(1).size() == 1; },
                               std::chrono::seconds(30)));
    }
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
