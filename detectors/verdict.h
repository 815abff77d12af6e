#pragma once

#include <cmath>
#include <string>

#include "core/finding.h"

namespace terrain::detectors {

// A detector's judgement of one point. `score` is in [0, 1): 0.5 exactly at the detector's
// threshold, above it anomalous; it keeps full resolution far into the tail (see score_of). `evaluated` is false while warming up or when the
// point carries too little volume to judge (2 complaints out of 40 deliveries); such points
// neither raise nor resolve an alert. `lower`/`upper` are the band of normal values (NaN for
// an open side), `expected` the centre of that band.
// The detector fills the band, score and words (and, for pairs, claim_expected and the
// quadrant); the evaluator adds the observed value and its parts.
struct Verdict : core::Evidence {
    bool evaluated = false;
    bool anomalous = false;
};

}  // namespace terrain::detectors
