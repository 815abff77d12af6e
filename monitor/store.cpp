#include "monitor/store.h"

#include <sqlite3.h>

#include <stdexcept>

namespace terrain::monitor {

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

std::string column_text(sqlite3_stmt* s, int i) {
    const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(s, i));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(s, i));
}

}  // namespace

Store::Store(const std::string& path) : path_(path) {
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
    exec("CREATE INDEX IF NOT EXISTS audit_alert ON audit(alert_id, seq)");
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
}

Store::~Store() { sqlite3_close(db_); }

void Store::exec(const char* sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql, nullptr, nullptr, &err) != SQLITE_OK) {
        std::string why = err != nullptr ? err : "unknown error";
        sqlite3_free(err);
        throw std::runtime_error(path_ + ": '" + sql + "' failed: " + why);
    }
}

void Store::put_alert(const Document& doc) {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "INSERT INTO alerts(fingerprint, state, body, updated_ms) VALUES(?,?,?,?) "
                 "ON CONFLICT(fingerprint) DO UPDATE SET state=excluded.state, "
                 "body=excluded.body, updated_ms=excluded.updated_ms",
                 path_);
    bind_text(st.get(), 1, doc.key);
    bind_text(st.get(), 2, doc.state);
    bind_text(st.get(), 3, doc.body);
    sqlite3_bind_int64(st.get(), 4, doc.updated_ms);
    if (sqlite3_step(st.get()) != SQLITE_DONE) {
        throw std::runtime_error(path_ + ": cannot save alert: " + sqlite3_errmsg(db_));
    }
}

std::vector<Store::Document> Store::load_alerts() const {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT fingerprint, state, body, updated_ms FROM alerts ORDER BY updated_ms",
                 path_);
    std::vector<Document> out;
    int rc = 0;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        out.push_back(Document{column_text(st.get(), 0), column_text(st.get(), 1),
                               column_text(st.get(), 2), sqlite3_column_int64(st.get(), 3)});
    }
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(path_ + ": cannot read alerts: " + sqlite3_errmsg(db_));
    }
    return out;
}

void Store::append_audit(const AuditEntry& e) {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "INSERT INTO audit(at_ms, alert_id, action, actor, detail, result) "
                 "VALUES(?,?,?,?,?,?)",
                 path_);
    sqlite3_bind_int64(st.get(), 1, e.at_ms);
    bind_text(st.get(), 2, e.alert_id);
    bind_text(st.get(), 3, e.action);
    bind_text(st.get(), 4, e.actor);
    bind_text(st.get(), 5, e.detail);
    bind_text(st.get(), 6, e.result);
    if (sqlite3_step(st.get()) != SQLITE_DONE) {
        throw std::runtime_error(path_ + ": cannot append to the audit trail: " +
                                 sqlite3_errmsg(db_));
    }
}

std::vector<Store::AuditEntry> Store::load_audit(const std::string& alert_id,
                                                 std::size_t limit) const {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT at_ms, alert_id, action, actor, detail, result FROM ("
                 " SELECT * FROM audit WHERE ?1 = '' OR alert_id = ?1 ORDER BY seq DESC LIMIT ?2"
                 ") ORDER BY seq",
                 path_);
    bind_text(st.get(), 1, alert_id);
    sqlite3_bind_int64(st.get(), 2, static_cast<sqlite3_int64>(limit));
    std::vector<AuditEntry> out;
    int rc = 0;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        out.push_back(AuditEntry{sqlite3_column_int64(st.get(), 0), column_text(st.get(), 1),
                                 column_text(st.get(), 2), column_text(st.get(), 3),
                                 column_text(st.get(), 4), column_text(st.get(), 5)});
    }
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(path_ + ": cannot read the audit trail: " + sqlite3_errmsg(db_));
    }
    return out;
}

void Store::append_dead_letter(const DeadLetter& d) {
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
    if (sqlite3_step(st.get()) != SQLITE_DONE) {
        throw std::runtime_error(path_ + ": cannot save a dead letter: " + sqlite3_errmsg(db_));
    }
}

std::vector<Store::DeadLetter> Store::load_dead_letters(std::size_t limit) const {
    std::lock_guard lock(mutex_);
    Statement st(db_,
                 "SELECT at_ms, receiver, alert_id, transition, attempts, error, body FROM ("
                 " SELECT * FROM dead_letters ORDER BY seq DESC LIMIT ?1) ORDER BY seq",
                 path_);
    sqlite3_bind_int64(st.get(), 1, static_cast<sqlite3_int64>(limit));
    std::vector<DeadLetter> out;
    int rc = 0;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        out.push_back(DeadLetter{sqlite3_column_int64(st.get(), 0), column_text(st.get(), 1),
                                 column_text(st.get(), 2), column_text(st.get(), 3),
                                 sqlite3_column_int(st.get(), 4), column_text(st.get(), 5),
                                 column_text(st.get(), 6)});
    }
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(path_ + ": cannot read dead letters: " + sqlite3_errmsg(db_));
    }
    return out;
}

std::map<std::string, std::size_t> Store::count_dead_letters() const {
    std::lock_guard lock(mutex_);
    Statement st(db_, "SELECT receiver, COUNT(*) FROM dead_letters GROUP BY receiver", path_);
    std::map<std::string, std::size_t> out;
    int rc = 0;
    while ((rc = sqlite3_step(st.get())) == SQLITE_ROW) {
        out[column_text(st.get(), 0)] = static_cast<std::size_t>(sqlite3_column_int64(st.get(), 1));
    }
    if (rc != SQLITE_DONE) {
        throw std::runtime_error(path_ + ": cannot count dead letters: " + sqlite3_errmsg(db_));
    }
    return out;
}

}  // namespace terrain::monitor
