#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct pg_conn;

namespace terrain::core {

// One libpq connection (the scale-out mode's shared state, docs/cluster.md). Not thread-safe:
// each thread that needs PostgreSQL has its own. A lost connection is re-opened by the next
// exec(), which is repeated once on the new connection when the old one turns out broken
// (statements given here must be safe to repeat); failures throw std::runtime_error naming
// what was being done and PostgreSQL's words.
class Postgres final {
public:
    using Param = std::optional<std::string>;  // text form; nullopt is NULL
    struct Result {
        std::vector<std::vector<Param>> rows;  // text form
        std::size_t affected = 0;              // rows an UPDATE or INSERT touched
        std::vector<bool> integer;             // per column: an integer type
    };

    explicit Postgres(std::string dsn);
    ~Postgres();
    Postgres(const Postgres&) = delete;
    Postgres& operator=(const Postgres&) = delete;

    // Runs one statement with $1, $2, ... parameters. `what` completes "postgres: cannot ...".
    Result exec(const std::string& sql, const std::vector<Param>& params, const char* what);
    // Runs `statements` (exec calls on this connection) as one transaction: committed when it
    // returns, rolled back when it throws (rethrown). Inside it a broken connection is not
    // re-opened and nothing is repeated: the transaction fails as a whole.
    void transaction(const std::function<void()>& statements);
    // True when a trivial query answers (re-connects first if the connection was lost).
    bool reachable();

    // bytea in text form ("\x" and hex) and back.
    static std::string bytea(std::string_view data);
    static std::string from_bytea(std::string_view text);

private:
    void connect();

    std::string dsn_;
    pg_conn* conn_ = nullptr;
    bool in_transaction_ = false;
};

}  // namespace terrain::core
