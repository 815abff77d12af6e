#pragma once

#include "webhooks/adapter.h"

namespace terrain::testing {

// What an adapter found wrong with a body: the refusal of the whole request, or else the first
// event it set aside (a batch goes on without it). An empty Error when there is neither.
inline monitor::Error first_problem(const monitor::Result<webhooks::Parsed>& r) {
    if (!r.ok()) {
        return r.error();
    }
    return r.value().refused.empty() ? monitor::Error{} : r.value().refused.front();
}

}  // namespace terrain::testing
