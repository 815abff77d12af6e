#include "monitor/cluster.h"

#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "core/event_log.h"
#include "core/log.h"
#include "monitor/metrics.h"

namespace terrain::monitor {

namespace {

constexpr const char* kSchema =
    "CREATE TABLE IF NOT EXISTS terrain_partitions ("
    " topic text NOT NULL, part integer NOT NULL,"
    " epoch bigint NOT NULL DEFAULT 0, owner text,"
    " next_offset bigint NOT NULL DEFAULT 0,"
    " windows bytea, snapshots text, ids bytea,"
    " events bigint NOT NULL DEFAULT 0, saved_ms bigint NOT NULL DEFAULT 0,"
    " PRIMARY KEY (topic, part))";

std::string encode_snapshots(const std::vector<core::Store::Snapshot>& snapshots) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& s : snapshots) {
        out.push_back({s.metric, s.series_key, s.fed_until_ms, s.state});
    }
    return out.dump();
}

std::vector<core::Store::Snapshot> decode_snapshots(const std::string& text) {
    std::vector<core::Store::Snapshot> out;
    for (const auto& s : nlohmann::json::parse(text)) {
        out.push_back({s.at(0).get<std::string>(), s.at(1).get<std::string>(),
                       s.at(2).get<std::int64_t>(), s.at(3).get<std::string>()});
    }
    return out;
}

std::string default_node_name() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return std::string(host) + "-" + std::to_string(::getpid());
}

}  // namespace

ClusterNode::ClusterNode(const core::Config& config, const detectors::Registry& registry,
                         FindingsQueue& findings, core::Telemetry& telemetry,
                         const core::Clock& clock, core::KafkaLog& log)
    : config_(config),
      registry_(registry),
      findings_(findings),
      telemetry_(telemetry),
      clock_(clock),
      log_(log),
      dsn_(core::resolve_secret(config.cluster.postgres)),
      node_(config.cluster.node.empty() ? default_node_name() : config.cluster.node) {
    auto& m = telemetry_.of<ClusterMetrics>();
    for (int p = 0; p < config_.cluster.partitions; ++p) {
        m.partition_owned.Add({{"partition", std::to_string(p)}}).Set(0);
    }
    publish();
}

ClusterNode::~ClusterNode() { stop(); }

void ClusterNode::start() {
    db_ = std::make_unique<core::Postgres>(dsn_);
    // Several nodes starting at once may race to create the table; the loser sees it made.
    try {
        db_->exec(kSchema, {}, "create the partition checkpoint table");
    } catch (const std::exception&) {
        db_->exec(kSchema, {}, "create the partition checkpoint table");
    }
    log_.ensure_topic();
    kafka_up_ = log_.check(5000);
    postgres_up_ = true;

    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    core::kafka_set(conf, "bootstrap.servers", core::kafka_brokers(config_.cluster));
    core::kafka_set(conf, "group.id", config_.cluster.group);
    core::kafka_set(conf, "client.id", "terrain-" + node_);
    core::kafka_set(conf, "enable.auto.commit", "false");  // offsets live in the checkpoints
    core::kafka_set(conf, "enable.auto.offset.store", "false");
    core::kafka_set(conf, "auto.offset.reset", "earliest");
    core::kafka_set(conf, "partition.assignment.strategy", "roundrobin");
    core::kafka_set(conf, "session.timeout.ms", "6000");  // a killed node's partitions move within seconds
    core::kafka_set(conf, "heartbeat.interval.ms", "1000");
    core::kafka_set(conf, "log_level", "3");
    rd_kafka_conf_set_opaque(conf, this);
    rd_kafka_conf_set_rebalance_cb(
        conf, [](rd_kafka_t*, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t* parts,
                 void* self) { static_cast<ClusterNode*>(self)->rebalance(err, parts); });
    char err[512];
    consumer_ = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
    if (consumer_ == nullptr) {
        throw std::runtime_error(std::string("kafka: cannot make a consumer: ") + err);
    }
    rd_kafka_poll_set_consumer(consumer_);
    rd_kafka_topic_partition_list_t* topics = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(topics, config_.cluster.topic.c_str(),
                                      RD_KAFKA_PARTITION_UA);
    const auto r = rd_kafka_subscribe(consumer_, topics);
    rd_kafka_topic_partition_list_destroy(topics);
    if (r != RD_KAFKA_RESP_ERR_NO_ERROR) {
        throw std::runtime_error(std::string("kafka: cannot subscribe to ") +
                                 config_.cluster.topic + ": " + rd_kafka_err2str(r));
    }
    last_checkpoint_ms_ = clock_.now_ms();
    consuming_ = true;
    thread_ = std::thread([this] { run(); });
    health_thread_ = std::thread([this] { health(); });
    core::log_info("cluster: node " + node_ + " joined group " + config_.cluster.group +
                   " on topic " + config_.cluster.topic + " (" +
                   std::to_string(config_.cluster.partitions) + " partitions)");
}

