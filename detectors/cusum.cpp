#include "detectors/cusum.h"

#include <algorithm>
#include <cmath>

#include "detectors/format.h"
#include "detectors/noise.h"

namespace terrain::detectors {

namespace {

struct CusumSettings {
    double k = 0.5;
    double h = 5;
    double alpha = 0.01;
    int warmup = 24;
    double z_clamp = 3;
    double min_value = 0;
    double min_denominator = 0;
};

class Cusum final : public Detector {
public:
    Cusum(const CusumSettings& s, const core::MetricConfig& metric) : s_(s), metric_(metric) {}

    Verdict evaluate(const core::Point& p) override {
        Verdict v;
        const bool ratio = metric_.aggregation == core::Aggregation::kRatio;
        const double sd = seen_ > 0 ? std::max(std::sqrt(var_), sampling_noise(metric_, mean_, p))
                                    : 0;
        v.expected = mean_;
        v.lower = mean_ - s_.h * sd;
        v.upper = mean_ + s_.h * sd;
        if (!std::isfinite(p.value) || (ratio && p.denominator < s_.min_denominator) ||
            (!ratio && p.value < s_.min_value && mean_ < s_.min_value)) {
            return v;
        }
        if (seen_ == 0) {
            mean_ = p.value;
            ++seen_;
            return v;
        }
        const double z = (p.value - mean_) / sd;
        if (seen_ >= s_.warmup) {
            up_ = std::max(0.0, up_ + z - s_.k);
            down_ = std::max(0.0, down_ - z - s_.k);
            const double s = std::max(up_, down_);
            v.evaluated = true;
            v.anomalous = s > s_.h;
            v.score = score_of(s, s_.h);
            if (v.anomalous) {  // words only where a person will read them
                v.reason = format_value(metric_, p.value) + (up_ >= down_ ? " continues a drift up" :
                                                                            " continues a drift down") +
                           " from " + format_value(metric_, mean_) + " (cusum " +
                           format_value(core::MetricConfig{}, std::round(s * 10) / 10) + ")";
            }
        }
        const double x = std::clamp(p.value, mean_ - s_.z_clamp * sd, mean_ + s_.z_clamp * sd);
        const double d = x - mean_;
        mean_ += s_.alpha * d;
        var_ = (1 - s_.alpha) * (var_ + d * s_.alpha * d);
        ++seen_;
        return v;
    }

    nlohmann::json save_state() const override { return {mean_, var_, seen_, up_, down_}; }
    void restore_state(const nlohmann::json& j) override {
        mean_ = j.at(0).get<double>();
        var_ = j.at(1).get<double>();
        seen_ = j.at(2).get<int>();
        up_ = j.at(3).get<double>();
        down_ = j.at(4).get<double>();
    }

private:
    CusumSettings s_;
    const core::MetricConfig& metric_;
    double mean_ = 0;
    double var_ = 0;
    int seen_ = 0;
    double up_ = 0;
    double down_ = 0;
};

}  // namespace

void register_cusum(Registry& registry) {
    registry.add("cusum",
                 {"two-sided CUSUM against a slow baseline: slow drifts that never leave an EWMA band", {{"k", "number", "allowance in deviations before drift accumulates (0.5)"}, {"h", "number", "accumulated drift, in deviations, that is anomalous (5)"}, {"alpha", "number", "weight of each new point in the slow baseline (0.01)"}, {"warmup", "number", "points learned before the first judgement (24)"}, {"z_clamp", "number", "a point moves the sums by at most this many deviations (3)"}, {"min_value", "number", "counts and sums: windows below are not judged (0)"}, {"min_denominator", "number", "ratios: windows with a smaller denominator are not judged (0)"}},
                  [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                      CusumSettings s;
                      s.k = p.number("k", s.k, 0, 10);
                      s.h = p.number("h", s.h, 0.1, 1000);
                      s.alpha = p.number("alpha", s.alpha, 1e-5, 1);
                      s.warmup = static_cast<int>(p.number("warmup", s.warmup, 1, 1e6));
                      s.z_clamp = p.number("z_clamp", s.z_clamp, 0.5, 100);
                      s.min_value = p.number("min_value", 0, 0, 1e15);
                      s.min_denominator = p.number("min_denominator", 0, 0, 1e15);
                      return std::make_unique<FactoryOf<Cusum, CusumSettings>>(s);
                  }});
}

}  // namespace terrain::detectors
