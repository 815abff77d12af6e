#pragma once

#include <cstdint>
#include <functional>
#include <queue>
#include <string>
#include <vector>

#include "monitor/simulate.h"

namespace terrain::monitor {

// Simulated time, in milliseconds.
constexpr std::int64_t kMinute = 60'000;
constexpr std::int64_t kHour = 60 * kMinute;
constexpr std::int64_t kDay = 24 * kHour;

// What the simulators have generated and not yet sent: vendor items in time order, sent as
// each vendor delivers them (a JSON array per batch, one request per item, or a Kinesis Data
// Firehose delivery of base64 records).
class Outbox final {
public:
    enum class Delivery { kArray, kOnePerRequest, kFirehose };

    // Items at or after `end_ms` are never sent (the simulated stream ends there).
    explicit Outbox(std::int64_t end_ms) : end_(end_ms) {}

    void add(std::int64_t t, const std::string& source, Delivery how, std::string item);
    // Sends everything due before `until`: one request per source and delivery mode (or per
    // item), stamped `until`.
    void flush(std::int64_t until, const std::function<void(const SimulatedRequest&)>& emit);

private:
    struct Pending {
        std::int64_t t;
        std::string source;
        Delivery how;
        std::string item;
        bool operator>(const Pending& o) const { return t > o.t; }
    };
    std::int64_t end_;
    std::uint64_t deliveries_ = 0;
    std::priority_queue<Pending, std::vector<Pending>, std::greater<>> pending_;
};

// The send-traffic simulator (simulate_sends.cpp): campaigns that send in bursts.
bool is_send_scenario(const std::string& scenario);
const std::vector<std::string>& send_scenarios();
nlohmann::json send_truth(const SimulateOptions& options, std::int64_t start_ms, std::int64_t end_ms);
void simulate_sends(const SimulateOptions& options, std::int64_t start_ms, std::int64_t end_ms,
                    const std::function<void(const SimulatedRequest&)>& emit);

}  // namespace terrain::monitor
