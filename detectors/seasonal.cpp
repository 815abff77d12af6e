#include "detectors/seasonal.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "detectors/format.h"

namespace terrain::detectors {

namespace {
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr std::size_t kMaxSlots = 1 << 16;
}  // namespace

SlotBaseline::SlotBaseline(std::int64_t period_ms, std::int64_t window_ms, int cycles)
    : window_ms_(std::max<std::int64_t>(window_ms, 1)),
      slots_(std::clamp<std::size_t>(static_cast<std::size_t>(period_ms / window_ms_), 1,
                                     kMaxSlots)),
      cycles_(cycles),
      values_(slots_ * static_cast<std::size_t>(cycles), kNaN),
      next_(slots_, 0) {}

std::size_t SlotBaseline::slot_of(std::int64_t window_start_ms) const {
    const auto index = window_start_ms / window_ms_;
    const auto n = static_cast<std::int64_t>(slots_);
    return static_cast<std::size_t>(((index % n) + n) % n);
}

double SlotBaseline::expected(std::size_t slot, int min_cycles) const {
    double v[16];
    int n = 0;
    for (int c = 0; c < cycles_; ++c) {
        const double x = values_[slot * static_cast<std::size_t>(cycles_) + c];
        if (!std::isnan(x)) {
            v[n++] = x;
        }
    }
    if (n < min_cycles || n == 0) {
        return kNaN;
    }
    std::sort(v, v + n);
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

void SlotBaseline::learn(std::size_t slot, double value) {
    auto& next = next_[slot];
    values_[slot * static_cast<std::size_t>(cycles_) + next] = value;
    next = static_cast<std::uint8_t>((next + 1) % cycles_);
}

nlohmann::json SlotBaseline::save() const {
    nlohmann::json values = nlohmann::json::array();
    for (double v : values_) {
        values.push_back(std::isnan(v) ? nlohmann::json(nullptr) : nlohmann::json(v));
    }
    return {{"values", std::move(values)}, {"next", next_}};
}

void SlotBaseline::restore(const nlohmann::json& j) {
    const auto& values = j.at("values");
    auto next = j.at("next").get<std::vector<std::uint8_t>>();
    if (values.size() != values_.size() || next.size() != next_.size()) {
        throw std::runtime_error("seasonal state has another shape (period or cycles changed)");
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
        values_[i] = values[i].is_null() ? kNaN : values[i].get<double>();
    }
    for (auto& n : next) {
        n = static_cast<std::uint8_t>(n % cycles_);
    }
    next_ = std::move(next);
}

namespace {

struct BaselineSettings {
    std::int64_t period_ms = 86'400'000;
    int cycles = 4;
    int min_cycles = 2;
};

BaselineSettings baseline_settings(const Params& p) {
    BaselineSettings b;
    b.period_ms = p.duration("period", b.period_ms);
    b.cycles = static_cast<int>(p.number("cycles", b.cycles, 1, 12));
    b.min_cycles = static_cast<int>(p.number("min_cycles", b.min_cycles, 1, b.cycles));
    return b;
}

struct SeasonalSettings {
    BaselineSettings baseline;
    double z = 4;
    double alpha = 0.05;
    double min_value = 0;
};

class Seasonal final : public Detector {
public:
    Seasonal(const SeasonalSettings& s, const core::MetricConfig& metric)
        : s_(s),
          metric_(metric),
          baseline_(s.baseline.period_ms, metric.window_ms, s.baseline.cycles) {}

    Verdict evaluate(const core::Point& p) override {
        Verdict v;
        const auto slot = baseline_.slot_of(p.window_start_ms);
        const double expected = baseline_.expected(slot, s_.baseline.min_cycles);
        v.expected = expected;
        if (!std::isfinite(p.value)) {
            v.lower = v.upper = kNaN;
            return v;
        }
        if (std::isnan(expected)) {
            v.lower = v.upper = kNaN;
            baseline_.learn(slot, p.value);
            return v;
        }
        const double sd = deviation(expected);
        v.lower = expected - s_.z * sd;
        v.upper = expected + s_.z * sd;
        const double z = (p.value - expected) / sd;
        const bool small = metric_.aggregation != core::Aggregation::kRatio &&
                           p.value < s_.min_value && expected < s_.min_value;
        bool anomalous = false;
        if (!small) {
            v.evaluated = true;
            anomalous = v.anomalous = std::fabs(z) > s_.z;
            v.score = score_of(std::fabs(z), s_.z);
            if (anomalous) {  // words only where a person will read them
                v.reason = format_value(metric_, p.value) + (z >= 0 ? " is above" : " is below") +
                           " the usual " + format_value(metric_, expected) + " for this time of " +
                           (s_.baseline.period_ms >= 7 * 86'400'000LL ? "the week" : "day");
            }
        }
        // An anomalous point enters the baseline as what was expected.
        baseline_.learn(slot, anomalous ? expected : p.value);
        if (!anomalous) {
            const double r = std::fabs(p.value - expected);
            mad_ = seen_ == 0 ? r : mad_ + s_.alpha * (r - mad_);
            ++seen_;
        }
        return v;
    }

    nlohmann::json save_state() const override {
        return {{"baseline", baseline_.save()}, {"mad", mad_}, {"seen", seen_}};
    }
    void restore_state(const nlohmann::json& j) override {
        baseline_.restore(j.at("baseline"));
        mad_ = j.at("mad").get<double>();
        seen_ = j.at("seen").get<int>();
    }

private:
    double deviation(double expected) const {
        double noise = 1e-9 + 1e-3 * std::fabs(expected);
        if (metric_.aggregation == core::Aggregation::kCount) {
            noise = std::sqrt(std::max(expected, 1.0));
        }
        return std::max(1.25 * mad_, noise);  // mean absolute deviation ~ 0.8 sd
    }

    SeasonalSettings s_;
    const core::MetricConfig& metric_;
    SlotBaseline baseline_;
    double mad_ = 0;
    int seen_ = 0;
};

struct VolumeSettings {
    BaselineSettings baseline;
    double runaway = 5;
    double stall = 0.1;
    double min_expected = 20;
};

class Volume final : public Detector {
public:
    Volume(const VolumeSettings& s, const core::MetricConfig& metric)
        : s_(s),
          metric_(metric),
          baseline_(s.baseline.period_ms, metric.window_ms, s.baseline.cycles) {}

    Verdict evaluate(const core::Point& p) override {
        Verdict v;
        const auto slot = baseline_.slot_of(p.window_start_ms);
        const double expected = baseline_.expected(slot, s_.baseline.min_cycles);
        v.expected = expected;
        v.lower = expected * s_.stall;
        v.upper = std::max(expected, s_.min_expected) * s_.runaway;
        if (!std::isfinite(p.value)) {
            return v;
        }
        if (std::isnan(expected)) {
            baseline_.learn(slot, p.value);
            return v;
        }
        v.evaluated = true;
        const double floor = std::max(expected, s_.min_expected);
        const double up = p.value / floor;  // >= runaway: runaway
        const double down = expected >= s_.min_expected
                                ? expected / std::max(p.value, expected * 1e-3)  // >= 1/stall
                                : 0;
        if (up >= s_.runaway) {
            v.anomalous = true;
            v.reason = format_value(metric_, p.value) + " is " +
                       format_value(core::MetricConfig{}, std::round(p.value / floor * 10) / 10) +
                       " times the usual " + format_value(metric_, expected) +
                       " for this time: runaway automation?";
        } else if (down >= 1 / s_.stall) {
            v.anomalous = true;
            v.reason = format_value(metric_, p.value) + " where " +
                       format_value(metric_, expected) + " is usual at this time: stalled?";
        }
        v.score = std::max(score_of(up, s_.runaway), score_of(down, 1 / s_.stall));
        baseline_.learn(slot, v.anomalous ? expected : p.value);
        return v;
    }

    nlohmann::json save_state() const override { return baseline_.save(); }
    void restore_state(const nlohmann::json& j) override { baseline_.restore(j); }

private:
    VolumeSettings s_;
    const core::MetricConfig& metric_;
    SlotBaseline baseline_;
};

}  // namespace

void register_seasonal(Registry& registry) {
    registry.add("seasonal", {"the median of the same slot over the last cycles days or weeks", {{"period", "duration", "the season: 1d, or 1w for weekly (1d)"}, {"cycles", "number", "seasons the median is taken over (4)"}, {"min_cycles", "number", "seasons seen before the first judgement (2)"}, {"z", "number", "deviations from the seasonal median that are anomalous (4)"}, {"alpha", "number", "weight of each point in the deviation estimate (0.05)"}, {"min_value", "number", "windows below are not judged (0)"}},
                              [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                                  SeasonalSettings s;
                                  s.baseline = baseline_settings(p);
                                  s.z = p.number("z", s.z, 0.5, 100);
                                  s.alpha = p.number("alpha", s.alpha, 1e-4, 1);
                                  s.min_value = p.number("min_value", 0, 0, 1e15);
                                  return std::make_unique<FactoryOf<Seasonal, SeasonalSettings>>(s);
                              }});
}

void register_volume(Registry& registry) {
    registry.add("volume", {"runaway automation (far above the seasonal expectation) and stalled automation (far below it)", {{"period", "duration", "the season: 1d, or 1w for weekly (1d)"}, {"cycles", "number", "seasons the expectation is taken over (4)"}, {"min_cycles", "number", "seasons seen before the first judgement (2)"}, {"runaway", "number", "more than this many times the expectation is runaway (5)"}, {"stall", "number", "at most this fraction of the expectation is stalled (0.1)"}, {"min_expected", "number", "stalls are judged only where at least this much is expected (20)"}},
                            [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                                VolumeSettings s;
                                s.baseline = baseline_settings(p);
                                s.runaway = p.number("runaway", s.runaway, 1.01, 1e6);
                                s.stall = p.number("stall", s.stall, 0, 0.99);
                                s.min_expected = p.number("min_expected", s.min_expected, 0, 1e15);
                                return std::make_unique<FactoryOf<Volume, VolumeSettings>>(s);
                            }});
}

}  // namespace terrain::detectors
