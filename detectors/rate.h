#pragma once

#include <algorithm>

#include "detectors/detector.h"

namespace terrain::detectors {

// `rate`: a test for proportions with small denominators (complaints per delivered, bounces
// per processed). The series' own baseline rate p0 comes from exponentially weighted sums of
// numerators and denominators; the baseline's uncertainty and the real day-to-day spread are
// a Beta(p0 m, (1 - p0) m) prior with m the baseline's effective trials, capped at
// `max_strength`. A window with k of n is judged by the beta-binomial tail P(K >= k)
// (or P(K <= k) for a drop): 2 complaints out of 40 against a 0.1% baseline has p ~ 8e-4 and
// stays quiet at the default p_value; 200 out of 40,000 has p far below 1e-12.
// Anomalous windows are not learned.
//
// Parameters: p_value (1e-4), alpha (0.05), max_strength (20000 trials), min_baseline
// (500 trials learned before judging). Ratio metrics only (refused elsewhere, naming the
// key). O(1) per series; the tail sum stops once its terms are negligible.
void register_rate(Registry& registry);

struct RateSettings {
    double p_value = 1e-4;
    double alpha = 0.05;
    double max_strength = 20000;
    double min_baseline = 500;
    // Windows whose p-value is below this are kept out of the baseline, so an incident that
    // builds up slowly is not learned as normal before it is flagged. 0: only anomalous
    // windows are kept out.
    double learn_p_value = 0;
    // Windows are judged only once the series has this much history (window ends since its
    // first window). A signal that lags its exposure (a repeat contact hours after the bot
    // session, a complaint days after the delivery) makes a young baseline too low: its first
    // windows hold the exposure but not yet the signals it brings. They are still learned.
    std::int64_t min_history_ms = 0;
};

RateSettings read_rate_settings(const Params& p);

// The `rate` detector; `disagreement` builds on it.
class Rate : public Detector {
public:
    Rate(const RateSettings& s, const core::MetricConfig& metric);

protected:
    Verdict evaluate(const core::Point& p) override;
    nlohmann::json save_state() const override;
    void restore_state(const nlohmann::json& j) override;

private:
    // Exponentially weighted sums of the windows' numerators and denominators.
    double baseline() const;
    double strength() const { return std::min(trials_, s_.max_strength); }
    static double inverse_erfc(double q);

    RateSettings s_;
    const core::MetricConfig& metric_;
    double band_z_;  // the band's half-width in deviations, from p_value
    double successes_ = 0;
    double trials_ = 0;
    std::int64_t first_window_end_ms_ = kUnseen;  // for min_history
    static constexpr std::int64_t kUnseen = INT64_MIN;
};

}  // namespace terrain::detectors
