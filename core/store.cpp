#include "core/store.h"

#include <sqlite3.h>

#include <functional>
#include <stdexcept>

#include "core/hash.h"

namespace terrain::core {

namespace {

class Statement final {
public:
    Statement(sqlite3* db, const char* sql, const std::string& path) {
        if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK) {
            throw std::runtime_error(path + ": cannot prepare '" + sql +
                                     "': " + sqlite3_errmsg(db));
        }
    }
    ~Statement() { sqlite3_finalize(stmt_); }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    sqlite3_stmt* get() const { return stmt_; }

private:
    sqlite3_stmt* stmt_ = nullptr;
};

void bind_text(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_text(s, i, v.data(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
}

void bind_blob(sqlite3_stmt* s, int i, const std::string& v) {
    sqlite3_bind_blob64(s, i, v.data(), v.size(), SQLITE_TRANSIENT);
}

std::string column_blob(sqlite3_stmt* s, int i) {
    const auto* p = static_cast<const char*>(sqlite3_column_blob(s, i));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(s, i));
}

std::string column_text(sqlite3_stmt* s, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(s, i));
}

// Runs a write statement; `what` completes "cannot ...".
void step_done(sqlite3* db, const Statement& st, const std::string& path, const char* what) {
    if (sqlite3_step(st.get()) != SQLITE_DONE) {
        throw std::runtime_error(path + ": cannot " + what + ": " + sqlite3_errmsg(db));
    }
}

// Calls row(stmt) for every result row; `what` completes "cannot read ...".
template <typename Row>
void each_row(sqlite3* db, const Statement& st, const std::string& path, const char* what,
              Row row) {
    int rc = 0;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        row(st.get());
    }
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(path + ": cannot read " + what + ": " + sqlite3_errmsg(db));
    }
}

}  // namespace

SqliteStore::SqliteStore(const std::string& path) : path_(path) {
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
                        nullptr) != SQLITE_OK) {
        std::string why = db_ != nullptr ? sqlite3_errmsg(db_) : "out of memory";
        sqlite3_close(db_);
        throw std::runtime_error(path + ": cannot open store: " + why);
    }
    sqlite3_busy_timeout(db_, 5000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec(
        "CREATE TABLE IF NOT EXISTS alerts ("
        " fingerprint TEXT PRIMARY KEY,"
        " state TEXT NOT NULL,"
        " body TEXT NOT NULL,"
        " updated_ms INTEGER NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS audit ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " at_ms INTEGER NOT NULL,"
        " alert_id TEXT NOT NULL,"
        " action TEXT NOT NULL,"
        " actor TEXT NOT NULL,"
        " detail TEXT NOT NULL,"
        " result TEXT NOT NULL)");
    // Stores created before the hash chain get its columns (their old entries stay unchained).
    sqlite3_exec(db_, "ALTER TABLE audit ADD COLUMN prev_hash TEXT NOT NULL DEFAULT ''", nullptr,
                 nullptr, nullptr);
    sqlite3_exec(db_, "ALTER TABLE audit ADD COLUMN hash TEXT NOT NULL DEFAULT ''", nullptr,
                 nullptr, nullptr);
    exec("CREATE INDEX IF NOT EXISTS audit_alert ON audit(alert_id, seq)");
    exec(
        "CREATE TABLE IF NOT EXISTS outbox ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " receiver TEXT NOT NULL,"
        " body TEXT NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS dead_letters ("
        " seq INTEGER PRIMARY KEY AUTOINCREMENT,"
        " at_ms INTEGER NOT NULL,"
        " receiver TEXT NOT NULL,"
        " alert_id TEXT NOT NULL,"
        " transition TEXT NOT NULL,"
        " attempts INTEGER NOT NULL,"
        " error TEXT NOT NULL,"
        " body TEXT NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS snapshots ("
        " metric TEXT NOT NULL,"
        " series_key TEXT NOT NULL,"
        " fed_until_ms INTEGER NOT NULL,"
        " state TEXT NOT NULL,"
        " PRIMARY KEY (metric, series_key))");
    // Parked series' state past the evaluator's memory budget (Evaluator::set_pager).
    exec(
        "CREATE TABLE IF NOT EXISTS paged_snapshots ("
        " metric TEXT NOT NULL,"
        " series_key TEXT NOT NULL,"
        " fed_until_ms INTEGER NOT NULL,"
        " state TEXT NOT NULL,"
        " PRIMARY KEY (metric, series_key))");
    exec(
        "CREATE TABLE IF NOT EXISTS silences ("
        " fingerprint TEXT PRIMARY KEY,"
        " state TEXT NOT NULL,"
        " body TEXT NOT NULL,"
        " updated_ms INTEGER NOT NULL)");
    exec(
        "CREATE TABLE IF NOT EXISTS checkpoint ("
        " id INTEGER PRIMARY KEY CHECK (id = 1),"
        " log_seq INTEGER NOT NULL,"
        " windows BLOB NOT NULL,"
        " ids BLOB NOT NULL,"
        " saved_ms INTEGER NOT NULL,"
        " events INTEGER NOT NULL DEFAULT 0)");
    exec(
        "CREATE TABLE IF NOT EXISTS used_signatures ("
        " scope TEXT NOT NULL,"
        " key TEXT NOT NULL,"
        " expires_ms INTEGER NOT NULL,"
        " PRIMARY KEY (scope, key)) WITHOUT ROWID");
}

