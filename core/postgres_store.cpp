#include "core/postgres_store.h"

#include <cctype>
#include <stdexcept>

namespace terrain::core {

namespace {

using Param = Postgres::Param;

std::string pg_number(std::int64_t n) { return std::to_string(n); }
std::int64_t pg_int(const Param& p) { return p ? std::stoll(*p) : 0; }
std::string pg_text(const Param& p) { return p ? *p : std::string(); }

// Made once per database: nodes that start together wait on the same advisory lock.
constexpr const char* kStoreSchema = R"SQL(
CREATE TABLE IF NOT EXISTS alerts (
  fingerprint TEXT PRIMARY KEY, state TEXT NOT NULL, body TEXT NOT NULL,
  updated_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS silences (
  fingerprint TEXT PRIMARY KEY, state TEXT NOT NULL, body TEXT NOT NULL,
  updated_ms BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS audit (
  seq BIGSERIAL PRIMARY KEY, at_ms BIGINT NOT NULL, alert_id TEXT NOT NULL,
  action TEXT NOT NULL, actor TEXT NOT NULL, detail TEXT NOT NULL, result TEXT NOT NULL,
  prev_hash TEXT NOT NULL, hash TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS audit_alert ON audit(alert_id, seq);
CREATE TABLE IF NOT EXISTS outbox (
  id BIGSERIAL PRIMARY KEY, receiver TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq BIGSERIAL PRIMARY KEY, at_ms BIGINT NOT NULL, receiver TEXT NOT NULL,
  alert_id TEXT NOT NULL, transition TEXT NOT NULL, attempts INTEGER NOT NULL,
  error TEXT NOT NULL, body TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS used_signatures (
  scope TEXT NOT NULL, key TEXT NOT NULL, expires_ms BIGINT NOT NULL,
  PRIMARY KEY (scope, key));
)SQL";

std::vector<Param> pg_params(const std::vector<Store::Value>& values) {
    std::vector<Param> out;
    for (const auto& v : values) {
        if (const auto* n = std::get_if<std::int64_t>(&v)) {
            out.emplace_back(pg_number(*n));
        } else {
            out.emplace_back(std::get<std::string>(v));
        }
    }
    return out;
}

// Runs `sql` (statements separated by ';') under the schema lock.
void schema_once(Postgres& db, const std::string& sql, const char* what) {
    db.transaction([&] {
        db.exec("SELECT pg_advisory_xact_lock(hashtext('terrain schema'))", {}, what);
        std::size_t from = 0;
        while (from < sql.size()) {
            auto end = sql.find(';', from);
            end = end == std::string::npos ? sql.size() : end;
            const std::string statement = sql.substr(from, end - from);
            if (statement.find_first_not_of(" \n") != std::string::npos) {
                db.exec(statement, {}, what);
            }
            from = end + 1;
        }
    });
}

}  // namespace

PostgresStore::PostgresStore(const std::string& dsn, Fence fence)
    : db_(dsn), fence_(std::move(fence)) {
    schema_once(db_, kStoreSchema, "make the store's tables");
}

std::string PostgresStore::translated(std::string_view sql, bool schema) {
    std::string out;
    int next = 1;
    for (std::size_t i = 0; i < sql.size(); ++i) {
        if (sql[i] != '?') {
            out += sql[i];
            continue;
        }
        std::size_t j = i + 1;
        while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) {
            ++j;
        }
        out += '$';
        out += j > i + 1 ? std::string(sql.substr(i + 1, j - i - 1)) : std::to_string(next);
        ++next;
        i = j - 1;
    }
    if (schema) {
        for (std::size_t at = 0; (at = out.find(" INTEGER", at)) != std::string::npos;) {
            out.replace(at, 8, " BIGINT");
        }
        if (out.find("CREATE TABLE") != std::string::npos) {
            const auto close = out.rfind(')');
            if (close != std::string::npos) {
                out.insert(close, ", rowid BIGSERIAL");
            }
        }
    }
    return out;
}

void PostgresStore::fenced(const std::function<void()>& statements) {
    std::lock_guard lock(mutex_);
    if (depth_ > 0) {
        statements();
        return;
    }
    ++depth_;
    try {
        db_.transaction([&] {
            fence_(db_);
            statements();
        });
    } catch (...) {
        --depth_;
        throw;
    }
    --depth_;
}

void PostgresStore::atomically(const std::function<void()>& writes) { fenced(writes); }

void PostgresStore::put_document(const char* table, const Document& doc) {
    fenced([&] {
        db_.exec(std::string("INSERT INTO ") + table +
                     "(fingerprint, state, body, updated_ms) VALUES($1,$2,$3,$4) "
                     "ON CONFLICT(fingerprint) DO UPDATE SET state=excluded.state, "
                     "body=excluded.body, updated_ms=excluded.updated_ms",
                 {doc.key, doc.state, doc.body, pg_number(doc.updated_ms)}, "save a document");
    });
}

std::vector<Store::Document> PostgresStore::load_documents(const char* table) const {
    std::lock_guard lock(mutex_);
    std::vector<Document> out;
    for (auto& r : db_.exec(std::string("SELECT fingerprint, state, body, updated_ms FROM ") +
                                table + " ORDER BY updated_ms",
                            {}, "read documents")
                       .rows) {
        out.push_back(Document{pg_text(r[0]), pg_text(r[1]), pg_text(r[2]), pg_int(r[3])});
    }
    return out;
}

void PostgresStore::put_alert(const Document& doc) { put_document("alerts", doc); }
std::vector<Store::Document> PostgresStore::load_alerts() const {
    return load_documents("alerts");
}
void PostgresStore::put_silence(const Document& doc) { put_document("silences", doc); }
std::vector<Store::Document> PostgresStore::load_silences() const {
    return load_documents("silences");
}

void PostgresStore::append_audit(const AuditRecord& e) {
    fenced([&] {
        // One chain: appends from anywhere take their turn.
        db_.exec("SELECT pg_advisory_xact_lock(hashtext('terrain audit'))", {},
                 "lock the audit chain");
        const auto last =
            db_.exec("SELECT hash FROM audit ORDER BY seq DESC LIMIT 1", {}, "read the audit chain");
        const std::string prev = last.rows.empty() ? "" : pg_text(last.rows[0][0]);
        db_.exec("INSERT INTO audit(at_ms, alert_id, action, actor, detail, result, prev_hash, "
                 "hash) VALUES($1,$2,$3,$4,$5,$6,$7,$8)",
                 {pg_number(e.at_ms), e.alert_id, e.action, e.actor, e.detail, e.result, prev,
                  audit_hash(e, prev)},
                 "append to the audit trail");
    });
}

std::vector<Store::AuditEntry> PostgresStore::audit_rows(const std::string& sql,
                                                         const std::vector<Param>& params) const {
    std::lock_guard lock(mutex_);
    std::vector<AuditEntry> out;
    for (auto& r : db_.exec(sql, params, "read the audit trail").rows) {
        out.push_back(AuditEntry{{pg_int(r[0]), pg_text(r[1]), pg_text(r[2]), pg_text(r[3]),
                                  pg_text(r[4]), pg_text(r[5])},
                                 pg_int(r[6]),
                                 pg_text(r[7]),
                                 pg_text(r[8])});
    }
    return out;
}

std::int64_t PostgresStore::verify_audit() const {
    std::string prev;
    for (const auto& e : audit_rows("SELECT at_ms, alert_id, action, actor, detail, result, seq, "
                                    "prev_hash, hash FROM audit ORDER BY seq",
                                    {})) {
        if (e.prev_hash != prev || e.hash != audit_hash(e, prev)) {
            return e.seq;
        }
        prev = e.hash;
    }
    return 0;
}

std::vector<Store::AuditEntry> PostgresStore::load_audit(const std::string& alert_id,
                                                         std::size_t limit) const {
    return audit_rows(
        "SELECT at_ms, alert_id, action, actor, detail, result, seq, prev_hash, hash FROM "
        "(SELECT * FROM audit WHERE $1 = '' OR alert_id = $1 ORDER BY seq DESC LIMIT $2) a "
        "ORDER BY seq",
        {alert_id, std::to_string(limit)});
}

std::int64_t PostgresStore::put_pending(const std::string& receiver, const std::string& body) {
    std::int64_t id = 0;
    fenced([&] {
        id = pg_int(db_.exec("INSERT INTO outbox(receiver, body) VALUES($1,$2) RETURNING id",
                             {receiver, body}, "queue a notification")
                        .rows.at(0)
                        .at(0));
    });
    return id;
}

void PostgresStore::drop_pending(std::int64_t id) {
    fenced([&] {
        db_.exec("DELETE FROM outbox WHERE id = $1", {pg_number(id)}, "delete a delivered notification");
    });
}

std::vector<Store::Pending> PostgresStore::load_pending() const {
    std::lock_guard lock(mutex_);
    std::vector<Pending> out;
    for (auto& r : db_.exec("SELECT id, receiver, body FROM outbox ORDER BY id", {},
                            "read the outbox")
                       .rows) {
        out.push_back(Pending{pg_int(r[0]), pg_text(r[1]), pg_text(r[2])});
    }
    return out;
}

void PostgresStore::append_dead_letter(const DeadLetter& d) {
    fenced([&] {
        db_.exec("INSERT INTO dead_letters(at_ms, receiver, alert_id, transition, attempts, "
                 "error, body) VALUES($1,$2,$3,$4,$5,$6,$7)",
                 {pg_number(d.at_ms), d.receiver, d.alert_id, d.transition, pg_number(std::int64_t{d.attempts}), d.error,
                  d.body},
                 "save a dead letter");
    });
}

std::vector<Store::DeadLetter> PostgresStore::load_dead_letters(std::size_t limit) const {
    std::lock_guard lock(mutex_);
    std::vector<DeadLetter> out;
    for (auto& r :
         db_.exec("SELECT at_ms, receiver, alert_id, transition, attempts, error, body FROM ("
                  "SELECT * FROM dead_letters ORDER BY seq DESC LIMIT $1) d ORDER BY seq",
                  {std::to_string(limit)}, "read dead letters")
             .rows) {
        out.push_back(DeadLetter{pg_int(r[0]), pg_text(r[1]), pg_text(r[2]), pg_text(r[3]),
                                 static_cast<int>(pg_int(r[4])), pg_text(r[5]), pg_text(r[6])});
    }
    return out;
}

std::map<std::string, std::size_t> PostgresStore::count_dead_letters() const {
    std::lock_guard lock(mutex_);
    std::map<std::string, std::size_t> out;
    for (auto& r : db_.exec("SELECT receiver, COUNT(*) FROM dead_letters GROUP BY receiver", {},
                            "count dead letters")
                       .rows) {
        out[pg_text(r[0])] = static_cast<std::size_t>(pg_int(r[1]));
    }
    return out;
}

void PostgresStore::ensure(const char* schema) {
    std::lock_guard lock(mutex_);
    schema_once(db_, translated(schema, true), "make a module's table");
}

void PostgresStore::write(const char* sql, const std::vector<Value>& params, const char* what) {
    fenced([&] { db_.exec(translated(sql, false), pg_params(params), what); });
}

std::vector<std::vector<Store::Value>> PostgresStore::read(const std::string& sql,
                                                           const std::vector<Value>& params,
                                                           const char* what) const {
    std::lock_guard lock(mutex_);
    const auto result = db_.exec(translated(sql, false), pg_params(params), what);
    std::vector<std::vector<Value>> rows;
    for (const auto& r : result.rows) {
        auto& row = rows.emplace_back();
        for (std::size_t c = 0; c < r.size(); ++c) {
            if (result.integer[c] && r[c]) {
                row.emplace_back(std::stoll(*r[c]));
            } else {
                row.emplace_back(pg_text(r[c]));
            }
        }
    }
    return rows;
}

namespace {

[[noreturn]] void per_partition() {
    throw std::logic_error(
        "the scale-out mode keeps detector state and checkpoints per partition "
        "(terrain_partitions), not in the shared store");
}

}  // namespace

void PostgresStore::replace_snapshots(const std::vector<Snapshot>&) { per_partition(); }
void PostgresStore::page_out(const std::vector<Snapshot>&) { per_partition(); }
void PostgresStore::save_checkpoint(const Checkpoint&, const std::vector<Snapshot>&) {
    per_partition();
}

bool PostgresStore::first_use(const std::string& scope, const std::string& key,
                              std::int64_t now_ms, std::int64_t expires_ms) {
    bool first = false;
    fenced([&] {
        // An expired use of this key is forgotten now, every other one now and then.
        if (++uses_ % 1024 == 0) {
            db_.exec("DELETE FROM used_signatures WHERE expires_ms < $1", {pg_number(now_ms)},
                     "prune used signatures");
        } else {
            db_.exec("DELETE FROM used_signatures WHERE expires_ms < $1 AND scope = $2 AND "
                     "key = $3",
                     {pg_number(now_ms), scope, key}, "prune a used signature");
        }
        first = db_.exec("INSERT INTO used_signatures(scope, key, expires_ms) VALUES($1,$2,$3) "
                         "ON CONFLICT(scope, key) DO NOTHING",
                         {scope, key, pg_number(expires_ms)}, "remember a used signature")
                    .affected == 1;
    });
    return first;
}

}  // namespace terrain::core
