#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "alerts/manager.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/intake.h"
#include "core/kafka_log.h"
#include "core/postgres.h"
#include "core/telemetry.h"
#include "detectors/detector.h"
#include "monitor/findings_queue.h"
#include "monitor/pipeline.h"

struct rd_kafka_s;
struct rd_kafka_topic_partition_list_s;

namespace terrain::monitor {

// One node of the scale-out mode (docs/cluster.md). Its consumer joins the cluster's consumer
// group on the event topic; each partition it is given gets a pipeline of its own, restored
// from the partition's checkpoint in PostgreSQL (windows, detector state, the event ids it has
// counted, the offset they cover) and fed from that offset on, so that no event is counted
// twice or skipped when a partition moves between nodes. Checkpoints are written every
// pipeline.checkpoint_interval, when a partition is taken away, and on stop; each is fenced by
// the partition's epoch (raised by every new owner), so a node that lost a partition without
// knowing (a pause, a network split) cannot overwrite its new owner's checkpoint.
//
// Findings of every partition go to the findings queue, fenced by the partition's epoch, for the
// node that leads the alerting (monitor/leader.h). A health thread asks Kafka and
// PostgreSQL every 2 s; ready() is false while either does not answer.
class ClusterNode final {
public:
    ClusterNode(const core::Config& config, const detectors::Registry& registry,
                FindingsQueue& findings, core::Telemetry& telemetry,
                const core::Clock& clock, core::KafkaLog& log);
    ~ClusterNode();
    ClusterNode(const ClusterNode&) = delete;
    ClusterNode& operator=(const ClusterNode&) = delete;

    // Creates the topic if needed, then starts consuming. Throws when PostgreSQL cannot be
    // reached or the topic cannot be made.
    void start();
    // Checkpoints every owned partition and leaves the group (its partitions move at once).
    void stop();
    bool ready() const;
    nlohmann::json status() const;
    const std::string& node() const { return node_; }

private:
    struct Partition {
        std::int32_t id = 0;
        std::int64_t epoch = 0;
        std::int64_t next_offset = 0;  // the next message to take in
        std::unique_ptr<core::Intake> ids;  // de-duplicates by event id (nothing is queued)
        std::unique_ptr<FindingsQueue::PartitionSink> findings;  // see FindingsQueue
        std::unique_ptr<Pipeline> pipeline;
    };

    void run();
    void health();
    void rebalance(int err, rd_kafka_topic_partition_list_s* partitions);
    void assign(rd_kafka_topic_partition_list_s* partitions);
    void take_in(std::int32_t partition, std::int64_t offset, std::string_view payload);
    // Saves one partition's checkpoint; false when another node has taken it (fenced).
    bool checkpoint(Partition& p);
    void checkpoint_all();
    void drop_all();
    void publish();

    const core::Config& config_;
    const detectors::Registry& registry_;
    FindingsQueue& findings_;
    core::Telemetry& telemetry_;
    const core::Clock& clock_;
    core::KafkaLog& log_;
    const std::string dsn_;
    std::string node_;
    std::unique_ptr<core::Postgres> db_;  // the consumer thread's
    rd_kafka_s* consumer_ = nullptr;
    std::map<std::int32_t, Partition> owned_;  // consumer thread only
    std::thread thread_;
    std::thread health_thread_;
    std::atomic<bool> stopping_{false};
    std::atomic<bool> kafka_up_{false};
    std::atomic<bool> postgres_up_{false};
    std::atomic<bool> consuming_{false};
    std::int64_t last_checkpoint_ms_ = 0;
    mutable std::mutex status_mutex_;
    nlohmann::json status_;
};

}  // namespace terrain::monitor
