#pragma once

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "detectors/detector.h"

namespace terrain::detectors {

// The values of one series at the same slot of the last `cycles` periods (the same 5 minutes
// of the day, or of the week), and their median as the expected value. Memory: one value per
// slot and cycle (a week of 5-minute windows, 4 cycles: 8,064 values).
class SlotBaseline final {
public:
    SlotBaseline(std::int64_t period_ms, std::int64_t window_ms, int cycles);

    std::size_t slot_of(std::int64_t window_start_ms) const;
    // Median of the slot's stored values; NaN with fewer than `min_cycles` of them.
    double expected(std::size_t slot, int min_cycles) const;
    void learn(std::size_t slot, double value);

    nlohmann::json save() const;
    void restore(const nlohmann::json& state);

private:
    std::int64_t window_ms_;
    std::size_t slots_;
    int cycles_;
    std::vector<double> values_;       // slots_ x cycles_, NaN where empty
    std::vector<std::uint8_t> next_;  // per slot: where the next value goes
};

// `seasonal`: the median of the same slot over the last `cycles` periods (daily `period: 1d`
// or weekly `period: 1w`) as the expected value; a point is anomalous when it lies more than
// `z` typical deviations away. The typical deviation is a running mean of absolute residuals
// with a floor from the metric's sampling noise (Poisson for counts). Anomalous points enter
// the baseline as their expected value, so an incident is kept out of next week's normal.
//
// Parameters: period (1d), cycles (4, up to 12), min_cycles (2), z (4), alpha (0.05, the
// deviation's smoothing), min_value (counts: skip points where value and expectation are both
// below it). O(period / window x cycles) memory, O(cycles) time per point.
void register_seasonal(Registry& registry);

// `volume`: a guard for runaway and stalled automation, on the same seasonal baseline. A point
// is anomalous when it is above `runaway` times the expected volume for this slot (a journey
// mailing the whole database, a loop), or at most `stall` times it while at least
// `min_expected` is expected (sends falling to zero at campaign time).
//
// Parameters: period (1d), cycles (4), min_cycles (2), runaway (5), stall (0.1),
// min_expected (20).
void register_volume(Registry& registry);

}  // namespace terrain::detectors
