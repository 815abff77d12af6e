#pragma once

#include "detectors/detector.h"

namespace terrain::detectors {

// `disagreement`, the detector of pairs (configuration `pairs`): customer signals per unit of
// the MAP's exposure (complaints per delivered, repeat contacts per bot session, abandons
// per IVR call) judged against the pair's own baseline with the `rate` test, which holds for
// small counts. Only a change for the worse is a finding: customers signalling more than usual
// (or, for a pair with `worse: below`, engaging less: opens that collapse). Alongside it
// keeps the MAP's own figure (delivery rate, containment rate, self-service rate, or the
// exposure count) against its baseline, and says where the point falls in the CX efficiency
// matrix:
//
//   good_for_company_bad_for_customer  the MAP looks normal or better while customers
//                                      signal more: the dangerous quadrant, where the
//                                      automation's own dashboards stay green
//   bad_for_both                       the MAP's figure is down too
//   bad_for_company_good_for_customer  the MAP's figure is down, customers are fine
//   good_for_both                      nothing to see
//
// Parameters: those of `rate` (p_value default 1e-6 here, alpha, max_strength, min_baseline
// default 2000 exposures learned before judging, min_history default 12h: customer signals
// lag the exposure, so a younger baseline is too low), learn_p_value (1e-3: windows less likely
// than this are kept out of the baseline, so an incident building up over a few windows is
// not learned as normal before it is flagged), claim_alpha (0.05: how fast the MAP
// figure's baseline follows), claim_z (3: how many deviations below its baseline the MAP
// figure must be to count as worse). Pairs only.
void register_disagreement(Registry& registry);

// The four quadrants a disagreement verdict names, for series that start at zero.
const std::vector<const char*>& quadrants();

}  // namespace terrain::detectors
