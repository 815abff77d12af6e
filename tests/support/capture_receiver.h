#pragma once

#include <mutex>
#include <vector>

#include "alerts/notifier.h"

namespace terrain::testing {

// Records what it is sent. `fail_first` makes the first N sends fail as retryable.
class CaptureReceiver final : public alerts::Receiver {
public:
    explicit CaptureReceiver(std::vector<alerts::Notification>* sink, int fail_first = 0,
                             std::string name = "capture")
        : name_(std::move(name)), sink_(sink), fail_first_(fail_first) {}
    const std::string& name() const override { return name_; }
    alerts::SendResult send(const alerts::Notification& n) override {
        std::lock_guard lock(mutex_);
        if (fail_first_ > 0) {
            --fail_first_;
            return {false, true, "simulated outage"};
        }
        sink_->push_back(n);
        return {true, false, ""};
    }

private:
    std::string name_;
    std::vector<alerts::Notification>* sink_;
    int fail_first_;
    std::mutex mutex_;
};

inline std::vector<alerts::Notifier::Route> capture_routes(std::vector<alerts::Notification>* sink,
                                                           int fail_first = 0) {
    std::vector<alerts::Notifier::Route> routes;
    alerts::Notifier::Route r;
    r.receiver = std::make_unique<CaptureReceiver>(sink, fail_first);
    r.config.name = "capture";
    r.config.initial_backoff_ms = 1;
    r.config.max_backoff_ms = 2;
    routes.push_back(std::move(r));
    return routes;
}

}  // namespace terrain::testing
