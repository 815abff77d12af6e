#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace terrain::core {

// Remembers recently seen event-id hashes so that vendor retries are counted once.
//
// Two generations of an open-addressing set: when the current one is half full it becomes the
// previous one and the old previous is cleared. Memory is fixed (16 bytes per slot of
// `capacity`), and an id is remembered for at least capacity/4 further distinct ids.
// Not thread-safe: owned by the pipeline thread.
class Deduplicator final {
public:
    explicit Deduplicator(std::size_t capacity);

    // True when `hash` was seen before (a duplicate); otherwise remembers it and returns false.
    // A capacity of 0 disables de-duplication.
    bool seen(std::uint64_t hash);
    // True when `hash` was seen before; remembers nothing.
    bool contains(std::uint64_t hash) const;

    // The remembered hashes (checkpoints), and taking them back: as many as this capacity holds,
    // the newest generation first. restore() returns false for data save() did not write.
    std::string save() const;
    bool restore(std::string_view data);

private:
    struct Table {
        std::vector<std::uint64_t> slots;
        std::size_t used = 0;
        bool contains(std::uint64_t h) const;
        void insert(std::uint64_t h);
    };
    Table current_;
    Table previous_;
    std::size_t limit_ = 0;
};

}  // namespace terrain::core
