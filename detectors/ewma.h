#pragma once

#include "detectors/detector.h"

namespace terrain::detectors {

// `ewma`: an adaptive baseline. Exponentially weighted mean and variance of the series
// (Roberts 1959; West and Harrison's discounting); a point is anomalous when it lies more than
// `z` standard deviations from the mean. The deviation has a floor from the sampling noise of
// the metric (Poisson sqrt(mean) for counts, binomial sqrt(p(1-p)/n) for ratios), so a quiet
// series does not alert on noise. Anomalous points are learned only clamped to the band edge,
// so a spike does not become the new normal, while a lasting level shift is still absorbed.
//
// Parameters: alpha (0.1, smoothing), z (4), warmup (12 points learned before judging),
// min_value (counts: skip points where value and mean are both
// below it), min_denominator (ratios). O(1) state per series.
void register_ewma(Registry& registry);

}  // namespace terrain::detectors