SqliteStore::~SqliteStore() { sqlite3_close(db_); }

void SqliteStore::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string why = err != nullptr ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error(path_ + ": '" + sql + "' failed: " + why);
    }
}

void SqliteStore::put_document(const std::string& table, const Document& doc) {
    std::lock_guard lock(mutex_);
    const std::string sql = "INSERT INTO " + table +
                            "(fingerprint, state, body, updated_ms) VALUES(?,?,?,?) "
                            "ON CONFLICT(fingerprint) DO UPDATE SET state=excluded.state, "
                            "body=excluded.body, updated_ms=excluded.updated_ms";
    Statement st(db_, sql.c_str(), path_);
    bind_text(st.get(), 1, doc.key);
    bind_text(st.get(), 2, doc.state);
    bind_text(st.get(), 3, doc.body);
    sqlite3_bind_int64(st.get(), 4, doc.updated_ms);
    step_done(db_, st, path_, "save a document");
}

std::vector<Store::Document> SqliteStore::load_documents(const std::string& table) const {
    std::lock_guard lock(mutex_);
    const std::string sql =
        "SELECT fingerprint, state, body, updated_ms FROM " + table + " ORDER BY updated_ms";
    Statement st(db_, sql.c_str(), path_);
    std::vector<Document> out;
    each_row(db_, st, path_, "documents", [&](sqlite3_stmt* r) {
        out.push_back(Document{column_text(r, 0), column_text(r, 1), column_text(r, 2),
                               sqlite3_column_int64(r, 3)});
    });
    return out;
}

void SqliteStore::put_alert(const Document& doc) { put_document("alerts", doc); }
std::vector<Store::Document> SqliteStore::load_alerts() const { return load_documents("alerts"); }
void SqliteStore::put_silence(const Document& doc) { put_document("silences", doc); }
std::vector<Store::Document> SqliteStore::load_silences() const { return load_documents("silences"); }

std::string Store::audit_hash(const AuditRecord& e, const std::string& prev) {
    std::string text = prev;
    for (const std::string* part : {&e.alert_id, &e.action, &e.actor, &e.detail, &e.result}) {
        text += '\x1e';
        text += std::to_string(part->size()) + ':' + *part;
    }
    text += '\x1e' + std::to_string(e.at_ms);
    return sha256_hex(text);
}

void SqliteStore::append_audit(const AuditRecord& e) {
    std::lock_guard lock(mutex_);
    std::string prev;
    {
        Statement last(db_, "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1", path_);
        each_row(db_, last, path_, "the audit trail", [&](sqlite3_stmt* r) {
            prev = column_text(r, 0);
        });
    }
    Statement st(db_,
                 "INSERT INTO audit(at_ms, alert_id, action, actor, detail, result, prev_hash, "
                 "hash) VALUES(?,?,?,?,?,?,?,?)",
                 path_);
    sqlite3_bind_int64(st.get(), 1, e.at_ms);
    bind_text(st.get(), 2, e.alert_id);
    bind_text(st.get(), 3, e.action);
    bind_text(st.get(), 4, e.actor);
    bind_text(st.get(), 5, e.detail);
    bind_text(st.get(), 6, e.result);
    bind_text(st.get(), 7, prev);
    bind_text(st.get(), 8, audit_hash(e, prev));
    step_done(db_, st, path_, "append to the audit trail");
}

