#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::testing {

// What an adapter found wrong with a body: the refusal of the whole request, or else the first
// event it set aside (a batch goes on without it). An empty Error when there is neither.
inline core::Error first_problem(const core::Result<webhooks::Parsed>& r) {
    if (!r.ok()) {
        return r.error();
    }
    return r.value().refused.empty() ? core::Error{} : r.value().refused.front();
}

}  // namespace terrain::testing
