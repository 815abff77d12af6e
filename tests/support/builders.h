#pragma once

#include <chrono>

#include <fstream>
#include <sstream>
#include <string>

#include "core/config.h"
#include "core/event.h"

namespace terrain::testing {

// An event with sensible defaults; tests override what they care about.
struct EventBuilder {
    core::Event e;
    EventBuilder() {
        e.time_ms = 1'700'000'000'000;
        e.kind = "email.delivered";
        e.side = core::Side::kMap;
        e.labels = {{"source", "test"}, {"campaign", "spring"}, {"provider", "gmail.com"}};
    }
    EventBuilder& at(std::int64_t ms) { e.time_ms = ms; return *this; }
    EventBuilder& kind(std::string k) { e.kind = std::move(k); return *this; }
    EventBuilder& side(core::Side s) { e.side = s; return *this; }
    EventBuilder& label(const std::string& k, std::string v) {
        core::set_label(e.labels, k, std::move(v));
        return *this;
    }
    EventBuilder& value(double v) { e.value = v; return *this; }
    EventBuilder& id(std::string i) { e.id = std::move(i); return *this; }
    EventBuilder& message(std::string m) { e.message = std::move(m); return *this; }
    core::Event build() const { return e; }
    operator core::Event() const { return e; }  // NOLINT(google-explicit-constructor)
};

// The wall clock in UNIX seconds, as vendors stamp their events.
inline std::int64_t now_s() {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

inline std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error("cannot read " + path);
    }
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

inline std::string fixture(const std::string& name) {
    return read_file(std::string(TERRAIN_FIXTURES_DIR) + "/" + name);
}

// A metric config for tests: count of email.delivered per campaign in 5-minute windows.
inline core::MetricConfig count_metric(std::string name = "delivered") {
    core::MetricConfig m;
    m.name = std::move(name);
    m.aggregation = core::Aggregation::kCount;
    m.filter.kinds = {"email.delivered"};
    m.group_by = {"campaign"};
    m.window_ms = 300'000;
    m.span_ms = 300'000;
    return m;
}

inline core::MetricConfig ratio_metric(std::int64_t span_ms = 300'000) {
    core::MetricConfig m;
    m.name = "complaint_rate";
    m.aggregation = core::Aggregation::kRatio;
    m.numerator.kinds = {"email.complaint"};
    m.denominator.kinds = {"email.delivered"};
    m.group_by = {"campaign", "provider"};
    m.window_ms = 300'000;
    m.span_ms = span_ms;
    return m;
}

}  // namespace terrain::testing