void ClusterNode::stop() {
    if (!thread_.joinable()) {
        return;
    }
    stopping_ = true;
    thread_.join();
    health_thread_.join();
    consuming_ = false;
}

bool ClusterNode::ready() const {
    return consuming_.load() && kafka_up_.load() && postgres_up_.load();
}

void ClusterNode::health() {
    std::unique_ptr<core::Postgres> own;  // this thread's connection
    auto& m = telemetry_.of<ClusterMetrics>();
    while (!stopping_.load()) {
        const bool kafka = log_.check(1500);
        bool pg = false;
        try {
            if (!own) {
                own = std::make_unique<core::Postgres>(dsn_);
            }
            pg = own->reachable();
        } catch (const std::exception&) {
            own.reset();
        }
        if (kafka != kafka_up_.load()) {
            core::log_warn(std::string("cluster: Kafka ") + (kafka ? "answers again" : "does not answer"));
        }
        if (pg != postgres_up_.load()) {
            core::log_warn(std::string("cluster: PostgreSQL ") +
                           (pg ? "answers again" : "does not answer"));
        }
        kafka_up_ = kafka;
        postgres_up_ = pg;
        m.kafka_up.Set(kafka ? 1 : 0);
        m.postgres_up.Set(pg ? 1 : 0);
        for (int i = 0; i < 20 && !stopping_.load(); ++i) {
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
    }
}

void ClusterNode::run() {
    std::int64_t last_tick = clock_.now_ms();
    while (!stopping_.load()) {
        rd_kafka_message_t* msg = rd_kafka_consumer_poll(consumer_, 100);
        if (msg != nullptr) {
            if (msg->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
                take_in(msg->partition, msg->offset,
                        {static_cast<const char*>(msg->payload), msg->len});
            } else if (msg->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                core::log_warn(std::string("cluster: consumer: ") + rd_kafka_message_errstr(msg));
            }
            rd_kafka_message_destroy(msg);
        }
        const std::int64_t now = clock_.now_ms();
        if (now - last_tick >= 1000) {
            for (auto& [id, p] : owned_) {
                p.pipeline->tick();
            }
            publish();
            last_tick = now;
        }
        if (now - last_checkpoint_ms_ >= config_.pipeline.checkpoint_interval_ms) {
            checkpoint_all();
        }
    }
    checkpoint_all();
    drop_all();
    rd_kafka_consumer_close(consumer_);  // leaves the group: the others take over at once
    rd_kafka_destroy(consumer_);
    consumer_ = nullptr;
    publish();
}

void ClusterNode::take_in(std::int32_t partition, std::int64_t offset, std::string_view payload) {
    auto it = owned_.find(partition);
    if (it == owned_.end() || offset < it->second.next_offset) {
        return;  // not ours (any more), or already in the checkpoint it was restored from
    }
    auto& p = it->second;
    std::string source;
    std::vector<core::Event> events;
    if (!core::decode_batch(payload, source, events)) {
        core::log_error("cluster: partition " + std::to_string(partition) + " offset " +
                        std::to_string(offset) + " is not a terrain batch; skipped");
    } else {
        p.ids->replayed(source, events);
        p.pipeline->process(events);
    }
    p.next_offset = offset + 1;
}

void ClusterNode::rebalance(int err, rd_kafka_topic_partition_list_t* partitions) {
    telemetry_.of<ClusterMetrics>().rebalances.Increment();
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        assign(partitions);
    } else {
        // Taken away: what this node counted is saved before another node restores it.
        checkpoint_all();
        drop_all();
        rd_kafka_assign(consumer_, nullptr);
    }
    publish();
}

