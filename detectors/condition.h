#pragma once

#include <cstdint>

#include "detectors/verdict.h"
#include "core/aggregator.h"
#include "core/params.h"

namespace terrain::detectors {

// When a detector's judgements become an alert. Every detector accepts these keys:
//
//   direction      both | up | down: only deviations this way count (default both)
//   fire_after     N: fire when N of the last `of_last` judged points were anomalous (1)
//   of_last        M, 1..64 (default: fire_after)
//   recover_after  consecutive normal points that end a firing (1)
//   hold           points a firing lasts at least, however soon the series looks normal (0);
//                  also the debounce: no second alert while one is held open
//   min_volume     points with less volume are not judged: the denominator for ratios, the
//                  value for counts and sums (0)
//
// Points the detector did not judge (warming up, too little volume) change nothing.
struct ConditionConfig {
    int direction = 0;  // 0 both, 1 up, -1 down
    int fire_after = 1;
    int of_last = 1;
    int recover_after = 1;
    int hold = 0;
    double min_volume = 0;
};

using core::Params;
ConditionConfig parse_condition(const Params& params);
// The keys every detector accepts for its alert condition.
const std::vector<core::KeyDoc>& condition_keys();

// The firing state of one series under one detector. O(1).
class Condition final {
public:
    explicit Condition(const ConditionConfig& config) : c_(config) {}

    // Applies the condition to a judged verdict: `verdict.anomalous` becomes "the series is
    // firing". Returns true when this point started a firing.
    bool apply(Verdict& verdict, double observed);
    bool firing() const { return firing_; }
    // Below min_volume: the point is not judged.
    bool too_little(const core::Point& p) const {
        if (c_.min_volume <= 0) {
            return false;
        }
        const bool ratio = p.metric != nullptr && p.metric->aggregation == core::Aggregation::kRatio;
        // A ratio attributed to sends: the messages its send sent (its denominator is the
        // exposure so far, which is small for a young send by design).
        return (ratio ? (p.sent > 0 ? p.sent : p.denominator) : p.value) < c_.min_volume;
    }

    struct State {
        std::uint64_t recent = 0;  // bit i: the i-th last judged point was anomalous
        bool firing = false;
        int since_fire = 0;
        int normal_run = 0;
    };
    State state() const { return {recent_, firing_, since_fire_, normal_run_}; }
    void restore(const State& s);

private:
    ConditionConfig c_;
    std::uint64_t recent_ = 0;
    bool firing_ = false;
    int since_fire_ = 0;
    int normal_run_ = 0;
};

}  // namespace terrain::detectors
