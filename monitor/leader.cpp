#include "monitor/leader.h"

#include <chrono>

#include "core/json_poster.h"
#include "core/log.h"
#include "monitor/metrics.h"

namespace terrain::monitor {

namespace {

std::int64_t steady_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

core::HttpResponse unavailable(const std::string& reason, const std::string& message) {
    auto r = core::HttpResponse::error(503, reason, message);
    r.headers.emplace_back("Retry-After", "2");
    return r;
}

// Marks a request one node passed on, so the next does not pass it on again.
constexpr const char* kForwarded = "x-terrain-forwarded-by";

// The lease's fence: a write goes through only while `epoch` is the lease's and runs; the row
// is share-locked until the write commits, so a new leader's term begins after it.
core::PostgresStore::Fence fence_of(std::int64_t epoch) {
    return [epoch](core::Postgres& db) {
        if (db.exec("SELECT 1 FROM terrain_leader WHERE id = 1 AND epoch = $1 "
                    "AND expires > clock_timestamp() FOR SHARE",
                    {std::to_string(epoch)}, "check the alerting lease")
                .rows.empty()) {
            throw std::runtime_error("this node no longer leads the alerting (its lease of epoch " +
                                     std::to_string(epoch) + " ended)");
        }
    };
}

}  // namespace

AlertLeader::AlertLeader(const core::Config& config, std::string node, MakeTerm make,
                         core::Telemetry& telemetry)
    : config_(config),
      dsn_(core::resolve_secret(config.cluster.postgres)),
      node_(std::move(node)),
      url_(config.cluster.advertise.empty() ? "http://" + config.server.listen
                                            : config.cluster.advertise),
      make_(std::move(make)),
      telemetry_(telemetry),
      db_(dsn_),
      queue_(dsn_, config) {
    db_.transaction([&] {
        db_.exec("SELECT pg_advisory_xact_lock(hashtext('terrain schema'))", {},
                 "make the alerting lease");
        db_.exec("CREATE TABLE IF NOT EXISTS terrain_leader (id INTEGER PRIMARY KEY "
                 "CHECK (id = 1), node TEXT NOT NULL, url TEXT NOT NULL, epoch BIGINT NOT NULL, "
                 "expires TIMESTAMPTZ NOT NULL)",
                 {}, "make the alerting lease");
    });
}

AlertLeader::~AlertLeader() { stop(); }

void AlertLeader::start() {
    try {  // who leads, known before the node serves (it takes the lease in its thread)
        read_leader();
    } catch (const std::exception& e) {
        core::log_warn(std::string("cluster: ") + e.what());
    }
    lease_thread_ = std::thread([this] { run(); });
    drain_thread_ = std::thread([this] { drain(); });
}

void AlertLeader::stop() {
    if (stopping_.exchange(true)) {
        return;
    }
    changed_.notify_all();
    if (lease_thread_.joinable()) {
        lease_thread_.join();
    }
    if (drain_thread_.joinable()) {
        drain_thread_.join();
    }
    std::int64_t epoch = 0;
    {
        std::lock_guard lock(mutex_);
        epoch = epoch_;
    }
    lose("the node stops");
    if (epoch > 0) {
        give_up(epoch);  // handed over at once rather than when the lease runs out
    }
}

void AlertLeader::give_up(std::int64_t epoch) {
    try {
        db_.exec("UPDATE terrain_leader SET expires = clock_timestamp() WHERE id = 1 AND "
                 "epoch = $1",
                 {std::to_string(epoch)}, "give up the alerting lease");
    } catch (const std::exception& e) {
        core::log_warn(std::string("cluster: ") + e.what());
    }
}

std::int64_t AlertLeader::claim() {
    std::int64_t mine = 0;
    {
        std::lock_guard lock(mutex_);
        mine = epoch_;
    }
    // Renewed while this node holds it (same epoch); taken with the next epoch once it ran out.
    const auto r = db_.exec(
        "INSERT INTO terrain_leader(id, node, url, epoch, expires) VALUES (1, $1, $2, 1, "
        "clock_timestamp() + $3::bigint * interval '1 millisecond') "
        "ON CONFLICT (id) DO UPDATE SET node = $1, url = $2, expires = excluded.expires, "
        "epoch = CASE WHEN terrain_leader.epoch = $4 AND terrain_leader.node = $1 "
        "THEN terrain_leader.epoch ELSE terrain_leader.epoch + 1 END "
        "WHERE (terrain_leader.epoch = $4 AND terrain_leader.node = $1) "
        "OR terrain_leader.expires < clock_timestamp() "
        "RETURNING epoch",
        {node_, url_, std::to_string(kLeaseMs), std::to_string(mine)}, "claim the alerting lease");
    if (!r.rows.empty()) {
        return std::stoll(r.rows[0][0].value_or("0"));
    }
    read_leader();
    return 0;
}

void AlertLeader::read_leader() {
    const auto who = db_.exec("SELECT node, url FROM terrain_leader WHERE id = 1 AND "
                              "expires > clock_timestamp()",
                              {}, "read the alerting lease");
    std::lock_guard lock(mutex_);
    leader_node_ = who.rows.empty() ? "" : who.rows[0][0].value_or("");
    leader_url_ = who.rows.empty() ? "" : who.rows[0][1].value_or("");
}

void AlertLeader::run() {
    auto& metrics = telemetry_.of<ClusterMetrics>();
    while (!stopping_) {
        try {
            const std::int64_t epoch = claim();
            std::int64_t held = 0;
            {
                std::lock_guard lock(mutex_);
                held = epoch_;
            }
            if (epoch == 0 && held > 0) {
                lose("another node holds the lease");
            } else if (epoch > 0 && epoch != held) {
                if (held > 0) {
                    lose("the lease was lost and taken again");
                }
                gain(epoch);
            }
            if (epoch > 0) {
                std::lock_guard lock(mutex_);
                renewed_ms_ = steady_ms();
            }
        } catch (const std::exception& e) {
            bool expired = false;
            {
                std::lock_guard lock(mutex_);
                expired = epoch_ > 0 && steady_ms() - renewed_ms_ > kLeaseMs;
            }
            if (expired) {
                lose(std::string("the lease could not be renewed: ") + e.what());
            }
        }
        metrics.alerting_leader.Set(leading() ? 1 : 0);
        std::unique_lock lock(mutex_);
        changed_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_.load(); });
    }
}

