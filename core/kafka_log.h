#pragma once

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "core/config.h"
#include "core/event_log.h"

struct rd_kafka_s;
struct rd_kafka_conf_s;

namespace terrain::core {

// The scale-out mode's event log (docs/cluster.md): an accepted batch is produced to the
// cluster's Kafka topic by an idempotent producer with acks=all, and append() returns only
// once every broker in sync has it, in place of the local log's fdatasync.
//
// A batch is split by partition key (partition_key below) so that each series and pair is
// judged whole by the node that owns its partition; each part is one Kafka message (the
// local log's record format, encode_batch). When no broker has answered the last health check,
// or a part is not acknowledged within cluster.produce_timeout, append() throws and the
// request is refused with 503: the parts already acknowledged stay in the topic, and the
// vendor's retry is recognised by event id where the node consuming them de-duplicates.
// Thread-safe.
class KafkaLog final : public DurableLog {
public:
    explicit KafkaLog(const ClusterConfig& config);
    ~KafkaLog() override;
    KafkaLog(const KafkaLog&) = delete;
    KafkaLog& operator=(const KafkaLog&) = delete;

    void append(const std::string& source, const std::vector<Event>& events) override;
    bool writable() override { return reachable_.load(); }

    // Creates the topic with cluster.partitions and cluster.replication when it does not exist
    // (min.insync.replicas 2 when replicated three times or more). Throws naming the problem.
    void ensure_topic();
    // Asks the brokers for metadata (at most `timeout_ms`); the answer is what writable() says.
    bool check(int timeout_ms);

    // The partition key of an event: its campaign, else the source it came from.
    static const std::string& partition_key(const std::string& source, const Event& event);

private:
    const ClusterConfig config_;
    rd_kafka_s* rk_ = nullptr;
    std::atomic<bool> reachable_{true};
};

// cluster.brokers as librdkafka's bootstrap.servers.
std::string kafka_brokers(const ClusterConfig& config);
// Sets one librdkafka property; throws naming it (and destroys `conf`) when refused.
void kafka_set(rd_kafka_conf_s* conf, const char* key, const std::string& value);

}  // namespace terrain::core
