#include "core/intake.h"


namespace terrain::core {

Intake::Intake(std::size_t capacity_events, std::size_t dedup_capacity, Telemetry& telemetry,
               DurableLog* log, HandOff hand_off)
    : capacity_(capacity_events),
      dedup_(dedup_capacity),
      telemetry_(telemetry),
      log_(log),
      hand_off_(hand_off) {
    // Fixed key: replay after a restart must recognise the ids it saw before.
    id_key_ = {'t', 'e', 'r', 'r', 'a', 'i', 'n', '-', 'd', 'e', 'd', 'u', 'p', '-', 'i', 'd'};
    telemetry_.queue_capacity.Set(static_cast<double>(capacity_));
}

namespace {

std::vector<std::uint64_t> id_hashes(const HashKey& key, const std::string& source,
                                     const std::vector<Event>& events) {
    std::vector<std::uint64_t> hashes(events.size(), 0);  // 0: no id
    std::string scratch;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (!events[i].id.empty()) {
            scratch.assign(source);
            scratch.push_back('\0');
            scratch.append(events[i].id);
            hashes[i] = siphash24(key, scratch) | 1;
        }
    }
    return hashes;
}

// Keeps events[i] where keep(i) holds, in order; returns how many were removed.
template <typename Keep>
std::size_t compact(std::vector<Event>& events, std::vector<std::uint64_t>& hashes, Keep keep) {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < events.size(); ++i) {
        if (!keep(i)) {
            continue;
        }
        if (kept != i) {
            events[kept] = std::move(events[i]);
            hashes[kept] = hashes[i];
        }
        ++kept;
    }
    const std::size_t removed = events.size() - kept;
    events.resize(kept);
    hashes.resize(kept);
    return removed;
}

}  // namespace

std::size_t Intake::replayed(const std::string& source, std::vector<Event>& events) {
    auto hashes = id_hashes(id_key_, source, events);
    std::lock_guard lock(mutex_);
    return compact(events, hashes, [&](std::size_t i) {
        return hashes[i] == 0 || !dedup_.seen(hashes[i]);
    });
}

Intake::Outcome Intake::submit(const std::string& source, std::vector<Event>&& events) {
    auto hashes = id_hashes(id_key_, source, events);
    Outcome out;
    {
        std::unique_lock lock(mutex_);
        door_.wait(lock, [&] { return !held_; });
        if (closed_ || queued_events_ + in_flight_ + reserved_ >= capacity_) {
            return out;
        }
        out.duplicates = compact(events, hashes, [&](std::size_t i) {
            return hashes[i] == 0 || !dedup_.contains(hashes[i]);
        });
        reserved_ += events.size();
    }
    if (log_ != nullptr && !events.empty()) {
        try {
            log_->append(source, events);
        } catch (const std::exception& e) {
            std::lock_guard lock(mutex_);
            reserved_ -= events.size();
            door_.notify_all();
            out.error = e.what();
            return out;
        }
    }
    bool notify = false;
    {
        std::lock_guard lock(mutex_);
        reserved_ -= events.size();
        if (held_ && reserved_ == 0) {
            door_.notify_all();
        }
        out.queued = true;
        // A concurrent retry of the same event may have been accepted meanwhile.
        out.duplicates += compact(events, hashes, [&](std::size_t i) {
            return hashes[i] == 0 || !dedup_.seen(hashes[i]);
        });
        out.accepted = events.size();
        if (!events.empty() && hand_off_ == HandOff::kQueue) {
            queued_events_ += events.size();
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

void Intake::hold() {
    std::unique_lock lock(mutex_);
    held_ = true;
    door_.wait(lock, [&] { return reserved_ == 0; });
}

void Intake::release() {
    {
        std::lock_guard lock(mutex_);
        held_ = false;
    }
    door_.notify_all();
}

std::string Intake::save_ids() const {
    std::lock_guard lock(mutex_);
    return dedup_.save();
}

bool Intake::restore_ids(std::string_view data) {
    std::lock_guard lock(mutex_);
    return dedup_.restore(data);
}

}  // namespace terrain::core
