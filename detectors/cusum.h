#pragma once

#include "detectors/detector.h"

namespace terrain::detectors {

// `cusum`: two-sided CUSUM (Page 1954) for slow drifts, such as a bounce rate creeping up over
// hours, that never leave an EWMA band at any single point. Each point is standardised
// against a slow baseline (exponentially weighted mean and deviation, with the metric's
// sampling-noise floor); the sums S+ = max(0, S+ + z - k) and S- = max(0, S- - z - k) grow
// while the series sits on one side, and the point is anomalous while either exceeds h.
// The baseline learns points only clamped to +-z_clamp deviations, so a drift is not absorbed
// before it is caught.
//
// Parameters: k (0.5, the allowance in deviations), h (5), alpha (0.01), warmup (24 points),
// z_clamp (3), min_value, min_denominator. O(1) per series.
void register_cusum(Registry& registry);

}  // namespace terrain::detectors
