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

// Where terrain keeps what must outlive a restart: alert records, silences, the audit chain,
// the notification outbox, dead letters, modules' own tables (override executions, chat
// message references), detector snapshots and the pipeline's checkpoint. Documents are JSON
// text so the core does not depend on the alert or detector types. Two kinds: SqliteStore (the
// embedded default: a file in the data directory) and PostgresStore (the scale-out mode's
// shared alert state, core/postgres_store.h). Thread-safe; failures throw std::runtime_error
// naming the store and what was being done.
class Store {
public:
    Store() = default;
    virtual ~Store() = default;
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // Runs `writes` (calls on this store, from this thread) as one transaction: after a kill,
    // all of them are on disk or none. An exception rolls them back and is rethrown.
    virtual void atomically(const std::function<void()>& writes) = 0;

    struct Document {
        std::string key;
        std::string state;
        std::string body;
        std::int64_t updated_ms = 0;
    };

    virtual void put_alert(const Document& doc) = 0;
    virtual std::vector<Document> load_alerts() const = 0;
    // Silences: key is the silence id, state "active" or "expired".
    virtual void put_silence(const Document& doc) = 0;
    virtual std::vector<Document> load_silences() const = 0;

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
    // The chain's hash of an entry after `prev` (the previous entry's hash).
    static std::string audit_hash(const AuditRecord& entry, const std::string& prev);
    // Fills seq, prev_hash and hash.
    virtual void append_audit(const AuditRecord& entry) = 0;
    // The seq of the first entry whose hash does not match its content and predecessor; 0 when
    // the whole chain holds.
    virtual std::int64_t verify_audit() const = 0;
    // Oldest first; all alerts when alert_id is empty. At most `limit` most recent entries.
    virtual std::vector<AuditEntry> load_audit(const std::string& alert_id, std::size_t limit) const = 0;

    // Notifications accepted for a receiver and not yet delivered (nor given up on), so a kill
    // loses none: each is written when queued, deleted when delivered or dead-lettered, and
    // queued again at start. `body` is the notification as JSON.
    struct Pending {
        std::int64_t id = 0;
        std::string receiver;
        std::string body;
    };
    virtual std::int64_t put_pending(const std::string& receiver, const std::string& body) = 0;
    virtual void drop_pending(std::int64_t id) = 0;
    virtual std::vector<Pending> load_pending() const = 0;  // oldest first

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
    virtual void append_dead_letter(const DeadLetter& letter) = 0;
    virtual std::vector<DeadLetter> load_dead_letters(std::size_t limit) const = 0;  // oldest first
    virtual std::map<std::string, std::size_t> count_dead_letters() const = 0;  // per receiver

    // For modules that keep tables of their own here (override executions, chat message
    // references): `ensure` runs their schema (CREATE ... IF NOT EXISTS); `write` and `read` run
    // one statement with positional parameters under the store's lock (inside atomically() too);
    // `what` completes the error message "cannot ...".
    using Value = std::variant<std::int64_t, std::string>;
    virtual void ensure(const char* schema) = 0;
    virtual void write(const char* sql, const std::vector<Value>& params, const char* what) = 0;
    virtual std::vector<std::vector<Value>> read(const std::string& sql, const std::vector<Value>& params,
                                         const char* what) const = 0;

    // Detector snapshots: the learned state of each series' detectors, so that a restart does
    // not forget a weekly baseline. `fed_until_ms` is the end of the last window the state has
    // seen; replayed windows up to it are not fed again. Replaced as a whole in one transaction.
    struct Snapshot {
        std::string metric;
        std::string series_key;
        std::int64_t fed_until_ms = 0;
        std::string state;  // JSON: {detector name: state}
    };
    virtual void replace_snapshots(const std::vector<Snapshot>& snapshots) = 0;
    virtual std::vector<Snapshot> load_snapshots() const = 0;
    // Paged snapshots: parked series' state written out past the evaluator's memory budget,
    // read back when the series returns. A checkpoint that holds a series again deletes its
    // paged copy in the same transaction, so the newest state always wins.
    virtual void page_out(const std::vector<Snapshot>& snapshots) = 0;
    virtual std::optional<Snapshot> paged(const std::string& metric, const std::string& series_key) const = 0;
    virtual std::size_t paged_count() const = 0;

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
    virtual void save_checkpoint(const Checkpoint& checkpoint, const std::vector<Snapshot>& snapshots) = 0;
    virtual std::optional<Checkpoint> load_checkpoint() const = 0;
    // SQLite's quick_check of the whole file: "" when it is sound, else what it found (the
    // first lines).
    virtual std::string integrity_problems() const = 0;

    // Replay guards: true the first time `key` is used within `scope` (or once its earlier use
    // expired), remembering it until `expires_ms`. Expired entries are pruned as it goes.
    virtual bool first_use(const std::string& scope, const std::string& key, std::int64_t now_ms,
                   std::int64_t expires_ms) = 0;
};

// The embedded default's store: SQLite in the data directory (WAL mode, synchronous=NORMAL),
// one connection behind a mutex.
class SqliteStore final : public Store {
public:
    explicit SqliteStore(const std::string& path);
    ~SqliteStore() override;

    void atomically(const std::function<void()>& writes) override;
    void put_alert(const Document& doc) override;
    std::vector<Document> load_alerts() const override;
    void put_silence(const Document& doc) override;
    std::vector<Document> load_silences() const override;
    void append_audit(const AuditRecord& entry) override;
    std::int64_t verify_audit() const override;
    std::vector<AuditEntry> load_audit(const std::string& alert_id,
                                       std::size_t limit) const override;
    std::int64_t put_pending(const std::string& receiver, const std::string& body) override;
    void drop_pending(std::int64_t id) override;
    std::vector<Pending> load_pending() const override;
    void append_dead_letter(const DeadLetter& letter) override;
    std::vector<DeadLetter> load_dead_letters(std::size_t limit) const override;
    std::map<std::string, std::size_t> count_dead_letters() const override;
    void ensure(const char* schema) override;
    void write(const char* sql, const std::vector<Value>& params, const char* what) override;
    std::vector<std::vector<Value>> read(const std::string& sql, const std::vector<Value>& params,
                                         const char* what) const override;
    void replace_snapshots(const std::vector<Snapshot>& snapshots) override;
    std::vector<Snapshot> load_snapshots() const override;
    void page_out(const std::vector<Snapshot>& snapshots) override;
    std::optional<Snapshot> paged(const std::string& metric,
                                  const std::string& series_key) const override;
    std::size_t paged_count() const override;
    void save_checkpoint(const Checkpoint& checkpoint,
                         const std::vector<Snapshot>& snapshots) override;
    std::optional<Checkpoint> load_checkpoint() const override;
    std::string integrity_problems() const override;
    bool first_use(const std::string& scope, const std::string& key, std::int64_t now_ms,
                   std::int64_t expires_ms) override;

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
