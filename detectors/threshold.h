#pragma once

#include "detectors/detector.h"

namespace terrain::detectors {

// `threshold`: static bounds. A point is anomalous when its value is above `above` or below
// `below`. For ratios, points whose denominator is under `min_denominator` are not judged
// (1 complaint out of 3 deliveries is no evidence); for counts and sums, `min_value` skips
// points whose value is below it when only `above` is set.
//
// Parameters: above, below (at least one), min_denominator (default 0), min_value (default 0).
// Stateless per series.
void register_threshold(Registry& registry);

}  // namespace terrain::detectors
