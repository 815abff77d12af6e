#include "detectors/threshold.h"

#include <cmath>
#include <limits>

#include "detectors/format.h"

namespace terrain::detectors {

namespace {

struct ThresholdSettings {
    std::optional<double> above;
    std::optional<double> below;
    double min_denominator = 0;
    double min_value = 0;
};

class Threshold final : public Detector {
public:
    Threshold(const ThresholdSettings& s, const core::MetricConfig& metric)
        : s_(s), metric_(metric) {}

    Verdict evaluate(const core::Point& p) override {
        Verdict v;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        v.lower = s_.below.value_or(nan);
        v.upper = s_.above.value_or(nan);
        v.expected = s_.above && s_.below ? (*s_.above + *s_.below) / 2
                                          : s_.above.value_or(s_.below.value_or(nan));
        if (!std::isfinite(p.value)) {
            return v;
        }
        if (metric_.aggregation == core::Aggregation::kRatio &&
            p.denominator < s_.min_denominator) {
            return v;
        }
        if (metric_.aggregation != core::Aggregation::kRatio && p.value < s_.min_value &&
            !s_.below) {
            return v;
        }
        v.evaluated = true;
        if (s_.above && p.value > *s_.above) {
            v.anomalous = true;
            v.score = score_of(*s_.above > 0 ? p.value / *s_.above : p.value, 1);
            v.reason = format_value(metric_, p.value) + " is above the limit of " +
                       format_value(metric_, *s_.above);
        } else if (s_.below && p.value < *s_.below) {
            v.anomalous = true;
            v.score = score_of(p.value > 0 ? *s_.below / p.value : *s_.below, 1);
            v.reason = format_value(metric_, p.value) + " is below the limit of " +
                       format_value(metric_, *s_.below);
        }
        return v;
    }

    nlohmann::json save_state() const override { return nlohmann::json::object(); }
    void restore_state(const nlohmann::json&) override {}

private:
    ThresholdSettings s_;
    const core::MetricConfig& metric_;
};

}  // namespace

void register_threshold(Registry& registry) {
    registry.add("threshold",
                 {"static limits, such as a mailbox provider's 0.3% complaint rate", {{"above", "number", "anomalous above this value (a ratio is a fraction: 0.003 is 0.3%)"}, {"below", "number", "anomalous below this value"}, {"min_denominator", "number", "ratios: windows with a smaller denominator are not judged (0)"}, {"min_value", "number", "counts and sums: windows below are not judged (0)"}},
                  [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                      ThresholdSettings s;
                      s.above = p.optional_number("above");
                      s.below = p.optional_number("below");
                      if (!s.above && !s.below) {
                          p.fail("", "a threshold needs 'above', 'below' or both");
                      }
                      if (s.above && s.below && *s.below >= *s.above) {
                          p.fail("below", "must be less than 'above'");
                      }
                      s.min_denominator = p.number("min_denominator", 0, 0, 1e15);
                      s.min_value = p.number("min_value", 0, 0, 1e15);
                      return std::make_unique<FactoryOf<Threshold, ThresholdSettings>>(s);
                  }});
}

}  // namespace terrain::detectors
