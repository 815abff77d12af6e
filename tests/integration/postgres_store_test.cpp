// The scale-out mode's shared state against Debian's real PostgreSQL, started by the test: the
// PostgresStore keeps what the SQLite store keeps, the same way (the same calls give the same
// answers), the modules' SQLite statements run translated, a fenced write changes nothing, and
// the alerting lease has one holder at a time.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>

#include "alerts/chat/living_message.h"
#include "alerts/executions.h"
#include "core/postgres.h"
#include "core/postgres_store.h"
#include "core/store.h"
#include "core/telemetry.h"
#include "monitor/default_config.h"
#include "monitor/findings_queue.h"
#include "monitor/leader.h"
#include "tests/support/process.h"
#include "tests/support/service.h"
#include "tests/support/temp_dir.h"

namespace terrain::testing {
namespace {

int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
}

// A PostgreSQL server of its own (initdb, pg_ctl; as the postgres user when run as root), for
// the whole suite; every test starts from an empty database.
class PostgresServer final {
public:
    PostgresServer() : port_(free_port()) {
        ::chmod(tmp_.path().c_str(), 0755);
        const std::string as = ::getuid() == 0 ? "runuser -u postgres -- " : "";
        const std::string bin = "$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)";
        const std::string data = tmp_.file("pg");
        auto [rc, out] = run_command(
            "mkdir -p " + data + (::getuid() == 0 ? " && chown postgres " + tmp_.path() + " " + data : "") +
                " && " + as + bin + "/initdb -D " + data + " -U terrain --auth=trust >/dev/null && " +
                as + bin + "/pg_ctl -D " + data + " -l " + data + "/log -w -o \"-p " +
                std::to_string(port_) + " -k '' -c listen_addresses=127.0.0.1\" start",
            "");
        if (rc != 0) {
            throw std::runtime_error("cannot start PostgreSQL: " + out);
        }
        stop_ = as + bin + "/pg_ctl -D " + data + " -m immediate stop";
    }
    ~PostgresServer() { run_command(stop_, ""); }
    std::string dsn() const {
        return "host=127.0.0.1 port=" + std::to_string(port_) + " user=terrain dbname=postgres";
    }

private:
    TempDir tmp_;
    int port_;
    std::string stop_;
};

class PostgresStoreTest : public ::testing::Test {
protected:
    static void SetUpTestSuite() { server_ = new PostgresServer(); }
    static void TearDownTestSuite() {
        delete server_;
        server_ = nullptr;
    }
    void SetUp() override {
        core::Postgres db(server_->dsn());
        db.exec("DROP SCHEMA public CASCADE", {}, "empty the database");
        db.exec("CREATE SCHEMA public", {}, "empty the database");
    }
    std::string dsn() const { return server_->dsn(); }
    std::unique_ptr<core::PostgresStore> shared() const {
        return std::make_unique<core::PostgresStore>(dsn(), [](core::Postgres&) {});
    }