void ClusterNode::assign(rd_kafka_topic_partition_list_t* partitions) {
    const std::string& topic = config_.cluster.topic;
    rd_kafka_topic_partition_list_t* taken = rd_kafka_topic_partition_list_new(partitions->cnt);
    for (int i = 0; i < partitions->cnt; ++i) {
        const auto& tp = partitions->elems[i];
        const std::string part = std::to_string(tp.partition);
        Partition p;
        p.id = tp.partition;
        try {
            db_->exec("INSERT INTO terrain_partitions(topic, part) VALUES($1, $2) "
                      "ON CONFLICT DO NOTHING",
                      {topic, part}, "record a partition");
            auto r = db_->exec(
                "UPDATE terrain_partitions SET epoch = epoch + 1, owner = $3 "
                "WHERE topic = $1 AND part = $2 "
                "RETURNING epoch, next_offset, windows, snapshots, ids, events",
                {topic, part, node_}, "take over a partition");
            const auto& row = r.rows.at(0);
            p.epoch = std::stoll(*row[0]);
            p.next_offset = std::stoll(*row[1]);
            p.ids = std::make_unique<core::Intake>(1, config_.pipeline.dedup_capacity, telemetry_,
                                                   nullptr, core::Intake::HandOff::kLogOnly);
            p.findings = findings_.for_partition(config_.cluster.topic, p.id, p.epoch);
            p.pipeline = std::make_unique<Pipeline>(config_, registry_, *p.findings, *p.ids,
                                                    telemetry_, clock_);
            if (row[2]) {
                Pipeline::State state;
                state.windows = core::Postgres::from_bytea(*row[2]);
                state.snapshots = decode_snapshots(row[3].value_or("[]"));
                state.events = std::stoull(*row[5]);
                p.pipeline->restore_state(state);
                if (row[4] && !p.ids->restore_ids(core::Postgres::from_bytea(*row[4]))) {
                    core::log_error("cluster: partition " + part +
                                    ": the checkpoint's event ids are unreadable");
                }
            }
        } catch (const std::exception& e) {
            // Without its checkpoint the partition cannot be judged correctly: it is not
            // consumed here until the next rebalance gives it again.
            core::log_error("cluster: partition " + part + " not taken: " + e.what());
            continue;
        }
        rd_kafka_topic_partition_list_add(taken, topic.c_str(), p.id)->offset =
            p.next_offset > 0 ? p.next_offset : RD_KAFKA_OFFSET_BEGINNING;
        core::log_info("cluster: node " + node_ + " owns partition " + part + " (epoch " +
                       std::to_string(p.epoch) + ") from offset " +
                       std::to_string(p.next_offset));
        telemetry_.of<ClusterMetrics>().partition_owned.Add({{"partition", part}}).Set(1);
        owned_.emplace(p.id, std::move(p));
    }
    rd_kafka_assign(consumer_, taken);
    rd_kafka_topic_partition_list_destroy(taken);
}

