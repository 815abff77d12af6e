#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "monitor/config.h"
#include "monitor/event.h"

namespace terrain::monitor {

// What a detector concluded about one point of one series. Produced on the pipeline thread,
// consumed by the alert manager. `anomalous` false with `evaluated` true means "normal again"
// and lets a firing alert resolve; `evaluated` false (too little volume, warming up) leaves
// any alert as it is.
struct Finding {
    std::string metric;
    std::string detector;  // detector name within the metric
    std::string detector_type;
    std::string severity;
    std::string team;  // the metric's owner
    Labels labels;  // the series' group-by labels
    std::int64_t window_start_ms = 0;
    std::int64_t window_end_ms = 0;
    bool evaluated = false;
    bool anomalous = false;
    double observed = 0;
    double expected = 0;
    double lower = 0;
    double upper = 0;
    double score = 0;
    double numerator = 0;
    double denominator = 0;
    std::string reason;  // one line a person reads: "0.52% is above 0.30%"
    // Pairs: the pair's configuration (its words), what the MAP reports over the same exposure
    // and its usual value, and the CX efficiency quadrant (see detectors/disagreement.h).
    const PairConfig* pair = nullptr;
    double claim = std::nan("");
    double claim_expected = std::nan("");
    std::string quadrant;
};

}  // namespace terrain::monitor