namespace {

Store::AuditEntry audit_row(sqlite3_stmt* r) {
    return Store::AuditEntry{{sqlite3_column_int64(r, 0), column_text(r, 1), column_text(r, 2),
                              column_text(r, 3), column_text(r, 4), column_text(r, 5)},
                             sqlite3_column_int64(r, 6),
                             column_text(r, 7),
                             column_text(r, 8)};
}

}  // namespace

std::int64_t SqliteStore::verify_audit() const {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT at_ms, alert_id, action, actor, detail, result, seq, prev_hash, hash "
                 "FROM audit ORDER BY seq",
                 path_);
    std::string prev;
    std::int64_t broken = 0;
    each_row(db_, st, path_, "the audit trail", [&](sqlite3_stmt* r) {
        if (broken != 0) {
            return;
        }
        const auto e = audit_row(r);
        if (e.prev_hash != prev || e.hash != audit_hash(e, prev)) {
            broken = e.seq;
        }
        prev = e.hash;
    });
    return broken;
}

std::vector<Store::AuditEntry> SqliteStore::load_audit(const std::string& alert_id,
                                                 std::size_t limit) const {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT at_ms, alert_id, action, actor, detail, result, seq, prev_hash, hash "
                 "FROM (SELECT * FROM audit WHERE ?1 = '' OR alert_id = ?1 ORDER BY seq DESC "
                 "LIMIT ?2) ORDER BY seq",
                 path_);
    bind_text(st.get(), 1, alert_id);
    sqlite3_bind_int64(st.get(), 2, static_cast<sqlite3_int64>(limit));
    std::vector<AuditEntry> out;
    each_row(db_, st, path_, "the audit trail",
             [&](sqlite3_stmt* r) { out.push_back(audit_row(r)); });
    return out;
}

void SqliteStore::ensure(const char* schema) {
    std::lock_guard lock(mutex_);
    exec(schema);
}

namespace {

void bind_values(sqlite3_stmt* st, const std::vector<Store::Value>& params) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        const int at = static_cast<int>(i + 1);
        if (const auto* n = std::get_if<std::int64_t>(&params[i])) {
            sqlite3_bind_int64(st, at, *n);
        } else {
            bind_text(st, at, std::get<std::string>(params[i]));
        }
    }
}

}  // namespace

void SqliteStore::write(const char* sql, const std::vector<Value>& params, const char* what) {
    std::lock_guard lock(mutex_);
    Statement st(db_, sql, path_);
    bind_values(st.get(), params);
    step_done(db_, st, path_, what);
}

std::vector<std::vector<Store::Value>> SqliteStore::read(const std::string& sql,
                                                   const std::vector<Value>& params,
                                                   const char* what) const {
    std::lock_guard lock(mutex_);
    Statement st(db_, sql.c_str(), path_);
    bind_values(st.get(), params);
    std::vector<std::vector<Value>> rows;
    each_row(db_, st, path_, what, [&](sqlite3_stmt* r) {
        auto& row = rows.emplace_back();
        for (int i = 0; i < sqlite3_column_count(r); ++i) {
            if (sqlite3_column_type(r, i) == SQLITE_INTEGER) {
                row.emplace_back(static_cast<std::int64_t>(sqlite3_column_int64(r, i)));
            } else {
                row.emplace_back(column_text(r, i));
            }
        }
    });
    return rows;
}

std::int64_t SqliteStore::put_pending(const std::string& receiver, const std::string& body) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "INSERT INTO outbox(receiver, body) VALUES(?,?)", path_);
    bind_text(st.get(), 1, receiver);
    bind_text(st.get(), 2, body);
    step_done(db_, st, path_, "queue a notification");
    return sqlite3_last_insert_rowid(db_);
}

void SqliteStore::drop_pending(std::int64_t id) {
    std::lock_guard lock(mutex_);
    Statement st(db_, "DELETE FROM outbox WHERE id = ?1", path_);
    sqlite3_bind_int64(st.get(), 1, id);
    step_done(db_, st, path_, "delete a delivered notification");
}

std::vector<Store::Pending> SqliteStore::load_pending() const {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT id, receiver, body FROM outbox ORDER BY id", path_);
    std::vector<Pending> out;
    each_row(db_, st, path_, "the outbox", [&](sqlite3_stmt* r) {
        out.push_back(Pending{sqlite3_column_int64(r, 0), column_text(r, 1), column_text(r, 2)});
    });
    return out;
}

