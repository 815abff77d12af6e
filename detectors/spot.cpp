#include "detectors/spot.h"

#include <algorithm>
#include <cmath>
#include <deque>
#include <limits>
#include <vector>

#include "detectors/format.h"
#include "core/duration.h"

namespace terrain::detectors {

namespace {

struct SpotSettings {
    double false_alarms = 1;
    std::int64_t per_ms = 7 * 86'400'000LL;
    int side = 1;  // 1 upper, -1 lower, 0 both
    int init = 200;
    double quantile = 0.98;
    int max_excesses = 1000;
};

// One tail: values are oriented so that "extreme" is large.
class Tail {
public:
    Tail(const SpotSettings& s, double risk) : s_(s), risk_(risk) {}

    // Judging needs a tail worth the name: a fit on a handful of excesses is noise, and an
    // early threshold set too low would keep the alerts it raises out of the fit.
    bool ready() const { return fitted_ && excesses_.size() >= kMinExcesses; }
    static constexpr std::size_t kMinExcesses = 30;
    double alert_threshold() const { return zq_; }

    // Probability of a value at least x under the fitted tail.
    double exceedance(double x) const {
        const double rate = static_cast<double>(excess_count_) / std::max(seen_, 1.0);
        const double y = x - t_;
        if (y <= 0) {
            return std::min(1.0, rate * std::exp(-y / sigma_));
        }
        if (std::fabs(xi_) < 1e-9) {
            return rate * std::exp(-y / sigma_);
        }
        const double base = 1 + xi_ * y / sigma_;
        return base <= 0 ? 0.0 : rate * std::pow(base, -1 / xi_);
    }

    // Learns x (before the first fit: calibration data).
    void learn(double x) {
        seen_ += 1;
        if (!fitted_) {
            init_.push_back(x);
            if (static_cast<int>(init_.size()) >= s_.init) {
                std::sort(init_.begin(), init_.end());
                t_ = init_[static_cast<std::size_t>(s_.quantile * (init_.size() - 1))];
                for (double v : init_) {
                    if (v > t_) {
                        add_excess(v - t_);
                    }
                }
                init_.clear();
                init_.shrink_to_fit();
                fit();
            }
            return;
        }
        if (x > t_) {
            add_excess(x - t_);
            fit();
        }
    }

    nlohmann::json save() const {
        return {{"init", init_}, {"excesses", excesses_}, {"count", excess_count_},
                {"seen", seen_}, {"t", t_},              {"fitted", fitted_}};
    }
    void restore(const nlohmann::json& j) {
        init_ = j.at("init").get<std::vector<double>>();
        excesses_ = j.at("excesses").get<std::deque<double>>();
        excess_count_ = j.at("count").get<std::size_t>();
        seen_ = j.at("seen").get<double>();
        t_ = j.at("t").get<double>();
        fitted_ = j.at("fitted").get<bool>();
        if (fitted_) {
            fit();
        }
    }

private:
    void add_excess(double y) {
        excesses_.push_back(y);
        ++excess_count_;
        if (static_cast<int>(excesses_.size()) > s_.max_excesses) {
            excesses_.pop_front();
        }
    }

    // Method of moments: xi = (1 - mean^2 / var) / 2, sigma = mean (mean^2 / var + 1) / 2.
    void fit() {
        fitted_ = true;
        double mean = 0;
        for (double y : excesses_) {
            mean += y;
        }
        mean = excesses_.empty() ? 0 : mean / static_cast<double>(excesses_.size());
        double var = 0;
        for (double y : excesses_) {
            var += (y - mean) * (y - mean);
        }
        var = excesses_.size() > 1 ? var / static_cast<double>(excesses_.size() - 1) : 0;
        const double floor = 1e-9 + 1e-6 * std::fabs(t_);
        if (mean <= 0 || var <= 0) {
            xi_ = 0;
            sigma_ = std::max(mean, floor);
        } else {
            const double r = mean * mean / var;
            xi_ = std::clamp(0.5 * (1 - r), -0.5, 0.5);
            sigma_ = std::max(0.5 * mean * (r + 1), floor);
        }
        const double ratio = risk_ * seen_ / std::max<double>(static_cast<double>(excess_count_), 1);
        zq_ = std::fabs(xi_) < 1e-9 ? t_ - sigma_ * std::log(ratio)
                                    : t_ + sigma_ / xi_ * (std::pow(ratio, -xi_) - 1);
    }

