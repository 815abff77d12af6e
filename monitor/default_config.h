#pragma once

#include <string_view>

#include "core/config.h"

namespace terrain::monitor {

// The configuration terrain runs on without a file (monitor/default_config.yaml, compiled in).
extern const std::string_view kDefaultConfigYaml;
core::Config default_config();

}  // namespace terrain::monitor
