#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <variant>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace terrain::core {

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

    // Runs `writes` (calls on this store, from this thread) as one transaction: after a kill,
    // all of them are on disk or none. An exception rolls them back and is rethrown.
    void atomically(const std::function<void()>& writes);

    struct Document {
        std::string key;
        std::string state;
        std::string body;
        std::int64_t updated_ms = 0;
    };

    void put_alert(const Document& doc);
    std::vector<Document> load_alerts() const;
    // Silences: key is the silence id, state "active" or "expired".
    void put_silence(const Document& doc);
    std::vector<Document> load_silences() const;

    // The audit trail: who did what to which alert, and what came of it. Append-only.
    struct AuditRecord {
        std::int64_t at_ms = 0;
        std::string alert_id;
        std::string action;
        std::string actor;
        std::string detail;
        std::string result;  // "done" or "refused: why"
    };
    // Tamper evidence: `hash` is SHA-256 (hex) over the previous entry's hash and this
    // entry's fields, so an edited or deleted entry breaks the chain after it.
    struct AuditEntry : AuditRecord {
        std::int64_t seq = 0;
        std::string prev_hash;
        std::string hash;
    };
    // Fills seq, prev_hash and hash.
    void append_audit(const AuditRecord& entry);
    // The seq of the first entry whose hash does not match its content and predecessor; 0 when
    // the whole chain holds.
    std::int64_t verify_audit() const;
    // Oldest first; all alerts when alert_id is empty. At most `limit` most recent entries.
    std::vector<AuditEntry> load_audit(const std::string& alert_id, std::size_t limit) const;

    // Notifications accepted for a receiver and not yet delivered (nor given up on), so a kill
    // loses none: each is written when queued, deleted when delivered or dead-lettered, and
    // queued again at start. `body` is the notification as JSON.
    struct Pending {
        std::int64_t id = 0;
        std::string receiver;
        std::string body;
    };
    std::int64_t put_pending(const std::string& receiver, const std::string& body);
    void drop_pending(std::int64_t id);
    std::vector<Pending> load_pending() const;  // oldest first

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

    // For modules that keep tables of their own here (override executions, chat message
    // references): `ensure` runs their schema (CREATE ... IF NOT EXISTS); `write` and `read` run
    // one statement with positional parameters under the store's lock (inside atomically() too);
    // `what` completes the error message "cannot ...".
    using Value = std::variant<std::int64_t, std::string>;
    void ensure(const char* schema);
    void write(const char* sql, const std::vector<Value>& params, const char* what);
    std::vector<std::vector<Value>> read(const std::string& sql, const std::vector<Value>& params,
                                         const char* what) const;

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
    // Paged snapshots: parked series' state written out past the evaluator's memory budget,
    // read back when the series returns. A checkpoint that holds a series again deletes its
    // paged copy in the same transaction, so the newest state always wins.
    void page_out(const std::vector<Snapshot>& snapshots);
    std::optional<Snapshot> paged(const std::string& metric, const std::string& series_key) const;
    std::size_t paged_count() const;

    // The pipeline's checkpoint: its windows and memory of event ids as they were after the
    // event log's records before `log_seq`, saved with the detector snapshots in one fully
    // synced transaction, so a start restores all of it and replays only the later records.
    struct Checkpoint {
        std::uint64_t log_seq = 1;
        std::string windows;  // Aggregator::save()
        std::string ids;      // Intake::save_ids()
        std::int64_t saved_ms = 0;
        std::uint64_t events = 0;  // events taken into the windows, all told, up to log_seq
    };
    void save_checkpoint(const Checkpoint& checkpoint, const std::vector<Snapshot>& snapshots);
    std::optional<Checkpoint> load_checkpoint() const;
    // SQLite's quick_check of the whole file: "" when it is sound, else what it found (the
    // first lines).
    std::string integrity_problems() const;

    // Replay guards: true the first time `key` is used within `scope` (or once its earlier use
    // expired), remembering it until `expires_ms`. Expired entries are pruned as it goes.
    bool first_use(const std::string& scope, const std::string& key, std::int64_t now_ms,
                   std::int64_t expires_ms);

private:
    void exec(const char* sql);
    // A JSON document table (alerts, silences): key, state, body, updated_ms.
    void put_document(const std::string& table, const Document& doc);
    std::vector<Document> load_documents(const std::string& table) const;
    void write_snapshots(const std::vector<Snapshot>& snapshots);
    void insert_snapshots(const char* table, const std::vector<Snapshot>& snapshots);

    std::string path_;
    sqlite3* db_ = nullptr;
    mutable std::recursive_mutex mutex_;  // atomically() holds it across its writes
    std::uint64_t uses_ = 0;  // first_use calls, for pruning
};

}  // namespace terrain::core
