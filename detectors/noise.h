#pragma once

#include <algorithm>
#include <cmath>

#include "core/aggregator.h"
#include "core/config.h"

namespace terrain::detectors {

// The deviation a metric shows from sampling alone around `mean`: Poisson sqrt(mean) for
// counts, binomial sqrt(p(1-p)/n) for ratios, a relative floor for sums. Detectors use it as
// the least deviation they assume, so a quiet series does not alert on noise.
inline double sampling_noise(const core::MetricConfig& metric, double mean,
                             const core::Point& p) {
    if (metric.aggregation == core::Aggregation::kRatio) {
        const double q = std::clamp(mean, 1e-6, 1 - 1e-6);
        return std::sqrt(q * (1 - q) / std::max(p.denominator, 1.0));
    }
    if (metric.aggregation == core::Aggregation::kCount) {
        return std::sqrt(std::max(mean, 1.0));
    }
    return 1e-9 + 1e-3 * std::fabs(mean);
}

}  // namespace terrain::detectors
