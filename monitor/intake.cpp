#include "monitor/intake.h"

#include <random>

namespace terrain::monitor {

Intake::Intake(std::size_t capacity_events, std::size_t dedup_capacity, Telemetry& telemetry)
    : capacity_(capacity_events), dedup_(dedup_capacity), telemetry_(telemetry) {
    std::random_device rd;
    for (auto& b : id_key_) {
        b = static_cast<std::uint8_t>(rd());
    }
    telemetry_.queue_capacity.Set(static_cast<double>(capacity_));
}

Intake::Outcome Intake::submit(const std::string& source, std::vector<Event>&& events) {
    // Hash ids before taking the lock; 0 marks "no id".
    std::vector<std::uint64_t> hashes(events.size(), 0);
    std::string scratch;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (!events[i].id.empty()) {
            scratch.assign(source);
            scratch.push_back('\0');
            scratch.append(events[i].id);
            hashes[i] = siphash24(id_key_, scratch) | 1;
        }
    }
    Outcome out;
    bool notify = false;
    {
        std::lock_guard lock(mutex_);
        if (closed_ || queued_events_ + in_flight_ >= capacity_) {
            return out;
        }
        out.queued = true;
        std::size_t kept = 0;
        for (std::size_t i = 0; i < events.size(); ++i) {
            if (hashes[i] != 0 && dedup_.seen(hashes[i])) {
                ++out.duplicates;
                continue;
            }
            if (kept != i) {
                events[kept] = std::move(events[i]);
            }
            ++kept;
        }
        events.resize(kept);
        out.accepted = kept;
        if (kept > 0) {
            queued_events_ += kept;
            queue_.push_back(Batch{source, std::move(events)});
        }
        telemetry_.queue_events.Set(static_cast<double>(queued_events_ + in_flight_));
        notify = !lingering_ || queued_events_ >= kMinBatch;
    }
    if (out.accepted > 0 && notify) {
        not_empty_.notify_one();
    }
    return out;
}

bool Intake::take(std::vector<Batch>& out, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    not_empty_.wait_for(lock, timeout, [&] { return closed_ || !queue_.empty(); });
    if (!queue_.empty() && !closed_ && queued_events_ < kMinBatch) {
        lingering_ = true;
        not_empty_.wait_for(lock, kLinger, [&] { return closed_ || queued_events_ >= kMinBatch; });
        lingering_ = false;
    }
    if (queue_.empty()) {
        return !closed_;
    }
    while (!queue_.empty()) {
        out.push_back(std::move(queue_.front()));
        queue_.pop_front();
    }
    in_flight_ += queued_events_;
    queued_events_ = 0;
    return true;
}

void Intake::mark_done(std::size_t events) {
    std::lock_guard lock(mutex_);
    in_flight_ -= std::min(in_flight_, events);
    telemetry_.queue_events.Set(static_cast<double>(queued_events_ + in_flight_));
    if (queued_events_ == 0 && in_flight_ == 0) {
        drained_.notify_all();
    }
}

void Intake::close() {
    {
        std::lock_guard lock(mutex_);
        closed_ = true;
    }
    not_empty_.notify_all();
}

void Intake::wait_drained() {
    std::unique_lock lock(mutex_);
    drained_.wait(lock, [&] { return queued_events_ == 0 && in_flight_ == 0; });
}

std::size_t Intake::queued_events() const {
    std::lock_guard lock(mutex_);
    return queued_events_ + in_flight_;
}

}  // namespace terrain::monitor
