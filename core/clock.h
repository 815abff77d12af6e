#pragma once

#include <atomic>
#include <cstdint>

namespace terrain::core {

// The only source of wall-clock time. Thread-safe. Tests use FakeClock and never sleep.
class Clock {
public:
    virtual ~Clock() = default;
    virtual std::int64_t now_ms() const = 0;
};

class SystemClock final : public Clock {
public:
    std::int64_t now_ms() const override;
};

class FakeClock final : public Clock {
public:
    explicit FakeClock(std::int64_t start_ms = 1'700'000'000'000) : now_(start_ms) {}
    std::int64_t now_ms() const override { return now_.load(); }
    void set(std::int64_t ms) { now_.store(ms); }
    void advance(std::int64_t ms) { now_.fetch_add(ms); }

private:
    std::atomic<std::int64_t> now_;
};

}  // namespace terrain::core
