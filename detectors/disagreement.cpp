#include "detectors/disagreement.h"

#include <cmath>

#include "detectors/noise.h"
#include "detectors/rate.h"

namespace terrain::detectors {

namespace {

struct DisagreementSettings {
    RateSettings rate;
    double claim_alpha = 0.05;
    double claim_z = 3;
};

class Disagreement final : public Rate {
public:
    Disagreement(const DisagreementSettings& s, const core::MetricConfig& metric)
        : Rate(s.rate, metric), s_(s), metric_(metric) {}

protected:
    Verdict evaluate(const core::Point& p) override {
        Verdict v = Rate::evaluate(p);
        const bool below = metric_.pair && metric_.pair->worse_below;
        if (v.anomalous && !(below ? p.value < v.expected : p.value > v.expected)) {
            // Customers better off than usual (fewer complaints, more opens) is good news, not
            // a disagreement.
            v.anomalous = false;
            v.score = 0;
            v.reason.clear();
        }
        const bool map_worse = judge_claim(p, v);
        if (v.evaluated) {
            v.quadrant = quadrants()[v.anomalous ? (map_worse ? 1 : 0) : (map_worse ? 2 : 3)];
        }
        return v;
    }

    nlohmann::json save_state() const override {
        return {{"rate", Rate::save_state()}, {"claim", {claim_mean_, claim_var_, claim_seen_}}};
    }
    void restore_state(const nlohmann::json& j) override {
        Rate::restore_state(j.at("rate"));
        const auto& c = j.at("claim");
        claim_mean_ = c.at(0).get<double>();
        claim_var_ = c.at(1).get<double>();
        claim_seen_ = c.at(2).get<int>();
    }

private:
    // The MAP's figure against its own baseline; learned only from ordinary windows. True
    // when it is clearly below its baseline.
    bool judge_claim(const core::Point& p, Verdict& v) {
        if (!std::isfinite(p.claim)) {
            return false;
        }
        const bool ratio = metric_.pair && metric_.pair->claim_is_ratio;
        const double noise =
            ratio ? std::sqrt(std::clamp(claim_mean_, 1e-6, 1 - 1e-6) *
                              (1 - std::clamp(claim_mean_, 1e-6, 1 - 1e-6)) /
                              std::max(p.denominator, 1.0))
                  : std::sqrt(std::max(claim_mean_, 1.0));
        const double sd = std::max(std::sqrt(claim_var_), noise);
        bool worse = false;
        if (claim_seen_ > 0) {
            v.claim_expected = claim_mean_;
            worse = claim_seen_ >= 12 && p.claim < claim_mean_ - s_.claim_z * sd;
        }
        if (!v.anomalous && !worse) {
            if (claim_seen_ == 0) {
                claim_mean_ = p.claim;
            } else {
                const double d = p.claim - claim_mean_;
                claim_mean_ += s_.claim_alpha * d;
                claim_var_ = (1 - s_.claim_alpha) * (claim_var_ + s_.claim_alpha * d * d);
            }
            ++claim_seen_;
        }
        return worse;
    }

    DisagreementSettings s_;
    const core::MetricConfig& metric_;
    double claim_mean_ = 0;
    double claim_var_ = 0;
    int claim_seen_ = 0;
};

}  // namespace

const std::vector<const char*>& quadrants() {
    static const std::vector<const char*> kQuadrants = {
        "good_for_company_bad_for_customer", "bad_for_both", "bad_for_company_good_for_customer",
        "good_for_both"};
    return kQuadrants;
}

void register_disagreement(Registry& registry) {
    registry.add(
        "disagreement",
        {"pairs only: customer signals per unit of MAP volume moving the wrong way (the pair's `worse`) against their baseline, with the MAP's figure and the CX quadrant", {{"p_value", "number", "beta-binomial tail probability that is anomalous (1e-6)"}, {"alpha", "number", "weight of each window in the baseline rate (0.05)"}, {"max_strength", "number", "at most this many trials of evidence in the baseline (20000)"}, {"min_baseline", "number", "trials learned before the first judgement (2000)"}, {"min_history", "duration", "how long a pair is watched before its first judgement (12h)"}, {"learn_p_value", "number", "windows below this tail probability are not learned (1e-3)"}, {"claim_alpha", "number", "weight of each window in the MAP figure's baseline (0.05)"}, {"claim_z", "number", "deviations of the MAP figure that count as the MAP claiming a change (3)"}},
         [](const Params& p) -> std::unique_ptr<DetectorFactory> {
             DisagreementSettings s;
             s.rate = read_rate_settings(p);
             s.rate.p_value = p.number("p_value", 1e-6, 1e-15, 0.5);
             s.rate.min_baseline = p.number("min_baseline", 2000, 0, 1e12);
             s.rate.learn_p_value = p.number("learn_p_value", 1e-3, 0, 0.5);
             // Customer signals lag the MAP's exposure by hours (repeat contacts, tickets):
             // half a day of history before the first judgement.
             s.rate.min_history_ms = p.duration("min_history", 12 * 3'600'000);
             s.claim_alpha = p.number("claim_alpha", s.claim_alpha, 1e-4, 1);
             s.claim_z = p.number("claim_z", s.claim_z, 0.5, 100);
             return std::make_unique<FactoryOf<Disagreement, DisagreementSettings>>(s);
         },
         true, true});
}

}  // namespace terrain::detectors