    const SpotSettings& s_;
    double risk_;
    std::vector<double> init_;
    std::deque<double> excesses_;
    std::size_t excess_count_ = 0;
    double seen_ = 0;
    double t_ = 0;
    double xi_ = 0;
    double sigma_ = 1;
    double zq_ = std::numeric_limits<double>::infinity();
    bool fitted_ = false;
};

class Spot final : public Detector {
public:
    Spot(const SpotSettings& s, const core::MetricConfig& metric)
        : s_(s),
          metric_(metric),
          risk_(std::min(0.5, s.false_alarms * static_cast<double>(metric.window_ms) /
                                  static_cast<double>(s.per_ms))),
          upper_(s_, risk_),
          lower_(s_, risk_) {}

    Verdict evaluate(const core::Point& p) override {
        Verdict v;
        const double nan = std::numeric_limits<double>::quiet_NaN();
        v.expected = mean_;
        v.upper = s_.side >= 0 && upper_.ready() ? upper_.alert_threshold() : nan;
        v.lower = s_.side <= 0 && lower_.ready() ? -lower_.alert_threshold() : nan;
        if (!std::isfinite(p.value)) {
            return v;
        }
        const bool ready = (s_.side < 0 || upper_.ready()) && (s_.side > 0 || lower_.ready());
        double p_up = 1;
        double p_down = 1;
        if (ready) {
            p_up = s_.side >= 0 ? upper_.exceedance(p.value) : 1;
            p_down = s_.side <= 0 ? lower_.exceedance(-p.value) : 1;
            const double pv = std::max(std::min(p_up, p_down), 1e-300);
            v.evaluated = true;
            v.anomalous = pv < risk_;
            v.score = score_of(-std::log(pv), -std::log(risk_));
            if (v.anomalous) {  // words only where a person will read them
                v.reason = format_value(metric_, p.value) + (p_up <= p_down ? " exceeds" : " is under") +
                           " the level allowed " + format_value(core::MetricConfig{}, s_.false_alarms) +
                           " false alarm(s) per " + core::format_duration_ms(s_.per_ms) + " (" +
                           format_value(metric_, p_up <= p_down ? v.upper : v.lower) + ")";
            }
        }
        if (!v.anomalous) {
            mean_ = seen_++ == 0 ? p.value : mean_ + 0.01 * (p.value - mean_);
            if (s_.side >= 0) {
                upper_.learn(p.value);
            }
            if (s_.side <= 0) {
                lower_.learn(-p.value);
            }
        }
        return v;
    }

    nlohmann::json save_state() const override {
        return {upper_.save(), lower_.save(), mean_, seen_};
    }
    void restore_state(const nlohmann::json& j) override {
        upper_.restore(j.at(0));
        lower_.restore(j.at(1));
        mean_ = j.at(2).get<double>();
        seen_ = j.at(3).get<std::uint64_t>();
    }

private:
    SpotSettings s_;
    const core::MetricConfig& metric_;
    double risk_;
    Tail upper_;
    Tail lower_;
    double mean_ = 0;  // the centre shown as the expected value
    std::uint64_t seen_ = 0;
};

}  // namespace

void register_spot(Registry& registry) {
    registry.add("spot", {"a threshold set by a false-alarm budget (SPOT: a generalised Pareto fit to the tail)", {{"false_alarms", "number", "false alarms allowed per series per `per` (1)"}, {"per", "duration", "the budget's period (1w)"}, {"side", "upper, lower or both", "which tail is watched (upper)"}, {"init", "number", "points before the first fit (200)"}, {"quantile", "number", "where the tail begins (0.98)"}, {"max_excesses", "number", "tail points kept for the fit (1000)"}},
                          [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                              SpotSettings s;
                              s.false_alarms = p.number("false_alarms", s.false_alarms, 1e-6, 1e6);
                              s.per_ms = p.duration("per", s.per_ms);
                              const auto side = p.choice("side", "upper", {"upper", "lower", "both"});
                              s.side = side == "upper" ? 1 : side == "lower" ? -1 : 0;
                              s.init = static_cast<int>(p.number("init", s.init, 20, 1e6));
                              s.quantile = p.number("quantile", s.quantile, 0.5, 0.999);
                              s.max_excesses =
                                  static_cast<int>(p.number("max_excesses", s.max_excesses, 10, 1e6));
                              return std::make_unique<FactoryOf<Spot, SpotSettings>>(s);
                          }});
}

}  // namespace terrain::detectors
