#include "detectors/ewma.h"

#include <algorithm>
#include <cmath>

#include "detectors/format.h"
#include "detectors/noise.h"

namespace terrain::detectors {

namespace {

struct EwmaSettings {
    double alpha = 0.1;
    double z = 4;
    int warmup = 12;
    double min_value = 0;
    double min_denominator = 0;
};

class Ewma final : public Detector {
public:
    Ewma(const EwmaSettings& s, const core::MetricConfig& metric) : s_(s), metric_(metric) {}

    Verdict evaluate(const core::Point& p) override {
        Verdict v;
        const bool ratio = metric_.aggregation == core::Aggregation::kRatio;
        if (!std::isfinite(p.value) || (ratio && p.denominator < s_.min_denominator)) {
            fill_band(v, p);
            return v;
        }
        if (seen_ == 0) {
            mean_ = p.value;
            var_ = 0;
            ++seen_;
            fill_band(v, p);
            return v;
        }
        fill_band(v, p);
        const double sd = deviation(p);
        const double zscore = (p.value - mean_) / sd;
        const bool small = !ratio && p.value < s_.min_value && mean_ < s_.min_value;
        bool anomalous = false;
        if (seen_ >= s_.warmup && !small) {
            v.evaluated = true;
            anomalous = std::fabs(zscore) > s_.z;
            v.anomalous = anomalous;
            v.score = score_of(std::fabs(zscore), s_.z);
            if (anomalous) {  // words only where a person will read them
                v.reason = format_value(metric_, p.value) + (zscore >= 0 ? " is above" : " is below") +
                           " the usual " + format_value(metric_, mean_) + " (z=" +
                           format_value(core::MetricConfig{}, std::round(zscore * 10) / 10) + ")";
            }
        }
        // Learn from the point; an anomalous one only up to the band edge.
        double x = p.value;
        if (anomalous) {
            x = std::clamp(x, mean_ - s_.z * sd, mean_ + s_.z * sd);
        }
        const double diff = x - mean_;
        const double incr = s_.alpha * diff;
        mean_ += incr;
        var_ = (1 - s_.alpha) * (var_ + diff * incr);
        ++seen_;
        return v;
    }

    nlohmann::json save_state() const override { return {mean_, var_, seen_}; }
    void restore_state(const nlohmann::json& j) override {
        mean_ = j.at(0).get<double>();
        var_ = j.at(1).get<double>();
        seen_ = j.at(2).get<int>();
    }

private:
    double deviation(const core::Point& p) const {
        return std::max(std::sqrt(var_), sampling_noise(metric_, mean_, p));
    }

    void fill_band(Verdict& v, const core::Point& p) const {
        const double sd = seen_ > 0 ? deviation(p) : 0;
        v.expected = mean_;
        v.lower = mean_ - s_.z * sd;
        v.upper = mean_ + s_.z * sd;
    }

    EwmaSettings s_;
    const core::MetricConfig& metric_;
    double mean_ = 0;
    double var_ = 0;
    int seen_ = 0;
};

}  // namespace

void register_ewma(Registry& registry) {
    registry.add("ewma", {"robust adaptive z-score from an exponentially weighted mean, with a floor from sampling noise", {{"alpha", "number", "weight of each new point (0.1)"}, {"z", "number", "deviations from the mean that are anomalous (4)"}, {"warmup", "number", "points learned before the first judgement (12)"}, {"min_value", "number", "counts and sums: windows below are not judged (0)"}, {"min_denominator", "number", "ratios: windows with a smaller denominator are not judged (0)"}},
                          [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                              EwmaSettings s;
                              s.alpha = p.number("alpha", s.alpha, 1e-4, 1);
                              s.z = p.number("z", s.z, 0.5, 100);
                              s.warmup = static_cast<int>(p.number("warmup", s.warmup, 1, 1e6));
                              s.min_value = p.number("min_value", 0, 0, 1e15);
                              s.min_denominator = p.number("min_denominator", 0, 0, 1e15);
                              return std::make_unique<FactoryOf<Ewma, EwmaSettings>>(s);
                          }});
}

}  // namespace terrain::detectors
