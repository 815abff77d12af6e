#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

struct sqlite3;

namespace terrain::monitor {

// terrain's SQLite store in the data directory (WAL mode, synchronous=NORMAL): alert records
// detector snapshots, the audit log and dead letters. Documents are JSON text so the core does
// not depend on the alert or detector types. Thread-safe (one connection behind a mutex);
// failures throw std::runtime_error naming the file and the statement.
class Store final {
public:
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    struct Document {
        std::string key;
        std::string state;
        std::string body;
        std::int64_t updated_ms = 0;
    };

    void put_alert(const Document& doc);
    std::vector<Document> load_alerts() const;

    // The audit trail: who did what to which alert, and what came of it. Append-only.
    struct AuditEntry {
        std::int64_t at_ms = 0;
        std::string alert_id;
        std::string action;
        std::string actor;
        std::string detail;
        std::string result;  // "done" or "refused: why"
    };
    void append_audit(const AuditEntry& entry);
    // Oldest first; all alerts when alert_id is empty. At most `limit` most recent entries.
    std::vector<AuditEntry> load_audit(const std::string& alert_id, std::size_t limit) const;

    // Outbound deliveries that failed after every retry (or were abandoned at shutdown), kept
    // so a person can see what did not get through. Append-only.
    struct DeadLetter {
        std::int64_t at_ms = 0;
        std::string receiver;
        std::string alert_id;
        std::string transition;
        int attempts = 0;
        std::string error;
        std::string body;  // what was to be delivered (JSON)
    };
    void append_dead_letter(const DeadLetter& letter);
    std::vector<DeadLetter> load_dead_letters(std::size_t limit) const;  // oldest first
    std::map<std::string, std::size_t> count_dead_letters() const;  // per receiver

    // Detector snapshots: the learned state of each series' detectors, so that a restart does
    // not forget a weekly baseline. `fed_until_ms` is the end of the last window the state has
    // seen; replayed windows up to it are not fed again. Replaced as a whole in one transaction.
    struct Snapshot {
        std::string metric;
        std::string series_key;
        std::int64_t fed_until_ms = 0;
        std::string state;  // JSON: {detector name: state}
    };
    void replace_snapshots(const std::vector<Snapshot>& snapshots);
    std::vector<Snapshot> load_snapshots() const;

private:
    void exec(const char* sql);

    std::string path_;
    sqlite3* db_ = nullptr;
    mutable std::mutex mutex_;
};

}  // namespace terrain::monitor
