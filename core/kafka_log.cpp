#include "core/kafka_log.h"

#include <librdkafka/rdkafka.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

namespace terrain::core {

namespace {

// Messages stay well under the brokers' default limit (1 MiB).
constexpr std::size_t kMaxMessageBytes = 768 * 1024;

// What one append() waits for: the delivery report of each message it produced.
struct Delivery {
    std::mutex mutex;
    std::condition_variable done;
    std::size_t pending = 0;
    std::string error;
};

void on_delivery(rd_kafka_t*, const rd_kafka_message_t* m, void*) {
    auto* d = static_cast<Delivery*>(m->_private);
    if (d == nullptr) {
        return;
    }
    std::lock_guard lock(d->mutex);
    if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR && d->error.empty()) {
        d->error = rd_kafka_err2str(m->err);
    }
    if (--d->pending == 0) {
        d->done.notify_all();
    }
}

// Splits `events` into messages of at most kMaxMessageBytes (a single event over it goes alone).
void encode_parts(const std::string& source, std::vector<Event> events,
                  std::vector<std::string>& out) {
    std::string payload = encode_batch(source, events);
    if (payload.size() <= kMaxMessageBytes || events.size() == 1) {
        out.push_back(std::move(payload));
        return;
    }
    const auto half = events.begin() + static_cast<std::ptrdiff_t>(events.size() / 2);
    encode_parts(source, std::vector<Event>(events.begin(), half), out);
    encode_parts(source, std::vector<Event>(half, events.end()), out);
}

}  // namespace

void kafka_set(rd_kafka_conf_t* conf, const char* key, const std::string& value) {
    char err[512];
    if (rd_kafka_conf_set(conf, key, value.c_str(), err, sizeof err) != RD_KAFKA_CONF_OK) {
        rd_kafka_conf_destroy(conf);
        throw std::runtime_error(std::string("kafka: ") + key + ": " + err);
    }
}

std::string kafka_brokers(const ClusterConfig& config) {
    std::string out;
    for (const auto& b : config.brokers) {
        out += (out.empty() ? "" : ",") + b;
    }
    return out;
}

KafkaLog::KafkaLog(const ClusterConfig& config) : config_(config) {
    rd_kafka_conf_t* conf = rd_kafka_conf_new();
    kafka_set(conf, "bootstrap.servers", kafka_brokers(config_));
    kafka_set(conf, "client.id", "terrain-" + config_.node);
    kafka_set(conf, "enable.idempotence", "true");
    kafka_set(conf, "acks", "all");
    kafka_set(conf, "linger.ms", "1");
    kafka_set(conf, "message.timeout.ms", std::to_string(config_.produce_timeout_ms));
    kafka_set(conf, "log_level", "3");  // errors only: a broker going away is reported by the health check
    rd_kafka_conf_set_dr_msg_cb(conf, on_delivery);
    char err[512];
    rk_ = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof err);
    if (rk_ == nullptr) {
        throw std::runtime_error(std::string("kafka: cannot make a producer: ") + err);
    }
}

KafkaLog::~KafkaLog() {
    if (rk_ != nullptr) {
        rd_kafka_flush(rk_, 5000);
        rd_kafka_destroy(rk_);
    }
}

const std::string& KafkaLog::partition_key(const std::string& source, const Event& event) {
    if (const auto* campaign = find_label(event.labels, "campaign")) {
        return *campaign;
    }
    return source;
}

