#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/store.h"

namespace terrain::alerts {

// Override actions carried out against a MAP or ESP, keyed by their idempotency key, so a
// repeated click is recognised and a pending one is resumed after a restart.
struct Execution {
    std::string key;  // idempotency key
    std::string alert_id;
    std::string action;
    std::string actor;
    std::string state;  // pending | done | failed | reverting | reverted
    int attempts = 0;
    std::string detail;  // what came back, or why it failed
    std::int64_t created_ms = 0;
    std::int64_t updated_ms = 0;
    std::int64_t revert_at_ms = 0;  // 0: no automatic revert
};

// The overrides' own table in the store. Thread-safe (the store is).
class Executions final {
public:
    explicit Executions(core::Store& store);
    void put(const Execution& execution);
    // All of them when alert_id is empty; oldest first.
    std::vector<Execution> of_alert(const std::string& alert_id) const;
    std::optional<Execution> find(const std::string& key) const;
    // Runs left pending or reverting (work a stop interrupted), oldest first.
    std::vector<Execution> unfinished() const;
    // Done runs whose automatic revert is due at `now_ms`, oldest first.
    std::vector<Execution> due_reverts(std::int64_t now_ms) const;

private:
    std::vector<Execution> query(const std::string& where,
                                 const std::vector<core::Store::Value>& params) const;
    core::Store& store_;
};

}  // namespace terrain::alerts
