#include "core/dedup.h"

#include <bit>

#include "core/binary.h"

namespace terrain::core {

namespace {
constexpr std::uint64_t kEmpty = 0;
}

Deduplicator::Deduplicator(std::size_t capacity) {
    if (capacity == 0) {
        return;
    }
    std::size_t slots = std::bit_ceil(capacity / 2 + 1);
    current_.slots.assign(slots, kEmpty);
    previous_.slots.assign(slots, kEmpty);
    limit_ = slots / 2;
}

bool Deduplicator::Table::contains(std::uint64_t h) const {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        if (slots[i] == h) {
            return true;
        }
        if (slots[i] == kEmpty) {
            return false;
        }
    }
}

void Deduplicator::Table::insert(std::uint64_t h) {
    const std::size_t mask = slots.size() - 1;
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {
        if (slots[i] == kEmpty) {
            slots[i] = h;
            ++used;
            return;
        }
    }
}

bool Deduplicator::contains(std::uint64_t hash) const {
    if (limit_ == 0) {
        return false;
    }
    if (hash == kEmpty) {
        hash = 1;
    }
    return current_.contains(hash) || previous_.contains(hash);
}

bool Deduplicator::seen(std::uint64_t hash) {
    if (limit_ == 0) {
        return false;
    }
    if (hash == kEmpty) {
        hash = 1;
    }
    if (current_.contains(hash) || previous_.contains(hash)) {
        return true;
    }
    if (current_.used >= limit_) {
        std::swap(current_, previous_);
        std::fill(current_.slots.begin(), current_.slots.end(), kEmpty);
        current_.used = 0;
    }
    current_.insert(hash);
    return false;
}

std::string Deduplicator::save() const {
    std::string out;
    out.reserve((current_.used + previous_.used) * 8 + 8);
    for (const Table* t : {&previous_, &current_}) {
        binary::put_u32(out, static_cast<std::uint32_t>(t->used));
        for (auto h : t->slots) {
            if (h != kEmpty) {
                binary::put_u64(out, h);
            }
        }
    }
    return out;
}

bool Deduplicator::restore(std::string_view data) {
    binary::Reader r(data);
    std::vector<std::uint64_t> generations[2];
    for (auto& g : generations) {
        std::uint32_t n = 0;
        if (!r.count(n, 8)) {
            return false;
        }
        g.resize(n);
        for (auto& h : g) {
            if (!r.u64(h) || h == kEmpty) {
                return false;
            }
        }
    }
    if (!r.done() || limit_ == 0) {
        return r.done();
    }
    // Oldest first, so that with a smaller capacity the newest hashes are the ones kept.
    for (const auto& g : generations) {
        for (auto h : g) {
            seen(h);
        }
    }
    return true;
}

}  // namespace terrain::core
