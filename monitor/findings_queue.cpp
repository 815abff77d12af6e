#include "monitor/findings_queue.h"

#include <cmath>
#include <limits>
#include <optional>
#include <utility>

#include "core/log.h"

namespace terrain::monitor {

namespace {

nlohmann::json labels_to_json(const core::Labels& labels) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& [k, v] : labels) {
        out.push_back({k, v});
    }
    return out;
}

core::Labels labels_from_json(const nlohmann::json& j) {
    core::Labels out;
    for (const auto& kv : j) {
        out.emplace_back(kv.at(0).get<std::string>(), kv.at(1).get<std::string>());
    }
    return out;
}

// NaN (a pair's claim not known) travels as null.
double number(const nlohmann::json& j, const char* key) {
    const auto& v = j.at(key);
    return v.is_null() ? std::numeric_limits<double>::quiet_NaN() : v.get<double>();
}

}  // namespace

nlohmann::json FindingsQueue::to_json(const core::Finding& f) {
    auto real = [](double x) { return std::isnan(x) ? nlohmann::json(nullptr) : nlohmann::json(x); };
    nlohmann::json signals = nlohmann::json::array();
    for (const auto& s : f.signals) {
        signals.push_back({s.time_ms, s.source, s.kind, s.id});
    }
    return {{"observed", real(f.observed)},
            {"expected", real(f.expected)},
            {"lower", real(f.lower)},
            {"upper", real(f.upper)},
            {"score", real(f.score)},
            {"numerator", real(f.numerator)},
            {"denominator", real(f.denominator)},
            {"reason", f.reason},
            {"claim", real(f.claim)},
            {"claim_expected", real(f.claim_expected)},
            {"quadrant", f.quadrant},
            {"send_start_ms", f.send_start_ms},
            {"send_end_ms", f.send_end_ms},
            {"sent", real(f.sent)},
            {"metric", f.metric},
            {"family", f.family},
            {"detector", f.detector},
            {"detector_type", f.detector_type},
            {"severity", f.severity},
            {"team", f.team},
            {"action", f.action},
            {"labels", labels_to_json(f.labels)},
            {"window_start_ms", f.window_start_ms},
            {"window_end_ms", f.window_end_ms},
            {"evaluated", f.evaluated},
            {"anomalous", f.anomalous},
            {"signals", signals}};
}

core::Finding FindingsQueue::from_json(const nlohmann::json& j, const core::Config& config) {
    core::Finding f;
    f.observed = number(j, "observed");
    f.expected = number(j, "expected");
    f.lower = number(j, "lower");
    f.upper = number(j, "upper");
    f.score = number(j, "score");
    f.numerator = number(j, "numerator");
    f.denominator = number(j, "denominator");
    f.reason = j.at("reason").get<std::string>();
    f.claim = number(j, "claim");
    f.claim_expected = number(j, "claim_expected");
    f.quadrant = j.at("quadrant").get<std::string>();
    f.send_start_ms = j.at("send_start_ms").get<std::int64_t>();
    f.send_end_ms = j.at("send_end_ms").get<std::int64_t>();
    f.sent = number(j, "sent");
    f.metric = j.at("metric").get<std::string>();
    f.family = j.at("family").get<std::string>();
    f.detector = j.at("detector").get<std::string>();
    f.detector_type = j.at("detector_type").get<std::string>();
    f.severity = j.at("severity").get<std::string>();
    f.team = j.at("team").get<std::string>();
    f.action = j.at("action").get<std::string>();
    f.labels = labels_from_json(j.at("labels"));
    f.window_start_ms = j.at("window_start_ms").get<std::int64_t>();
    f.window_end_ms = j.at("window_end_ms").get<std::int64_t>();
    f.evaluated = j.at("evaluated").get<bool>();
    f.anomalous = j.at("anomalous").get<bool>();
    for (const auto& s : j.at("signals")) {
        f.signals.push_back({s.at(0).get<std::int64_t>(), s.at(1).get<std::string>(),
                             s.at(2).get<std::string>(), s.at(3).get<std::string>()});
    }
    for (const auto& m : config.metrics) {
        if (m.name == f.metric && m.pair) {
            f.pair = &*m.pair;
        }
    }
    return f;
}

FindingsQueue::FindingsQueue(const std::string& dsn, const core::Config& config)
    : config_(config), db_(dsn) {
    db_.transaction([&] {
        db_.exec("SELECT pg_advisory_xact_lock(hashtext('terrain schema'))", {},
                 "make the findings queue");
        db_.exec("CREATE TABLE IF NOT EXISTS terrain_findings (id BIGSERIAL PRIMARY KEY, "
                 "kind TEXT NOT NULL, body TEXT NOT NULL)",
                 {}, "make the findings queue");
    });
}

