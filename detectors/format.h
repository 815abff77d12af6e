#pragma once

#include <cmath>
#include <cstdio>
#include <string>

#include "core/config.h"

namespace terrain::detectors {

// Renders a metric value as a person reads it: ratios as percentages, counts as integers.
inline std::string format_value(const core::MetricConfig& metric, double v) {
    char buf[64];
    if (std::isnan(v)) {
        return "n/a";
    }
    if (metric.aggregation == core::Aggregation::kRatio) {
        std::snprintf(buf, sizeof buf, "%.2f%%", v * 100.0);
    } else if (std::fabs(v - std::round(v)) < 1e-9) {
        std::snprintf(buf, sizeof buf, "%.0f", v);
    } else {
        std::snprintf(buf, sizeof buf, "%.3g", v);
    }
    return buf;
}

}  // namespace terrain::detectors
