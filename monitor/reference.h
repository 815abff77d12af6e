#pragma once

#include <string>

#include "monitor/startup.h"

namespace terrain::monitor {

// The configuration reference of every kind terrain knows (sources, receivers, the interact
// section, detectors and their alert conditions), in Markdown, from the registries' own key
// descriptions: the keys it lists are exactly the keys `terrain check` accepts.
std::string config_reference(const Kinds& kinds);

}  // namespace terrain::monitor
