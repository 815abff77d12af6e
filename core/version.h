#pragma once

namespace terrain::core {

// terrain's version and the git revision it was built from (generated/version.cpp).
extern const char* const kVersion;
extern const char* const kRevision;

}  // namespace terrain::core
