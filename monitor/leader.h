#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/finding.h"
#include "core/http.h"
#include "core/postgres.h"
#include "core/postgres_store.h"
#include "core/telemetry.h"
#include "monitor/findings_queue.h"

namespace terrain::monitor {

// The scale-out mode's alerting (docs/cluster.md): one node at a time leads it, holding a
// lease in PostgreSQL (table terrain_leader: node, URL, epoch, expiry) that it renews every
// second and that runs out kLease after the last renewal. The leader runs the alert side
// (alerts, people's actions, notifications, overrides: a Term) on a PostgresStore whose every
// write is fenced by the lease's epoch, and hands it the partitions' findings from the
// FindingsQueue. Every other node passes the alert and people routes on to the leader's URL.
// A node that gains the lease builds its term from what PostgreSQL holds; one that loses it
// (PostgreSQL unanswered for longer than the lease, a long pause) stops its term at once.
class AlertLeader final {
public:
    static constexpr std::int64_t kLeaseMs = 6000;

    // What a node runs while it leads: made on the shared store when the lease is gained,
    // stopped and destroyed when it is lost or the node stops.
    class Term {
    public:
        virtual ~Term() = default;
        virtual core::FindingSink& findings() = 0;
        virtual core::HttpResponse answer(const core::HttpRequest& req) = 0;
        virtual void stop() = 0;
    };
    using MakeTerm = std::function<std::unique_ptr<Term>(core::Store& store)>;

    AlertLeader(const core::Config& config, std::string node, MakeTerm make,
                core::Telemetry& telemetry);
    ~AlertLeader();
    AlertLeader(const AlertLeader&) = delete;
    AlertLeader& operator=(const AlertLeader&) = delete;

    void start();
    // Stops the term (if leading) and gives the lease up, so another node takes over at once.
    void stop();

    // An alert or people request: answered by the term here, or passed on to the leader.
    core::HttpResponse answer(const core::HttpRequest& req);
    bool leading() const;
    nlohmann::json status() const;

private:
    void run();
    void drain();
    // Renews or takes the lease; the epoch held after it (0: another node holds it).
    std::int64_t claim();
    // Lets the lease of `epoch` run out now (errors logged).
    void give_up(std::int64_t epoch);
    // Who holds the lease (another node's name and URL, or none).
    void read_leader();
    void gain(std::int64_t epoch);
    void lose(const std::string& why);

    const core::Config& config_;
    const std::string dsn_;
    const std::string node_;
    const std::string url_;
    MakeTerm make_;
    core::Telemetry& telemetry_;
    core::Postgres db_;            // the lease thread's
    FindingsQueue queue_;          // the drain thread's
    std::atomic<bool> stopping_{false};
    std::thread lease_thread_;
    std::thread drain_thread_;
    mutable std::mutex mutex_;
    std::condition_variable changed_;
    std::shared_ptr<Term> term_;  // while leading
    std::int64_t epoch_ = 0;      // the lease's epoch while leading
    std::string leader_url_;      // another node's, when it leads
    std::string leader_node_;
    std::int64_t renewed_ms_ = 0;  // steady clock, the last successful renewal
    std::uint64_t terms_ = 0;
};

}  // namespace terrain::monitor