void AlertLeader::gain(std::int64_t epoch) {
    std::unique_ptr<Term> term;
    try {
        auto store = std::make_unique<core::PostgresStore>(dsn_, fence_of(epoch));
        term = make_(*store);
        // The term's parts use the store for their whole life: it goes with the term.
        struct Owned final : Term {
            std::unique_ptr<core::PostgresStore> store;
            std::unique_ptr<Term> inner;
            core::FindingSink& findings() override { return inner->findings(); }
            core::HttpResponse answer(const core::HttpRequest& r) override {
                return inner->answer(r);
            }
            void stop() override { inner->stop(); }
            ~Owned() override { inner.reset(); }
        };
        auto owned = std::make_unique<Owned>();
        owned->inner = std::move(term);
        owned->store = std::move(store);
        term = std::move(owned);
    } catch (const std::exception& e) {
        core::log_error("cluster: node " + node_ + " holds the alerting lease (epoch " +
                        std::to_string(epoch) + ") but cannot start the alert side: " + e.what() +
                        "; it gives the lease up");
        give_up(epoch);  // another node (or this one) takes it at its next renewal
        return;
    }
    std::lock_guard lock(mutex_);
    term_ = std::move(term);
    epoch_ = epoch;
    renewed_ms_ = steady_ms();
    ++terms_;
    changed_.notify_all();
    core::log_info("cluster: node " + node_ + " leads the alerting (lease epoch " +
                   std::to_string(epoch) + ")");
}

