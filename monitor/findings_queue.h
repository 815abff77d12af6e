#pragma once

#include <chrono>
#include <cstddef>
#include <deque>
#include <utility>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "core/config.h"
#include "core/finding.h"
#include "core/postgres.h"
#include "core/postgres_store.h"

namespace terrain::monitor {

// The scale-out mode's findings on their way to the node that leads the alerting
// (docs/cluster.md). Each partition's pipeline puts its findings into the table
// terrain_findings; the insert is done before the pipeline goes on, so a checkpoint never
// covers a window whose findings are not queued. The leader takes them oldest first, hands them
// to its alert manager and deletes them, fenced by its lease. A finding handed on twice (a
// partition replayed from its checkpoint after a failover, a leader that died before deleting)
// changes nothing: the alert manager ignores windows it has already judged. Thread-safe.
class FindingsQueue final {
public:
    FindingsQueue(const std::string& dsn, const core::Config& config);

    // The sink of one partition's pipeline: its findings are queued only while `epoch` is the
    // partition's (terrain_partitions), so a node that lost the partition without knowing (a
    // long pause) adds nothing; its new owner judges the same windows. While PostgreSQL does
    // not answer, findings are held back in order (tried again at most once a second), and
    // flush() queues them or throws: the partition's checkpoint calls it first, so no
    // checkpoint covers a window whose findings are not queued (after a crash the replay from
    // the last checkpoint finds them again).
    class PartitionSink final : public core::FindingSink {
    public:
        PartitionSink(FindingsQueue& queue, std::string topic, std::int32_t partition,
                      std::int64_t epoch);
        void on_finding(const core::Finding& finding) override;
        void on_series_idle(const std::string& metric, const core::Labels& labels) override;
        void flush();
        std::size_t held_back() const { return held_.size(); }

    private:
        void add(std::string kind, std::string body);

        FindingsQueue& queue_;
        const std::string topic_;
        const std::int32_t partition_;
        const std::int64_t epoch_;
        std::deque<std::pair<std::string, std::string>> held_;  // kind, body
        std::chrono::steady_clock::time_point failed_at_{};
    };
    std::unique_ptr<PartitionSink> for_partition(std::string topic, std::int32_t partition,
                                                 std::int64_t epoch);

    // Hands up to `max` queued findings to `to`, oldest first, and deletes them in a
    // transaction that `fence` may refuse (then they stay queued). Returns how many.
    std::size_t drain(core::FindingSink& to, std::size_t max,
                      const core::PostgresStore::Fence& fence);
    std::size_t queued();

    // A finding as the queue keeps it, and back (the pair's words from `config`).
    static nlohmann::json to_json(const core::Finding& finding);
    static core::Finding from_json(const nlohmann::json& j, const core::Config& config);

private:
    struct Owner {
        std::string topic;
        std::int32_t partition = 0;
        std::int64_t epoch = 0;
    };
    void put(const std::string& kind, const std::string& body, const Owner& owner);

    const core::Config& config_;
    std::mutex mutex_;
    core::Postgres db_;
};

}  // namespace terrain::monitor
