#pragma once

#include "detectors/detector.h"

namespace terrain::detectors {

// `threshold`: static bounds. A point is anomalous when its value is above `above` or below
// `below`. For ratios, points whose denominator is under `min_denominator` are not judged
// (1 complaint out of 3 deliveries is no evidence); for counts and sums, `min_value` skips
// points whose value is below it when only `above` is set.
//
// A ratio is beyond a limit only when its count would be unlikely had the rate been at the limit
// (a Poisson test at `p_value`, default 0.01): 4 complaints where the limit allows 3.2 are
// noise, 40 are not.
//
// Parameters: above, below (at least one), min_denominator (default 0), min_value (default 0),
// p_value (default 0.01; 1 turns the test off).
// Stateless per series.
void register_threshold(Registry& registry);

}  // namespace terrain::detectors