void AlertLeader::lose(const std::string& why) {
    std::shared_ptr<Term> term;
    {
        std::lock_guard lock(mutex_);
        term = std::move(term_);
        term_.reset();
        if (epoch_ > 0) {
            core::log_warn("cluster: node " + node_ + " no longer leads the alerting (epoch " +
                           std::to_string(epoch_) + "): " + why);
        }
        epoch_ = 0;
    }
    if (term) {
        term->stop();
    }
}

void AlertLeader::drain() {
    auto& handed = telemetry_.of<ClusterMetrics>().findings_handed;
    while (!stopping_) {
        std::shared_ptr<Term> term;
        std::int64_t epoch = 0;
        {
            std::unique_lock lock(mutex_);
            changed_.wait_for(lock, std::chrono::milliseconds(200),
                              [&] { return stopping_.load(); });
            term = term_;
            epoch = epoch_;
        }
        if (!term || stopping_) {
            continue;
        }
        try {
            std::size_t n = 0;
            while ((n = queue_.drain(term->findings(), 500, fence_of(epoch))) > 0 && !stopping_) {
                handed.Increment(static_cast<double>(n));
            }
        } catch (const std::exception& e) {
            core::log_warn(std::string("cluster: findings stay queued: ") + e.what());
        }
    }
}

core::HttpResponse AlertLeader::answer(const core::HttpRequest& req) {
    std::shared_ptr<Term> term;
    std::string url;
    {
        std::lock_guard lock(mutex_);
        term = term_;
        url = leader_url_;
    }
    if (term) {
        return term->answer(req);
    }
    if (req.header(kForwarded) != nullptr) {
        return unavailable("not_leading", "this node was named the alerting leader but does not "
                                          "lead it now; retry");
    }
    if (url.empty() || url == url_) {
        return unavailable("no_alerting_leader",
                           "no node leads the alerting at the moment (one takes over within " +
                               std::to_string(kLeaseMs / 1000 + 1) + " s); retry");
    }
    core::HttpHeaders headers;
    for (const auto& [k, v] : req.headers) {
        // The door checks of origin were made here; the leader sees a request of this node.
        if (k != "host" && k != "content-length" && k != "connection" &&
            k != "transfer-encoding" && k != "expect" && k != "origin" &&
            k != "sec-fetch-site" && k != "referer") {
            headers.emplace_back(k, v);
        }
    }
    headers.emplace_back(kForwarded, node_);
    const auto reply = core::http_call(req.method,
                                       url + req.path + (req.query.empty() ? "" : "?" + req.query),
                                       headers, req.body, 10'000);
    if (!reply.error.empty()) {
        return unavailable("alerting_leader_unreachable",
                           "the node leading the alerting (" + url + ") did not answer: " +
                               reply.error + "; retry");
    }
    core::HttpResponse out;
    out.status = reply.status;
    out.body = reply.body;
    for (const auto& [k, v] : reply.headers) {
        std::string lower = k;
        for (auto& c : lower) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        if (lower == "content-type") {
            out.content_type = v;
        } else if (lower != "content-length" && lower != "connection" &&
                   lower != "transfer-encoding" && lower != "keep-alive" && lower != "date" &&
                   lower != "server") {
            out.headers.emplace_back(k, v);  // the leader's own: Retry-After, the inbox's CSP
        }
    }
    return out;
}

bool AlertLeader::leading() const {
    std::lock_guard lock(mutex_);
    return term_ != nullptr;
}

nlohmann::json AlertLeader::status() const {
    std::lock_guard lock(mutex_);
    return {{"leading", term_ != nullptr},
            {"epoch", epoch_},
            {"leader", term_ ? node_ : leader_node_},
            {"leader_url", term_ ? url_ : leader_url_},
            {"terms", terms_}};
}

}  // namespace terrain::monitor