void SqliteStore::append_dead_letter(const DeadLetter& d) {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "INSERT INTO dead_letters(at_ms, receiver, alert_id, transition, attempts, error, "
                 "body) VALUES(?,?,?,?,?,?,?)",
                 path_);
    sqlite3_bind_int64(st.get(), 1, d.at_ms);
    bind_text(st.get(), 2, d.receiver);
    bind_text(st.get(), 3, d.alert_id);
    bind_text(st.get(), 4, d.transition);
    sqlite3_bind_int(st.get(), 5, d.attempts);
    bind_text(st.get(), 6, d.error);
    bind_text(st.get(), 7, d.body);
    step_done(db_, st, path_, "save a dead letter");
}

std::vector<Store::DeadLetter> SqliteStore::load_dead_letters(std::size_t limit) const {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT at_ms, receiver, alert_id, transition, attempts, error, body FROM ("
                 " SELECT * FROM dead_letters ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
                 path_);
    sqlite3_bind_int64(st.get(), 1, static_cast<sqlite3_int64>(limit));
    std::vector<DeadLetter> out;
    each_row(db_, st, path_, "dead letters", [&](sqlite3_stmt* r) {
        out.push_back(DeadLetter{sqlite3_column_int64(r, 0), column_text(r, 1), column_text(r, 2),
                                 column_text(r, 3), sqlite3_column_int(r, 4), column_text(r, 5),
                                 column_text(r, 6)});
    });
    return out;
}

std::map<std::string, std::size_t> SqliteStore::count_dead_letters() const {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT receiver, COUNT(*) FROM dead_letters GROUP BY receiver", path_);
    std::map<std::string, std::size_t> out;
    each_row(db_, st, path_, "dead-letter counts", [&](sqlite3_stmt* r) {
        out[column_text(r, 0)] = static_cast<std::size_t>(sqlite3_column_int64(r, 1));
    });
    return out;
}

void SqliteStore::write_snapshots(const std::vector<Snapshot>& snapshots) {
    exec("DELETE FROM snapshots");
    insert_snapshots("snapshots", snapshots);
    // A paged series that came back is in the checkpoint now, newer than its paged copy.
    exec("DELETE FROM paged_snapshots WHERE EXISTS (SELECT 1 FROM snapshots s"
         " WHERE s.metric = paged_snapshots.metric AND s.series_key = paged_snapshots.series_key)");
}

void SqliteStore::insert_snapshots(const char* table, const std::vector<Snapshot>& snapshots) {
    const std::string sql = std::string("INSERT OR REPLACE INTO ") + table +
                            "(metric, series_key, fed_until_ms, state) VALUES(?1, ?2, ?3, ?4)";
    Statement st(db_, sql.c_str(), path_);
    for (const auto& s : snapshots) {
        sqlite3_reset(st.get());
        bind_text(st.get(), 1, s.metric);
        bind_text(st.get(), 2, s.series_key);
        sqlite3_bind_int64(st.get(), 3, s.fed_until_ms);
        bind_text(st.get(), 4, s.state);
        step_done(db_, st, path_, "save a snapshot");
    }
}

void SqliteStore::atomically(const std::function<void()>& writes) {
    std::lock_guard lock(mutex_);
    exec("BEGIN IMMEDIATE");
    try {
        writes();
        exec("COMMIT");
    } catch (...) {
        sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
        throw;
    }
}

void SqliteStore::replace_snapshots(const std::vector<Snapshot>& snapshots) {
    atomically([&] { write_snapshots(snapshots); });
}

void SqliteStore::save_checkpoint(const Checkpoint& checkpoint, const std::vector<Snapshot>& snapshots) {
    std::lock_guard lock(mutex_);
    // The event log's segments before the checkpoint are deleted next: the commit must be on
    // disk first, also against a power cut (the store otherwise syncs at WAL checkpoints).
    exec("PRAGMA synchronous=FULL");
    try {
        atomically([&] {
            write_snapshots(snapshots);
            Statement st(
                db_,
                "INSERT OR REPLACE INTO checkpoint(id, log_seq, windows, ids, saved_ms, events)"
                " VALUES(1, ?1, ?2, ?3, ?4, ?5)",
                path_);
            sqlite3_bind_int64(st.get(), 1, static_cast<std::int64_t>(checkpoint.log_seq));
            bind_blob(st.get(), 2, checkpoint.windows);
            bind_blob(st.get(), 3, checkpoint.ids);
            sqlite3_bind_int64(st.get(), 4, checkpoint.saved_ms);
            sqlite3_bind_int64(st.get(), 5, static_cast<std::int64_t>(checkpoint.events));
            step_done(db_, st, path_, "save the checkpoint");
        });
    } catch (...) {
        sqlite3_exec(db_, "PRAGMA synchronous=NORMAL", nullptr, nullptr, nullptr);
        throw;
    }
    exec("PRAGMA synchronous=NORMAL");
}

