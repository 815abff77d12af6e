#pragma once

#include <functional>
#include <mutex>
#include <string>

#include "core/postgres.h"
#include "core/store.h"

namespace terrain::core {

// The scale-out mode's shared alert state (docs/cluster.md): the store's alert documents,
// silences, audit chain, outbox, dead letters, replay guards and modules' tables, in
// PostgreSQL, under the same table names as the SQLite store. Every write runs in a
// transaction that first calls `fence` on the same connection: it throws when this node may no
// longer write (its alerting lease is gone), so the write changes nothing. Detector snapshots
// and the pipeline's checkpoint are not kept here (each partition has its own checkpoint);
// their reads find nothing and their writes throw std::logic_error.
//
// Modules' SQL (ensure/write/read) is written for SQLite and translated: ?N and ? become $N,
// INTEGER columns BIGINT, and a table made by ensure() gets a `rowid` column (BIGSERIAL, in
// insertion order, as SQLite's own rowid).
class PostgresStore final : public Store {
public:
    using Fence = std::function<void(Postgres&)>;
    PostgresStore(const std::string& dsn, Fence fence);

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
    std::vector<Snapshot> load_snapshots() const override { return {}; }
    void page_out(const std::vector<Snapshot>& snapshots) override;
    std::optional<Snapshot> paged(const std::string&, const std::string&) const override {
        return std::nullopt;
    }
    std::size_t paged_count() const override { return 0; }
    void save_checkpoint(const Checkpoint& checkpoint,
                         const std::vector<Snapshot>& snapshots) override;
    std::optional<Checkpoint> load_checkpoint() const override { return std::nullopt; }
    std::string integrity_problems() const override { return ""; }
    bool first_use(const std::string& scope, const std::string& key, std::int64_t now_ms,
                   std::int64_t expires_ms) override;

    // SQLite's statement text as PostgreSQL reads it (see above); `schema` for ensure().
    static std::string translated(std::string_view sql, bool schema);

private:
    // Runs `statements` fenced, in one transaction (or in the one atomically() holds open).
    void fenced(const std::function<void()>& statements);
    void put_document(const char* table, const Document& doc);
    std::vector<Document> load_documents(const char* table) const;
    std::vector<AuditEntry> audit_rows(const std::string& sql,
                                       const std::vector<Postgres::Param>& params) const;

    mutable Postgres db_;
    Fence fence_;
    mutable std::recursive_mutex mutex_;
    int depth_ = 0;  // fenced() calls open on this thread (under mutex_)
    std::uint64_t uses_ = 0;  // first_use calls, for pruning
};

}  // namespace terrain::core