void KafkaLog::append(const std::string& source, const std::vector<Event>& events) {
    if (!reachable_.load()) {
        throw std::runtime_error("kafka: no broker of " + kafka_brokers(config_) +
                                 " answered the last check");
    }
    std::map<std::string, std::vector<Event>> by_key;
    for (const auto& e : events) {
        by_key[partition_key(source, e)].push_back(e);
    }
    std::vector<std::pair<std::string, std::string>> messages;  // key, payload
    for (auto& [key, part] : by_key) {
        std::vector<std::string> payloads;
        encode_parts(source, std::move(part), payloads);
        for (auto& p : payloads) {
            messages.emplace_back(key, std::move(p));
        }
    }
    Delivery d;
    d.pending = messages.size();
    std::string refused;
    std::size_t produced = 0;
    for (auto& [key, payload] : messages) {
        const auto r = rd_kafka_producev(
            rk_, RD_KAFKA_V_TOPIC(config_.topic.c_str()),
            RD_KAFKA_V_KEY(key.data(), key.size()),
            RD_KAFKA_V_VALUE(payload.data(), payload.size()),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(&d), RD_KAFKA_V_END);
        if (r != RD_KAFKA_RESP_ERR_NO_ERROR) {
            refused = rd_kafka_err2str(r);
            break;
        }
        ++produced;
    }
    {
        std::lock_guard lock(d.mutex);
        d.pending -= messages.size() - produced;  // never produced: no report will come
    }
    // Every produced message gets its report within message.timeout.ms (librdkafka's promise),
    // so waiting for all of them is bounded; the reports are served by polling here.
    std::unique_lock lock(d.mutex);
    while (d.pending > 0) {
        lock.unlock();
        rd_kafka_poll(rk_, 10);
        lock.lock();
    }
    if (!refused.empty() || !d.error.empty()) {
        throw std::runtime_error("kafka: cannot append to topic " + config_.topic + ": " +
                                 (refused.empty() ? d.error : refused));
    }
}

bool KafkaLog::check(int timeout_ms) {
    const struct rd_kafka_metadata* md = nullptr;
    const auto r = rd_kafka_metadata(rk_, 0, nullptr, &md, timeout_ms);
    bool ok = r == RD_KAFKA_RESP_ERR_NO_ERROR && md != nullptr && md->broker_cnt > 0;
    if (md != nullptr) {
        rd_kafka_metadata_destroy(md);
    }
    reachable_ = ok;
    return ok;
}

void KafkaLog::ensure_topic() {
    rd_kafka_NewTopic_t* topic = nullptr;
    char err[512];
    topic = rd_kafka_NewTopic_new(config_.topic.c_str(), config_.partitions,
                                  config_.replication, err, sizeof err);
    if (topic == nullptr) {
        throw std::runtime_error(std::string("kafka: cannot describe topic ") + config_.topic +
                                 ": " + err);
    }
    if (config_.replication >= 3) {
        rd_kafka_NewTopic_set_config(topic, "min.insync.replicas", "2");
    }
    rd_kafka_queue_t* queue = rd_kafka_queue_new(rk_);
    rd_kafka_CreateTopics(rk_, &topic, 1, nullptr, queue);
    rd_kafka_event_t* ev = rd_kafka_queue_poll(queue, 30'000);
    std::string problem;
    if (ev == nullptr) {
        problem = "no answer from the brokers within 30 s";
    } else {
        const auto* result = rd_kafka_event_CreateTopics_result(ev);
        if (rd_kafka_event_error(ev) != RD_KAFKA_RESP_ERR_NO_ERROR) {
            problem = rd_kafka_event_error_string(ev);
        } else if (result != nullptr) {
            std::size_t n = 0;
            const auto** topics = rd_kafka_CreateTopics_result_topics(result, &n);
            for (std::size_t i = 0; i < n; ++i) {
                const auto e = rd_kafka_topic_result_error(topics[i]);
                if (e != RD_KAFKA_RESP_ERR_NO_ERROR && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
                    const char* s = rd_kafka_topic_result_error_string(topics[i]);
                    problem = s != nullptr ? s : rd_kafka_err2str(e);
                }
            }
        }
        rd_kafka_event_destroy(ev);
    }
    rd_kafka_queue_destroy(queue);
    rd_kafka_NewTopic_destroy(topic);
    if (!problem.empty()) {
        throw std::runtime_error("kafka: cannot create topic " + config_.topic + ": " + problem);
    }
}

}  // namespace terrain::core