bool SqliteStore::first_use(const std::string& scope, const std::string& key, std::int64_t now_ms,
                      std::int64_t expires_ms) {
    std::lock_guard lock(mutex_);
    if (++uses_ % 1024 == 0) {
        Statement prune(db_, "DELETE FROM used_signatures WHERE expires_ms < ?1", path_);
        sqlite3_bind_int64(prune.get(), 1, now_ms);
        step_done(db_, prune, path_, "prune used signatures");
    }
    // Inserted, or an expired use taken over: one changed row means first use.
    Statement st(db_,
                 "INSERT INTO used_signatures(scope, key, expires_ms) VALUES(?1, ?2, ?3)"
                 " ON CONFLICT(scope, key) DO UPDATE SET expires_ms = excluded.expires_ms"
                 " WHERE used_signatures.expires_ms < ?4",
                 path_);
    bind_text(st.get(), 1, scope);
    bind_text(st.get(), 2, key);
    sqlite3_bind_int64(st.get(), 3, expires_ms);
    sqlite3_bind_int64(st.get(), 4, now_ms);
    step_done(db_, st, path_, "remember a used signature");
    return sqlite3_changes(db_) == 1;
}

std::optional<Store::Checkpoint> SqliteStore::load_checkpoint() const {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT log_seq, windows, ids, saved_ms, events FROM checkpoint WHERE id = 1",
                 path_);
    std::optional<Checkpoint> out;
    each_row(db_, st, path_, "the checkpoint", [&](sqlite3_stmt* r) {
        out = Checkpoint{static_cast<std::uint64_t>(sqlite3_column_int64(r, 0)),
                         column_blob(r, 1), column_blob(r, 2), sqlite3_column_int64(r, 3),
                         static_cast<std::uint64_t>(sqlite3_column_int64(r, 4))};
    });
    return out;
}

std::string SqliteStore::integrity_problems() const {
    std::lock_guard lock(mutex_);
    std::string found;
    int lines = 0;
    auto collect = [](void* out, int columns, char** values, char**) {
        auto& [text, count] = *static_cast<std::pair<std::string*, int*>*>(out);
        if (columns > 0 && values[0] != nullptr && std::string_view(values[0]) != "ok" &&
            (*count)++ < 5) {
            *text += (text->empty() ? "" : "; ") + std::string(values[0]);
        }
        return 0;
    };
    std::pair<std::string*, int*> out{&found, &lines};
    char* error = nullptr;
    if (sqlite3_exec(db_, "PRAGMA quick_check", collect, &out, &error) != SQLITE_OK) {
        found = error != nullptr ? error : "quick_check failed";
        sqlite3_free(error);
    }
    return found;
}

void SqliteStore::page_out(const std::vector<Snapshot>& snapshots) {
    atomically([&] { insert_snapshots("paged_snapshots", snapshots); });
}

std::optional<Store::Snapshot> SqliteStore::paged(const std::string& metric,
                                            const std::string& series_key) const {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT fed_until_ms, state FROM paged_snapshots"
                 " WHERE metric = ?1 AND series_key = ?2",
                 path_);
    bind_text(st.get(), 1, metric);
    bind_text(st.get(), 2, series_key);
    std::optional<Snapshot> out;
    each_row(db_, st, path_, "paged snapshot", [&](sqlite3_stmt* r) {
        out = Snapshot{metric, series_key, sqlite3_column_int64(r, 0), column_text(r, 1)};
    });
    return out;
}

std::size_t SqliteStore::paged_count() const {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT count(*) FROM paged_snapshots", path_);
    std::size_t n = 0;
    each_row(db_, st, path_, "paged snapshots",
             [&](sqlite3_stmt* r) { n = static_cast<std::size_t>(sqlite3_column_int64(r, 0)); });
    return n;
}

std::vector<Store::Snapshot> SqliteStore::load_snapshots() const {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT metric, series_key, fed_until_ms, state FROM snapshots", path_);
    std::vector<Snapshot> out;
    each_row(db_, st, path_, "snapshots", [&](sqlite3_stmt* r) {
        out.push_back(
            Snapshot{column_text(r, 0), column_text(r, 1), sqlite3_column_int64(r, 2), column_text(r, 3)});
    });
    return out;
}

}  // namespace terrain::core
