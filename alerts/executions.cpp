#include "alerts/executions.h"

namespace terrain::alerts {

namespace {

std::string text(const core::Store::Value& v) { return std::get<std::string>(v); }
std::int64_t number(const core::Store::Value& v) { return std::get<std::int64_t>(v); }

}  // namespace

Executions::Executions(core::Store& store) : store_(store) {
    store_.ensure(
        "CREATE TABLE IF NOT EXISTS executions ("
        " key TEXT PRIMARY KEY,"
        " alert_id TEXT NOT NULL,"
        " action TEXT NOT NULL,"
        " actor TEXT NOT NULL,"
        " state TEXT NOT NULL,"
        " attempts INTEGER NOT NULL,"
        " detail TEXT NOT NULL,"
        " created_ms INTEGER NOT NULL,"
        " updated_ms INTEGER NOT NULL,"
        " revert_at_ms INTEGER NOT NULL)");
}

void Executions::put(const Execution& x) {
    store_.write("INSERT INTO executions(key, alert_id, action, actor, state, attempts, detail, "
                 "created_ms, updated_ms, revert_at_ms) VALUES(?,?,?,?,?,?,?,?,?,?) "
                 "ON CONFLICT(key) DO UPDATE SET state=excluded.state, "
                 "attempts=excluded.attempts, detail=excluded.detail, "
                 "updated_ms=excluded.updated_ms, revert_at_ms=excluded.revert_at_ms",
                 {x.key, x.alert_id, x.action, x.actor, x.state, std::int64_t{x.attempts},
                  x.detail, x.created_ms, x.updated_ms, x.revert_at_ms},
                 "save an action execution");
}

std::vector<Execution> Executions::query(const std::string& where,
                                         const std::vector<core::Store::Value>& params) const {
    std::vector<Execution> out;
    for (const auto& r : store_.read("SELECT key, alert_id, action, actor, state, attempts, "
                                     "detail, created_ms, updated_ms, revert_at_ms FROM "
                                     "executions " +
                                         where + " ORDER BY created_ms, rowid",
                                     params, "action executions")) {
        out.push_back({text(r[0]), text(r[1]), text(r[2]), text(r[3]), text(r[4]),
                       static_cast<int>(number(r[5])), text(r[6]), number(r[7]), number(r[8]),
                       number(r[9])});
    }
    return out;
}

std::vector<Execution> Executions::of_alert(const std::string& alert_id) const {
    return query("WHERE ?1 = '' OR alert_id = ?1", {alert_id});
}

std::optional<Execution> Executions::find(const std::string& key) const {
    auto found = query("WHERE key = ?1", {key});
    if (found.empty()) {
        return std::nullopt;
    }
    return std::move(found.front());
}

std::vector<Execution> Executions::unfinished() const {
    return query("WHERE state IN ('pending', 'reverting')", {});
}

std::vector<Execution> Executions::due_reverts(std::int64_t now_ms) const {
    return query("WHERE state = 'done' AND revert_at_ms != 0 AND revert_at_ms <= ?1", {now_ms});
}

}  // namespace terrain::alerts