bool ClusterNode::checkpoint(Partition& p) {
    auto& m = telemetry_.of<ClusterMetrics>();
    const auto state = p.pipeline->state();
    try {
        p.findings->flush();  // the windows the checkpoint covers: their findings queued first
        auto r = db_->exec(
            "UPDATE terrain_partitions SET next_offset = $4, windows = $5, snapshots = $6, "
            "ids = $7, events = $8, saved_ms = $9 "
            "WHERE topic = $1 AND part = $2 AND epoch = $3",
            {config_.cluster.topic, std::to_string(p.id), std::to_string(p.epoch),
             std::to_string(p.next_offset), core::Postgres::bytea(state.windows),
             encode_snapshots(state.snapshots), core::Postgres::bytea(p.ids->save_ids()),
             std::to_string(state.events), std::to_string(clock_.now_ms())},
            "save a partition checkpoint");
        if (r.affected == 0) {
            m.checkpoints.Add({{"result", "fenced"}}).Increment();
            core::log_warn("cluster: partition " + std::to_string(p.id) +
                           " belongs to another node now (its epoch passed " +
                           std::to_string(p.epoch) + "); this node lets it go");
            return false;
        }
    } catch (const std::exception& e) {
        m.checkpoints.Add({{"result", "failed"}}).Increment();
        core::log_warn(std::string("cluster: ") + e.what());
        return true;  // kept: the next checkpoint tries again
    }
    m.checkpoints.Add({{"result", "saved"}}).Increment();
    return true;
}

void ClusterNode::checkpoint_all() {
    last_checkpoint_ms_ = clock_.now_ms();
    for (auto it = owned_.begin(); it != owned_.end();) {
        if (checkpoint(it->second)) {
            ++it;
        } else {
            telemetry_.of<ClusterMetrics>()
                .partition_owned.Add({{"partition", std::to_string(it->first)}})
                .Set(0);
            it = owned_.erase(it);
        }
    }
}

void ClusterNode::drop_all() {
    auto& m = telemetry_.of<ClusterMetrics>();
    for (const auto& [id, p] : owned_) {
        m.partition_owned.Add({{"partition", std::to_string(id)}}).Set(0);
        m.consumer_lag.Add({{"partition", std::to_string(id)}}).Set(0);
    }
    owned_.clear();
}

void ClusterNode::publish() {
    auto& m = telemetry_.of<ClusterMetrics>();
    nlohmann::json partitions = nlohmann::json::array();
    for (const auto& [id, p] : owned_) {
        std::int64_t low = 0;
        std::int64_t high = 0;
        std::int64_t lag = 0;
        if (consumer_ != nullptr &&
            rd_kafka_get_watermark_offsets(consumer_, config_.cluster.topic.c_str(), id, &low,
                                           &high) == RD_KAFKA_RESP_ERR_NO_ERROR &&
            high >= p.next_offset) {
            lag = high - p.next_offset;
        }
        m.consumer_lag.Add({{"partition", std::to_string(id)}}).Set(static_cast<double>(lag));
        partitions.push_back({{"partition", id},
                              {"epoch", p.epoch},
                              {"next_offset", p.next_offset},
                              {"lag", lag},
                              {"pipeline", p.pipeline->status()}});
    }
    m.partitions_owned.Set(static_cast<double>(owned_.size()));
    nlohmann::json s = {{"node", node_},
                        {"topic", config_.cluster.topic},
                        {"group", config_.cluster.group},
                        {"kafka_up", kafka_up_.load()},
                        {"postgres_up", postgres_up_.load()},
                        {"partitions", partitions}};
    std::lock_guard lock(status_mutex_);
    status_ = std::move(s);
}

nlohmann::json ClusterNode::status() const {
    nlohmann::json s;
    {
        std::lock_guard lock(status_mutex_);
        s = status_;  // the partitions as of the consumer's last pass (at most a second ago)
    }
    s["kafka_up"] = kafka_up_.load();  // the checks as they stand now
    s["postgres_up"] = postgres_up_.load();
    return s;
}

}  // namespace terrain::monitor
