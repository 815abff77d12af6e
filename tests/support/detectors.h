#pragma once

#include <memory>

#include "detectors/detector.h"

namespace terrain::testing {

// A detector instance of `type` for one series of `metric`, built through the registry as
// the pipeline builds it.
inline std::unique_ptr<detectors::Detector> make_detector(const std::string& type,
                                                          const core::MetricConfig& metric,
                                                          nlohmann::json params) {
    detectors::Registry r;
    detectors::register_builtin_detectors(r);
    core::DetectorConfig c;
    c.type = type;
    c.name = type;
    c.path = "test";
    c.params = std::move(params);
    c.aggregation = metric.aggregation;
    c.pair = metric.pair.has_value();
    return r.make(c)->create(metric);
}

}  // namespace terrain::testing