    static PostgresServer* server_;
    TempDir dir_;
};

PostgresServer* PostgresStoreTest::server_ = nullptr;

TEST(PostgresStoreTranslation, ReadsTheModulesSqliteStatements) {
    using core::PostgresStore;
    EXPECT_EQ(PostgresStore::translated("INSERT INTO t(a, b) VALUES(?,?) ON CONFLICT(a) DO "
                                        "UPDATE SET b=excluded.b",
                                        false),
              "INSERT INTO t(a, b) VALUES($1,$2) ON CONFLICT(a) DO UPDATE SET b=excluded.b");
    EXPECT_EQ(PostgresStore::translated("WHERE ?1 = '' OR alert_id = ?1 LIMIT ?2", false),
              "WHERE $1 = '' OR alert_id = $1 LIMIT $2");
    EXPECT_EQ(PostgresStore::translated("CREATE TABLE IF NOT EXISTS x (k TEXT PRIMARY KEY,"
                                        " n INTEGER NOT NULL)",
                                        true),
              "CREATE TABLE IF NOT EXISTS x (k TEXT PRIMARY KEY, n BIGINT NOT NULL, rowid "
              "BIGSERIAL)");
}

// The same calls on both stores give the same answers.
TEST_F(PostgresStoreTest, KeepsWhatTheSqliteStoreKeepsTheSameWay) {
    core::SqliteStore sqlite(dir_.file("t.db"));
    auto pg = shared();
    for (core::Store* store : {static_cast<core::Store*>(&sqlite), static_cast<core::Store*>(pg.get())}) {
        store->put_alert({"fp-1", "firing", R"({"v":1})", 100});
        store->put_alert({"fp-2", "firing", R"({"v":2})", 50});
        store->put_alert({"fp-1", "resolved", R"({"v":3})", 200});
        store->put_silence({"s-1", "active", "{}", 10});
        const auto a = store->put_pending("slack", "first");
        const auto b = store->put_pending("slack", "second");
        store->put_pending("teams", "third");
        store->drop_pending(b);
        EXPECT_LT(a, b);
        store->append_dead_letter({5, "slack", "a1", "firing", 8, "HTTP 500", "{}"});
        store->append_dead_letter({6, "slack", "a2", "firing", 8, "HTTP 500", "{}"});
        store->append_dead_letter({7, "teams", "a2", "firing", 3, "HTTP 400", "{}"});
    }
    auto same = [](const auto& x, const auto& y, auto&& field) {
        ASSERT_EQ(x.size(), y.size());
        for (std::size_t i = 0; i < x.size(); ++i) {
            EXPECT_EQ(field(x[i]), field(y[i])) << i;
        }
    };
    const auto doc = [](const core::Store::Document& d) {
        return d.key + "|" + d.state + "|" + d.body + "|" + std::to_string(d.updated_ms);
    };
    same(sqlite.load_alerts(), pg->load_alerts(), doc);
    EXPECT_EQ(pg->load_alerts().size(), 2U);
    EXPECT_EQ(pg->load_alerts().back().state, "resolved");
    same(sqlite.load_silences(), pg->load_silences(), doc);
    same(sqlite.load_pending(), pg->load_pending(),
         [](const core::Store::Pending& p) { return p.receiver + "|" + p.body; });
    EXPECT_EQ(pg->load_pending().size(), 2U);
    same(sqlite.load_dead_letters(2), pg->load_dead_letters(2),
         [](const core::Store::DeadLetter& d) { return d.alert_id + "|" + d.receiver; });
    EXPECT_EQ(sqlite.count_dead_letters(), pg->count_dead_letters());
    EXPECT_EQ(pg->count_dead_letters().at("slack"), 2U);
    // Replay guards: first use, a repeat, and a use again after the first expired.
    for (core::Store* store : {static_cast<core::Store*>(&sqlite), static_cast<core::Store*>(pg.get())}) {
        EXPECT_TRUE(store->first_use("sendgrid", "sig-1", 1000, 2000));
        EXPECT_FALSE(store->first_use("sendgrid", "sig-1", 1500, 2500));
        EXPECT_TRUE(store->first_use("mailgun", "sig-1", 1500, 2500));
        EXPECT_TRUE(store->first_use("sendgrid", "sig-1", 2001, 3000));
    }
    // Pipeline state is not kept here: reads find nothing, writes say why.
    EXPECT_FALSE(pg->load_checkpoint());
    EXPECT_TRUE(pg->load_snapshots().empty());
    EXPECT_THROW(pg->save_checkpoint({}, {}), std::logic_error);
}

TEST_F(PostgresStoreTest, TheAuditChainIsOneChainFromEveryNodeAndAnEditBreaksIt) {
    auto node1 = shared();
    auto node2 = shared();
    for (int i = 0; i < 6; ++i) {
        (i % 2 == 0 ? node1 : node2)
            ->append_audit({1000 + i, i < 3 ? "a1" : "a2", "acknowledge", "person " + std::to_string(i),
                            "", "done"});
    }
    EXPECT_EQ(node1->verify_audit(), 0);
    EXPECT_EQ(node2->verify_audit(), 0);
    const auto a2 = node2->load_audit("a2", 2);
    ASSERT_EQ(a2.size(), 2U);
    EXPECT_EQ(a2[0].actor, "person 4");
    EXPECT_EQ(a2[1].actor, "person 5");
    EXPECT_EQ(a2[1].prev_hash, a2[0].hash);
    EXPECT_EQ(node1->load_audit("", 100).size(), 6U);
    core::Postgres db(dsn());
    const auto third = db.exec("SELECT seq FROM audit ORDER BY seq OFFSET 2 LIMIT 1", {}, "find")
                           .rows.at(0)
                           .at(0)
                           .value();
    db.exec("UPDATE audit SET actor = 'someone else' WHERE seq = $1", {third}, "tamper");
    EXPECT_EQ(node1->verify_audit(), std::stoll(third));
}

TEST_F(PostgresStoreTest, OverrideExecutionsAndChatMessageReferencesRunOnIt) {
    auto pg = shared();
    alerts::Executions runs(*pg);
    alerts::MessageRefs refs(*pg);
    runs.put({"k-1", "a1", "pause_campaign", "ana", "pending", 0, "", 100, 100, 0});
    runs.put({"k-2", "a2", "pause_campaign", "ben", "done", 1, "HTTP 200", 100, 150, 5000});
    runs.put({"k-0", "a1", "route_to_human", "ana", "reverting", 2, "", 100, 160, 0});
    runs.put({"k-1", "a1", "pause_campaign", "ana", "done", 1, "HTTP 200", 100, 200, 9000});
    const auto of_a1 = runs.of_alert("a1");
    ASSERT_EQ(of_a1.size(), 2U);
    EXPECT_EQ(of_a1[0].key, "k-1");  // same created_ms: in the order they were first written
    EXPECT_EQ(of_a1[1].key, "k-0");
    EXPECT_EQ(runs.of_alert("").size(), 3U);
    ASSERT_TRUE(runs.find("k-1"));
    EXPECT_EQ(runs.find("k-1")->state, "done");
    EXPECT_EQ(runs.find("k-1")->revert_at_ms, 9000);
    EXPECT_EQ(runs.find("k-1")->attempts, 1);
    EXPECT_FALSE(runs.find("k-9"));
    ASSERT_EQ(runs.unfinished().size(), 1U);
    EXPECT_EQ(runs.unfinished()[0].key, "k-0");
    EXPECT_EQ(runs.due_reverts(6000).size(), 1U);
    EXPECT_EQ(runs.due_reverts(10000).size(), 2U);
    refs.put("slack", "a1", "ts-1");
    refs.put("slack", "a1", "ts-2");
    refs.put("teams", "a1", "m-1");
    EXPECT_EQ(refs.of_receiver("slack"), (std::map<std::string, std::string>{{"a1", "ts-2"}}));
}

TEST_F(PostgresStoreTest, AFencedWriteChangesNothing) {
    std::atomic<bool> fenced{false};
    core::PostgresStore store(dsn(), [&](core::Postgres&) {
        if (fenced) {
            throw std::runtime_error("no longer the leader");
        }
    });
    store.put_alert({"fp-1", "firing", "{}", 1});
    store.append_audit({1, "a1", "raise", "terrain", "", "done"});
    fenced = true;
    EXPECT_THROW(store.put_alert({"fp-1", "resolved", "{}", 2}), std::runtime_error);
    EXPECT_THROW(store.atomically([&] {
        store.put_alert({"fp-2", "firing", "{}", 3});
        store.append_audit({3, "a2", "raise", "terrain", "", "done"});
    }),
                 std::runtime_error);
    EXPECT_THROW(store.put_pending("slack", "x"), std::runtime_error);
    EXPECT_THROW(store.first_use("slack", "sig", 1, 2), std::runtime_error);
    fenced = false;
    const auto alerts = store.load_alerts();
    ASSERT_EQ(alerts.size(), 1U);
    EXPECT_EQ(alerts[0].state, "firing");
    EXPECT_EQ(store.load_audit("", 10).size(), 1U);
    EXPECT_TRUE(store.load_pending().empty());
    EXPECT_TRUE(store.first_use("slack", "sig", 1, 2));  // the refused use was not remembered
}

// Keeps what it is handed.
class RecordingSink final : public core::FindingSink {
public:
    void on_finding(const core::Finding& f) override { findings.push_back(f); }
    void on_series_idle(const std::string& metric, const core::Labels& labels) override {
        idle.emplace_back(metric, labels);
    }
    std::vector<core::Finding> findings;
    std::vector<std::pair<std::string, core::Labels>> idle;
};

TEST_F(PostgresStoreTest, FindingsReachTheLeaderWholeInOrderAndOnlyFromTheirPartitionsOwner) {
    const core::Config config = monitor::default_config();
    const core::MetricConfig* pair_metric = nullptr;
    for (const auto& m : config.metrics) {
        pair_metric = m.pair && pair_metric == nullptr ? &m : pair_metric;
    }
    ASSERT_NE(pair_metric, nullptr);
    core::Postgres db(dsn());
    db.exec("CREATE TABLE terrain_partitions (topic text, part integer, epoch bigint)", {},
            "make the partitions");
    db.exec("INSERT INTO terrain_partitions VALUES ('t', 0, 1)", {}, "own a partition");
    monitor::FindingsQueue queue(dsn(), config);
    auto owner = queue.for_partition("t", 0, 1);
    core::Finding f;
    f.metric = pair_metric->name;
    f.detector = "disagreement";
    f.labels = {{"campaign", "spring-sale"}, {"provider", "gmail.com"}};
    f.window_start_ms = 1000;
    f.window_end_ms = 301000;
    f.evaluated = f.anomalous = true;
    f.observed = 0.52;
    f.claim = 0.98;  // claim_expected stays NaN
    f.reason = "0.52% is above 0.30%";
    f.signals = {{900, "zendesk", "ticket.created", "T-1"}};
    owner->on_finding(f);
    owner->on_series_idle("opens", {{"campaign", "spring-sale"}});
    // The partition moved on (a new owner raised its epoch): this one adds nothing now.
    db.exec("UPDATE terrain_partitions SET epoch = 2", {}, "take the partition over");
    f.window_end_ms = 601000;
    owner->on_finding(f);
    EXPECT_EQ(queue.queued(), 2U);
    RecordingSink sink;
    const auto no_fence = [](core::Postgres&) {};
    EXPECT_EQ(queue.drain(sink, 1, no_fence), 1U);
    EXPECT_EQ(queue.drain(sink, 10, no_fence), 1U);
    EXPECT_EQ(queue.drain(sink, 10, no_fence), 0U);
    ASSERT_EQ(sink.findings.size(), 1U);
    const auto& got = sink.findings[0];
    EXPECT_EQ(got.metric, f.metric);
    EXPECT_EQ(got.labels, f.labels);
    EXPECT_EQ(got.window_end_ms, 301000);
    EXPECT_TRUE(got.anomalous);
    EXPECT_DOUBLE_EQ(got.observed, 0.52);
    EXPECT_DOUBLE_EQ(got.claim, 0.98);
    EXPECT_TRUE(std::isnan(got.claim_expected));
    EXPECT_EQ(got.reason, f.reason);
    ASSERT_EQ(got.signals.size(), 1U);
    EXPECT_EQ(got.signals[0].id, "T-1");
    EXPECT_EQ(got.pair, &*pair_metric->pair);  // the pair's words, from the leader's config
    ASSERT_EQ(sink.idle.size(), 1U);
    EXPECT_EQ(sink.idle[0].first, "opens");
    // A row that cannot be read (written by hand, or by a build that wrote another shape) is
    // dropped with a log line; it does not hold up the findings behind it.
    db.exec("INSERT INTO terrain_findings(kind, body) VALUES ('finding', '{\"metric\": 1}')", {},
            "queue a broken finding");
    owner->on_series_idle("opens", {{"campaign", "winter"}});  // fenced out: epoch 2 now
    queue.for_partition("t", 0, 2)->on_series_idle("opens", {{"campaign", "winter"}});
    EXPECT_EQ(queue.drain(sink, 10, no_fence), 2U);
    EXPECT_EQ(sink.findings.size(), 1U);
    ASSERT_EQ(sink.idle.size(), 2U);
    EXPECT_EQ(sink.idle[1].second, (core::Labels{{"campaign", "winter"}}));
    // A leader that lost its lease hands findings on but cannot delete them: they stay queued
    // for the next one.
    auto again = queue.for_partition("t", 0, 2);
    again->on_finding(f);
    RecordingSink stale;
    EXPECT_THROW(queue.drain(stale, 10,
                             [](core::Postgres&) { throw std::runtime_error("lease gone"); }),
                 std::runtime_error);
    EXPECT_EQ(queue.queued(), 1U);
}

TEST_F(PostgresStoreTest, FindingsAreHeldBackWhilePostgresRefusesThemAndQueuedByTheCheckpoint) {
    core::Postgres db(dsn());
    db.exec("CREATE TABLE terrain_partitions (topic text, part integer, epoch bigint)", {},
            "make the partitions");
    db.exec("INSERT INTO terrain_partitions VALUES ('t', 0, 1)", {}, "own a partition");
    const core::Config config = monitor::default_config();
    monitor::FindingsQueue queue(dsn(), config);
    auto sink = queue.for_partition("t", 0, 1);
    db.exec("ALTER TABLE terrain_findings RENAME TO findings_away", {}, "take the queue away");
    sink->on_series_idle("opens", {{"campaign", "a"}});  // refused: held back, no throw
    sink->on_series_idle("opens", {{"campaign", "b"}});
    EXPECT_EQ(sink->held_back(), 2U);
    EXPECT_THROW(sink->flush(), std::runtime_error);  // what a checkpoint calls first
    db.exec("ALTER TABLE findings_away RENAME TO terrain_findings", {}, "bring it back");
    sink->flush();
    EXPECT_EQ(sink->held_back(), 0U);
    RecordingSink got;
    EXPECT_EQ(queue.drain(got, 10, [](core::Postgres&) {}), 2U);
    ASSERT_EQ(got.idle.size(), 2U);
    EXPECT_EQ(got.idle[0].second, (core::Labels{{"campaign", "a"}}));
    EXPECT_EQ(got.idle[1].second, (core::Labels{{"campaign", "b"}}));
}

// A term that only says it ran (and takes findings in without a word: none are queued).
class CountingTerm final : public monitor::AlertLeader::Term, core::FindingSink {
public:
    explicit CountingTerm(std::atomic<int>& live) : live_(live) { ++live_; }
    ~CountingTerm() override { --live_; }
    core::FindingSink& findings() override { return *this; }
    void on_finding(const core::Finding&) override {}
    void on_series_idle(const std::string&, const core::Labels&) override {}
    core::HttpResponse answer(const core::HttpRequest&) override {
        return core::HttpResponse::json(200, "{}");
    }
    void stop() override {}

private:
    std::atomic<int>& live_;
};

TEST_F(PostgresStoreTest, OneNodeAtATimeLeadsTheAlertingAndAnotherTakesOverWhenItStops) {
    core::Config config = monitor::default_config();
    config.cluster.enabled = true;
    setenv("TERRAIN_TEST_LEASE_DSN", dsn().c_str(), 1);
    config.cluster.postgres.env = "TERRAIN_TEST_LEASE_DSN";
    std::atomic<int> live{0};
    core::Telemetry telemetry;
    auto make = [&](core::Store&) { return std::make_unique<CountingTerm>(live); };
    auto one = std::make_unique<monitor::AlertLeader>(config, "node-1", make, telemetry);
    auto two = std::make_unique<monitor::AlertLeader>(config, "node-2", make, telemetry);
    one->start();
    two->start();
    ASSERT_TRUE(eventually([&] { return one->leading() || two->leading(); },
                           std::chrono::seconds(10)));
    // For three renewals, exactly one leads.
    for (int i = 0; i < 3; ++i) {
        EXPECT_NE(one->leading(), two->leading());
        EXPECT_EQ(live.load(), 1);
        std::this_thread::sleep_for(std::chrono::seconds(1));
    }
    auto& leader = one->leading() ? one : two;
    auto& other = one->leading() ? two : one;
    EXPECT_EQ(other->status()["leader"], leader->status()["leader"]);
    const auto stopped = std::chrono::steady_clock::now();
    leader->stop();  // gives the lease up: the other takes it at its next renewal
    ASSERT_TRUE(eventually([&] { return other->leading(); }, std::chrono::seconds(10)));
    EXPECT_LT(std::chrono::steady_clock::now() - stopped, std::chrono::seconds(3));
    EXPECT_EQ(live.load(), 1);
    EXPECT_GT(other->status()["epoch"].get<std::int64_t>(), 1);
    other->stop();
    EXPECT_EQ(live.load(), 0);
}

}  // namespace
}  // namespace terrain::testing