void FindingsQueue::put(const std::string& kind, const std::string& body, const Owner& owner) {
    std::lock_guard lock(mutex_);
    db_.exec("INSERT INTO terrain_findings(kind, body) SELECT $1, $2 WHERE EXISTS (SELECT 1 "
             "FROM terrain_partitions WHERE topic = $3 AND part = $4 AND epoch = $5)",
             {kind, body, owner.topic, std::to_string(owner.partition), std::to_string(owner.epoch)},
             "queue a finding for the alerting leader");
}

FindingsQueue::PartitionSink::PartitionSink(FindingsQueue& queue, std::string topic,
                                            std::int32_t partition, std::int64_t epoch)
    : queue_(queue), topic_(std::move(topic)), partition_(partition), epoch_(epoch) {}

void FindingsQueue::PartitionSink::on_finding(const core::Finding& finding) {
    add("finding", to_json(finding).dump());
}

void FindingsQueue::PartitionSink::on_series_idle(const std::string& metric,
                                                  const core::Labels& labels) {
    add("idle", nlohmann::json{{"metric", metric}, {"labels", labels_to_json(labels)}}.dump());
}

void FindingsQueue::PartitionSink::add(std::string kind, std::string body) {
    held_.emplace_back(std::move(kind), std::move(body));
    if (std::chrono::steady_clock::now() - failed_at_ < std::chrono::seconds(1)) {
        return;  // PostgreSQL did not answer a moment ago: held back, tried again soon
    }
    try {
        flush();
    } catch (const std::exception& e) {
        core::log_warn("cluster: partition " + std::to_string(partition_) + ": " +
                       std::to_string(held_.size()) +
                       " finding(s) held back until PostgreSQL answers: " + e.what());
    }
}

void FindingsQueue::PartitionSink::flush() {
    const Owner owner{topic_, partition_, epoch_};
    while (!held_.empty()) {
        try {
            queue_.put(held_.front().first, held_.front().second, owner);
        } catch (...) {
            failed_at_ = std::chrono::steady_clock::now();
            throw;
        }
        held_.pop_front();
    }
}

std::unique_ptr<FindingsQueue::PartitionSink> FindingsQueue::for_partition(std::string topic,
                                                                           std::int32_t partition,
                                                                           std::int64_t epoch) {
    return std::make_unique<PartitionSink>(*this, std::move(topic), partition, epoch);
}

std::size_t FindingsQueue::drain(core::FindingSink& to, std::size_t max,
                                 const core::PostgresStore::Fence& fence) {
    std::lock_guard lock(mutex_);
    // Read and handed on outside a transaction: the alert manager's own writes are fenced, and
    // holding the lease's row here while they wait on it could deadlock.
    const auto rows = db_.exec("SELECT id, kind, body FROM terrain_findings ORDER BY id LIMIT $1",
                               {std::to_string(max)}, "take queued findings")
                          .rows;
    if (rows.empty()) {
        return 0;
    }
    std::string ids = "{";
    for (const auto& r : rows) {
        // A row that cannot be read is logged and deleted, not retried for ever (it would hold
        // up every finding behind it); anything else (a fenced write) stops the drain.
        std::optional<core::Finding> finding;
        std::optional<std::pair<std::string, core::Labels>> idle;
        try {
            const auto body = nlohmann::json::parse(r[2].value_or(""));
            if (r[1] == "idle") {
                idle.emplace(body.at("metric").get<std::string>(),
                             labels_from_json(body.at("labels")));
            } else {
                finding = from_json(body, config_);
            }
        } catch (const nlohmann::json::exception& e) {
            core::log_error("cluster: queued finding " + r[0].value_or("?") +
                            " is unreadable and is dropped: " + e.what());
        }
        if (idle) {
            to.on_series_idle(idle->first, idle->second);
        } else if (finding) {
            to.on_finding(*finding);
        }
        ids += (ids.size() > 1 ? "," : "") + r[0].value_or("0");
    }
    db_.transaction([&] {
        fence(db_);
        db_.exec("DELETE FROM terrain_findings WHERE id = ANY($1::bigint[])", {ids + "}"},
                 "delete handed-on findings");
    });
    return rows.size();
}

std::size_t FindingsQueue::queued() {
    std::lock_guard lock(mutex_);
    const auto r = db_.exec("SELECT count(*) FROM terrain_findings", {}, "count queued findings");
    return r.rows.empty() ? 0 : std::stoull(r.rows[0][0].value_or("0"));
}

}  // namespace terrain::monitor
