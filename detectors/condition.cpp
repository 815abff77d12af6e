#include "detectors/condition.h"

#include "detectors/detector.h"

#include <bit>

namespace terrain::detectors {

const std::vector<core::KeyDoc>& condition_keys() {
    static const std::vector<core::KeyDoc> keys = {
        {"direction", "both, up or down", "only deviations this way count (both)"},
        {"fire_after", "number", "fire when this many of the last of_last judged windows were anomalous (1)"},
        {"of_last", "number", "the windows fire_after counts over, up to 64 (fire_after)"},
        {"recover_after", "number", "consecutive normal windows that resolve the alert (1)"},
        {"hold", "number", "windows a firing lasts at least; no second alert meanwhile (0)"},
        {"min_volume", "number",
         "windows with less volume are not judged: the denominator for ratios, the value for "
         "counts and sums (0)"},
    };
    return keys;
}

ConditionConfig parse_condition(const Params& p) {
    ConditionConfig c;
    const auto dir = p.choice("direction", "both", {"both", "up", "down"});
    c.direction = dir == "up" ? 1 : dir == "down" ? -1 : 0;
    c.fire_after = static_cast<int>(p.number("fire_after", 1, 1, 64));
    c.of_last = static_cast<int>(p.number("of_last", c.fire_after, 1, 64));
    if (c.of_last < c.fire_after) {
        p.fail("of_last", "must be at least fire_after (" + std::to_string(c.fire_after) + ")");
    }
    c.recover_after = static_cast<int>(p.number("recover_after", 1, 1, 1e6));
    c.hold = static_cast<int>(p.number("hold", 0, 0, 1e6));
    c.min_volume = p.number("min_volume", 0, 0, 1e15);
    return c;
}

bool Condition::apply(Verdict& v, double observed) {
    bool anomalous = v.anomalous;
    if (anomalous && c_.direction != 0) {
        anomalous = c_.direction > 0 ? observed > v.expected : observed < v.expected;
    }
    const std::uint64_t mask = c_.of_last >= 64 ? ~0ULL : (1ULL << c_.of_last) - 1;
    recent_ = ((recent_ << 1) | (anomalous ? 1 : 0)) & mask;
    bool fired = false;
    if (firing_) {
        ++since_fire_;
        normal_run_ = anomalous ? 0 : normal_run_ + 1;
        if (since_fire_ >= c_.hold && normal_run_ >= c_.recover_after) {
            firing_ = false;
        }
    } else if (std::popcount(recent_) >= c_.fire_after) {
        firing_ = fired = true;
        since_fire_ = 0;
        normal_run_ = 0;
    }
    v.anomalous = firing_;
    return fired;
}

void Condition::restore(const State& s) {
    recent_ = s.recent;
    firing_ = s.firing;
    since_fire_ = s.since_fire;
    normal_run_ = s.normal_run;
}

}  // namespace terrain::detectors
