#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <typeindex>
#include <unordered_map>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace terrain::core {

// Registers a metric family: every module's metrics are built with this.
template <typename Builder>
auto& make_family(Builder builder, prometheus::Registry& r, const char* name, const char* help) {
    return builder.Name(name).Help(help).Register(r);
}

// terrain's Prometheus registry. Each module declares its own metrics in a struct built on the
// registry (alerts/metrics.h, webhooks/metrics.h, monitor/metrics.h) and gets the one instance
// with of<T>(); the core's own are here. Thread-safe: prometheus-cpp families and metrics are.
class Telemetry final {
public:
    Telemetry();

    std::string serialize() const;  // Prometheus text exposition format 0.0.4

    // The module's metrics struct T (constructed from the registry on first use).
    template <typename T>
    T& of() {
        std::lock_guard lock(mutex_);
        auto& slot = modules_[std::type_index(typeid(T))];
        if (!slot) {
            slot = std::make_shared<T>(*registry);
        }
        return *static_cast<T*>(slot.get());
    }

    std::shared_ptr<prometheus::Registry> registry;
    prometheus::Gauge& queue_events;    // the intake's queue
    prometheus::Gauge& queue_capacity;

private:
    std::mutex mutex_;
    std::unordered_map<std::type_index, std::shared_ptr<void>> modules_;
};

}  // namespace terrain::core
