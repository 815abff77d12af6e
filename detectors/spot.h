#pragma once

#include "detectors/detector.h"

namespace terrain::detectors {

// `spot`: a threshold set by a false-alarm budget (SPOT, Siffer et al. 2017). The tail of the
// series above a high initial quantile is fitted with a generalised Pareto distribution
// (method of moments on the excesses); the alert threshold is the value exceeded with
// probability q, where q is `false_alarms` per `per` expressed per window: "at most one false
// alert per series per week" is `false_alarms: 1, per: 1w`. Excesses below the alert
// threshold keep refining the fit; alerts are not learned. `side: lower` watches the lower
// tail, `both` both.
//
// Parameters: false_alarms (1), per (1w), side (upper), init (200 points before the first
// fit; judging starts once 30 values exceeded the initial threshold), quantile (0.98, the initial threshold), max_excesses (1000). O(max_excesses) per series.
void register_spot(Registry& registry);

}  // namespace terrain::detectors
