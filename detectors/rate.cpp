#include "detectors/rate.h"

#include <algorithm>
#include <cmath>

#include "detectors/format.h"

namespace terrain::detectors {

namespace {

double log_beta(double a, double b) { return std::lgamma(a) + std::lgamma(b) - std::lgamma(a + b); }

// log P(K = k) for K ~ BetaBinomial(n, a, b).
double log_pmf(double k, double n, double a, double b) {
    return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1) +
           log_beta(k + a, n - k + b) - log_beta(a, b);
}

// P(K >= k) (upper) or P(K <= k), summed outward from k until the terms stop mattering.
double tail(double k, double n, double a, double b, bool upper) {
    double sum = 0;
    const double step = upper ? 1 : -1;
    for (double i = k; i >= 0 && i <= n; i += step) {
        const double term = std::exp(log_pmf(i, n, a, b));
        sum += term;
        if (term < sum * 1e-12 || (sum > 0 && term == 0)) {
            break;
        }
    }
    return std::min(sum, 1.0);
}

}  // namespace

Rate::Rate(const RateSettings& s, const core::MetricConfig& metric)
    : s_(s), metric_(metric), band_z_(std::sqrt(2.0) * inverse_erfc(s.p_value)) {}

Verdict Rate::evaluate(const core::Point& p) {
    Verdict v;
    const double p0 = baseline();
    v.expected = p0;
    // The band: the rates a window of this size would show 1 - p_value of the time,
    // approximated by the beta-binomial's mean and deviation.
    const double m = strength();
    const double n = p.denominator;
    const double sd =
        n > 0 ? std::sqrt(p0 * (1 - p0) * (m + n) / (n * (m + 1))) : std::nan("");
    v.lower = std::max(0.0, p0 - band_z_ * sd);
    v.upper = std::min(1.0, p0 + band_z_ * sd);
    if (!std::isfinite(p.value) || n <= 0 || p.numerator < 0 || p.numerator > n) {
        return v;
    }
    if (first_window_end_ms_ == kUnseen) {
        first_window_end_ms_ = p.window_end_ms;
    }
    const bool old_enough = p.window_end_ms - first_window_end_ms_ >= s_.min_history_ms;
    double p_learn = 1;  // the window's p-value, when judged
    if (trials_ >= s_.min_baseline && old_enough) {
        const double a = p0 * m + 0.5;
        const double b = (1 - p0) * m + 0.5;
        const double k = std::round(p.numerator);
        const double nn = std::round(n);
        const bool up = k >= nn * p0;
        // Exact for small counts; for large ones the beta-binomial is close to normal and
        // summing hundreds of terms per window would cost more than it tells.
        const double pv = std::max(
            nn * p0 * (1 - p0) < 100 ? tail(k, nn, a, b, up)
                                     : 0.5 * std::erfc(std::fabs(k - nn * p0) / (nn * sd) /
                                                       std::sqrt(2.0)),
            1e-300);
        p_learn = pv;
        v.evaluated = true;
        v.anomalous = pv < s_.p_value;
        v.score = score_of(-std::log10(pv), -std::log10(s_.p_value));
        char buf[48];
        std::snprintf(buf, sizeof buf, "%.2g", pv);
        if (v.anomalous) {  // words only where a person will read them
            v.reason = format_value(core::MetricConfig{}, k) + " of " +
                       format_value(core::MetricConfig{}, nn) + " (" +
                       format_value(metric_, p.value) + ") against the usual " +
                       format_value(metric_, p0) + " (p=" + buf + ")";
        }
    }
    if (!v.anomalous && p_learn >= s_.learn_p_value) {
        successes_ = (1 - s_.alpha) * successes_ + p.numerator;
        trials_ = (1 - s_.alpha) * trials_ + n;
    }
    return v;
}

nlohmann::json Rate::save_state() const { return {successes_, trials_, first_window_end_ms_}; }

void Rate::restore_state(const nlohmann::json& j) {
    successes_ = j.at(0).get<double>();
    trials_ = j.at(1).get<double>();
    // Snapshots from before min_history have no first window: their history counts as long.
    first_window_end_ms_ = j.size() > 2 ? j.at(2).get<std::int64_t>() : INT64_MIN / 2;
}

double Rate::baseline() const {
    return trials_ > 0 ? std::clamp(successes_ / trials_, 1e-9, 1 - 1e-9) : 0.5;
}

double Rate::inverse_erfc(double q) {
    // Bisection, once per series.
    double lo = 0, hi = 40;
    for (int i = 0; i < 60; ++i) {
        const double mid = (lo + hi) / 2;
        (std::erfc(mid) > q ? lo : hi) = mid;
    }
    return lo;
}

RateSettings read_rate_settings(const Params& p) {
    RateSettings s;
    s.p_value = p.number("p_value", s.p_value, 1e-15, 0.5);
    s.alpha = p.number("alpha", s.alpha, 1e-4, 1);
    s.max_strength = p.number("max_strength", s.max_strength, 1, 1e9);
    s.min_baseline = p.number("min_baseline", s.min_baseline, 0, 1e12);
    s.min_history_ms = p.duration("min_history", s.min_history_ms);
    return s;
}

void register_rate(Registry& registry) {
    registry.add("rate", {"proportions with small denominators: beta-binomial tail probability of k of n against the series' own baseline rate (ratio metrics)", {{"p_value", "number", "tail probability that is anomalous (1e-4)"}, {"alpha", "number", "weight of each window in the baseline rate (0.05)"}, {"max_strength", "number", "at most this many trials of evidence in the baseline (20000)"}, {"min_baseline", "number", "trials learned before the first judgement (500)"}, {"min_history", "duration", "how long a series is watched before its first judgement (none)"}},
                          [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                              return std::make_unique<FactoryOf<Rate, RateSettings>>(
                                  read_rate_settings(p));
                          },
                          true});
}

}  // namespace terrain::detectors
