#include "core/postgres.h"

#include <libpq-fe.h>

#include <stdexcept>

#include "core/signature.h"

namespace terrain::core {

namespace {

// libpq's messages end in a newline.
std::string trimmed(std::string why) {
    while (!why.empty() && (why.back() == '\n' || why.back() == ' ')) {
        why.pop_back();
    }
    return why;
}

}  // namespace

Postgres::Postgres(std::string dsn) : dsn_(std::move(dsn)) { connect(); }

Postgres::~Postgres() {
    if (conn_ != nullptr) {
        PQfinish(conn_);
    }
}

void Postgres::connect() {
    if (conn_ != nullptr) {
        PQfinish(conn_);
    }
    conn_ = PQconnectdb(dsn_.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) {
        throw std::runtime_error("postgres: cannot connect: " + trimmed(PQerrorMessage(conn_)));
    }
    // Notices ("relation already exists, skipping") are not for terrain's log.
    PQsetNoticeProcessor(conn_, [](void*, const char*) {}, nullptr);
}

Postgres::Result Postgres::exec(const std::string& sql, const std::vector<Param>& params,
                                const char* what) {
    if (conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK) {
        connect();
    }
    std::vector<const char*> values;
    values.reserve(params.size());
    for (const auto& p : params) {
        values.push_back(p ? p->c_str() : nullptr);
    }
    PGresult* res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                                 values.data(), nullptr, nullptr, 0);
    if (PQresultStatus(res) == PGRES_FATAL_ERROR && PQstatus(conn_) == CONNECTION_BAD &&
        !in_transaction_) {
        // The server went away since the last statement (a restart): once more on a new
        // connection. Every statement terrain sends is safe to repeat.
        PQclear(res);
        connect();
        res = PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                           values.data(), nullptr, nullptr, 0);
    }
    const auto status = PQresultStatus(res);
    if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
        std::string why = trimmed(PQresultErrorMessage(res));
        PQclear(res);
        throw std::runtime_error(std::string("postgres: cannot ") + what + ": " + why);
    }
    Result out;
    const int rows = PQntuples(res);
    const int cols = PQnfields(res);
    for (int c = 0; c < cols; ++c) {
        const Oid type = PQftype(res, c);
        out.integer.push_back(type == 20 || type == 21 || type == 23);  // int8, int2, int4
    }
    out.rows.reserve(static_cast<std::size_t>(rows));
    for (int r = 0; r < rows; ++r) {
        auto& row = out.rows.emplace_back();
        for (int c = 0; c < cols; ++c) {
            if (PQgetisnull(res, r, c)) {
                row.emplace_back(std::nullopt);
            } else {
                row.emplace_back(std::string(PQgetvalue(res, r, c),
                                             static_cast<std::size_t>(PQgetlength(res, r, c))));
            }
        }
    }
    const char* affected = PQcmdTuples(res);
    out.affected = affected != nullptr && *affected != '\0' ? std::stoull(affected) : 0;
    PQclear(res);
    return out;
}

void Postgres::transaction(const std::function<void()>& statements) {
    exec("BEGIN", {}, "begin a transaction");
    in_transaction_ = true;
    try {
        statements();
        exec("COMMIT", {}, "commit");
        in_transaction_ = false;
    } catch (...) {
        in_transaction_ = false;
        if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
            PQclear(PQexec(conn_, "ROLLBACK"));
        }
        throw;
    }
}

bool Postgres::reachable() {
    try {
        exec("SELECT 1", {}, "check the connection");
        return true;
    } catch (const std::exception&) {
        return false;
    }
}

std::string Postgres::bytea(std::string_view data) { return "\\x" + hex(data); }

std::string Postgres::from_bytea(std::string_view text) {
    if (text.size() < 2 || text[0] != '\\' || text[1] != 'x') {
        throw std::runtime_error("postgres: a bytea value is not in hex form");
    }
    auto nibble = [](char c) -> int {
        if (c >= '0' && c <= '9') return c - '0';
        if (c >= 'a' && c <= 'f') return c - 'a' + 10;
        if (c >= 'A' && c <= 'F') return c - 'A' + 10;
        throw std::runtime_error("postgres: a bytea value has a character that is not hex");
    };
    std::string out;
    out.reserve((text.size() - 2) / 2);
    for (std::size_t i = 2; i + 1 < text.size(); i += 2) {
        out += static_cast<char>(nibble(text[i]) << 4 | nibble(text[i + 1]));
    }
    return out;
}

}  // namespace terrain::core
