#pragma once

#include <cmath>
#include <string>

namespace terrain::detectors {

// A detector's judgement of one point. `score` is in [0, 1): 0.5 exactly at the detector's
// threshold, above it anomalous; it keeps full resolution far into the tail (see score_of). `evaluated` is false while warming up or when the
// point carries too little volume to judge (2 complaints out of 40 deliveries); such points
// neither raise nor resolve an alert. `lower`/`upper` are the band of normal values (NaN for
// an open side), `expected` the centre of that band.
struct Verdict {
    bool evaluated = false;
    bool anomalous = false;
    double expected = 0;
    double lower = 0;
    double upper = 0;
    double score = 0;
    std::string reason;
    // Pairs (the disagreement detector): the MAP side's usual figure, and where the point falls
    // in the CX efficiency matrix (see disagreement.h); NaN and nullptr elsewhere.
    double claim_expected = std::nan("");
    const char* quadrant = nullptr;
};

}  // namespace terrain::detectors
