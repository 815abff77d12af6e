#include "detectors/threshold.h"

#include <cstdio>

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
    double p_value = 0.01;
};

// P(X >= k) (upper) or P(X <= k) for X ~ Poisson(lambda): summed term by term outward from k
// while that is cheap, else by the normal approximation of the square root (Anscombe).
double poisson_tail(double k, double lambda, bool upper) {
    if (lambda <= 0) {
        return upper ? (k <= 0 ? 1.0 : 0.0) : 1.0;
    }
    if (lambda > 10'000) {
        const double z = 2 * (std::sqrt(k + (upper ? 3.0 / 8 - 0.5 : 3.0 / 8 + 0.5)) -
                              std::sqrt(lambda + 3.0 / 8));
        return 0.5 * std::erfc((upper ? z : -z) / std::sqrt(2.0));
    }
    double sum = 0;
    const double step = upper ? 1 : -1;
    for (double i = k; i >= 0; i += step) {
        const double term = std::exp(i * std::log(lambda) - lambda - std::lgamma(i + 1));
        sum += term;
        const bool past_mode = upper ? i > lambda : i < lambda;
        if (past_mode && term <= sum * 1e-12) {  // also when both underflow to 0
            break;
        }
    }
    return std::min(sum, 1.0);
}

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
        // A ratio attributed to sends counts the messages its send sent; its denominator is
        // the exposure so far, small for a young send by design.
        if (metric_.aggregation == core::Aggregation::kRatio &&
            (p.sent > 0 ? p.sent : p.denominator) < s_.min_denominator) {
            return v;
        }
        if (metric_.aggregation != core::Aggregation::kRatio && p.value < s_.min_value &&
            !s_.below) {
            return v;
        }
        v.evaluated = true;
        // A ratio over the limit by a few signals is not yet evidence: the count must be
        // unlikely (p_value) had the rate been at the limit.
        const bool ratio = metric_.aggregation == core::Aggregation::kRatio && s_.p_value < 1;
        auto unlikely_at = [&](double limit, bool upper) {
            return !ratio ||
                   poisson_tail(std::round(p.numerator), limit * p.denominator, upper) < s_.p_value;
        };
        if (s_.above && p.value > *s_.above && unlikely_at(*s_.above, true)) {
            v.anomalous = true;
            v.score = score_of(*s_.above > 0 ? p.value / *s_.above : p.value, 1);
            v.reason = format_value(metric_, p.value) + " is above the limit of " +
                       format_value(metric_, *s_.above);
        } else if (s_.below && p.value < *s_.below && unlikely_at(*s_.below, false)) {
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
                 {"static limits, such as a mailbox provider's 0.3% complaint rate", {{"above", "number", "anomalous above this value (a ratio is a fraction: 0.003 is 0.3%)"}, {"below", "number", "anomalous below this value"}, {"min_denominator", "number", "ratios: windows with a smaller denominator are not judged (0)"}, {"min_value", "number", "counts and sums: windows below are not judged (0)"}, {"p_value", "number", "ratios: beyond the limit only when the count would be this unlikely at the limit (Poisson; 0.01, 1 turns the test off)"}},
                  [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                      ThresholdSettings s;
                      s.above = p.optional_number("above");
                      s.below = p.optional_number("below");
                      if (!s.above && !s.below) {
                          p.fail("", "a threshold needs 'above', 'below' or both");
                      }
                      for (const char* key : {"above", "below"}) {
                          const auto limit = p.optional_number(key);
                          if (p.ratio() && limit && (*limit < 0 || *limit > 1)) {
                              char buf[160];
                              std::snprintf(buf, sizeof buf,
                                            "%g is not a fraction: this metric is a ratio, its "
                                            "limits are from 0 to 1 (0.03 is 3%%)",
                                            *limit);
                              p.fail(key, buf);
                          }
                      }
                      if (s.above && s.below && *s.below >= *s.above) {
                          p.fail("below", "must be less than 'above'");
                      }
                      s.min_denominator = p.number("min_denominator", 0, 0, 1e15);
                      s.min_value = p.number("min_value", 0, 0, 1e15);
                      s.p_value = p.number("p_value", 0.01, 1e-12, 1);
                      return std::make_unique<FactoryOf<Threshold, ThresholdSettings>>(s);
                  }});
}

}  // namespace terrain::detectors
