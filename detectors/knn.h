#pragma once

#include "detectors/detector.h"

namespace terrain::detectors {

// `knn`: novelty of the recent shape. The last `shape` values, `stride` points apart, are
// compared with every earlier shape in the last `history` points (Euclidean distance); the
// mean distance to the `neighbours` nearest, smoothed over
// `smooth` points, measures how unlike anything recent the series now looks (after KNN-CAD,
// Burnaev and Ishimtsev 2016). That distance is judged against its own exponentially weighted
// mean and deviation: anomalous at `z` deviations above. A daily pattern repeats and stays
// quiet; a new level, a flat line where there was motion, or a burst does not. Distances of
// anomalous points are learned only clamped, so an incident does not teach what normal is.
//
// Parameters: shape (6), stride (2), history (3000 points), neighbours (3), exclude (10: the
// most recent shapes overlap the current one and are skipped), smooth (3), alpha (0.004),
// z (4), warmup (50 judged distances). O(history) memory and O(history * shape) time per point:
// meant for the series that matter most, and the detector `terrain eval nab` scores best.
void register_knn(Registry& registry);

}  // namespace terrain::detectors
