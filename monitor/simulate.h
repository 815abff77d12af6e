#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace terrain::monitor {

// `terrain simulate`: realistic multi-source traffic in the vendors' own formats (SendGrid
// event batches, Zendesk ticket webhooks, Amazon Connect contact events, terrain events for
// chatbot sessions and repeat contacts), with daily and weekly seasonality, four campaigns,
// five mailbox providers, two chatbots and a voice IVR, and optionally one injected incident.
//
// The simulated period ends at `end_ms` (now by default) and starts `days` before; an
// incident starts three hours before the end and lasts until it, so a running terrain sees it
// in the last hours of its stream.
// The latest 20:00 UTC on a weekday at or before `now_ms`: a stream ending there has its
// incident at 17:00 UTC on a weekday evening, the shape the scenario tests and the tuning
// guide's delays are measured on, whenever it is run.
std::int64_t weekday_evening_before(std::int64_t now_ms);

struct SimulateOptions {
    std::string scenario;
    std::int64_t end_ms = 0;  // 0: now
    int days = 0;  // 0: the scenario's default (7 quiet_week, 14 send_quiet_fortnight, 4 the other
                   // send scenarios, 2 otherwise)
    std::uint64_t seed = 1;
    // The send scenarios' world (monitor/simulate_sends.cpp): 0 the reference one, any other
    // number another drawn from it (schedules, list sizes, providers, signal delays).
    std::uint64_t world = 0;
};

// One HTTP request as a vendor would send it: POST /ingest/<source> with `body`, sent at
// simulated time `at_ms`.
struct SimulatedRequest {
    std::int64_t at_ms = 0;
    std::string source;
    std::string body;
    std::size_t events = 0;  // vendor events in it
};

// What was injected: the ground truth a test or a backtest scores against.
nlohmann::json ground_truth(const SimulateOptions& options);

// The scenarios: quiet_week, spam_folder, runaway_send, bot_loop, ivr_outage, consent_bug,
// forced_ivr, bot_containment_trap; and on send traffic (campaigns that send in bursts through
// four ESPs, simulate_sends.cpp): send_quiet_fortnight, provider_bounce, complaint_spike,
// duplicate_send.
const std::vector<std::string>& scenarios();

// Generates the traffic in time order, handing each request to `emit`. Throws
// std::invalid_argument for an unknown scenario.
void simulate(const SimulateOptions& options,
              const std::function<void(const SimulatedRequest&)>& emit);

// The command line: terrain simulate --scenario NAME [--out FILE | --to URL] [--speed X]
// [--days N] [--seed N] [--truth FILE]. Returns the exit code.
int run_simulate(const std::vector<std::string>& args);

}  // namespace terrain::monitor
