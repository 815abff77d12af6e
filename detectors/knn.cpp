#include "detectors/knn.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <deque>
#include <limits>

#include "detectors/format.h"

namespace terrain::detectors {

namespace {

struct KnnSettings {
    int shape = 6;
    int stride = 2;
    int history = 3000;
    int neighbours = 3;
    int exclude = 10;
    int smooth = 3;
    double alpha = 0.004;
    double z = 4;
    int warmup = 50;
};

constexpr int kMaxNeighbours = 16;

class Knn final : public Detector {
public:
    // Shapes are compared as they are: the metric's kind does not matter to a distance.
    Knn(const KnnSettings& s, const core::MetricConfig& /*metric*/)
        : s_(s), span_(static_cast<std::size_t>((s.shape - 1) * s.stride + 1)) {}

    Verdict evaluate(const core::Point& p) override {
        Verdict v;
        v.expected = v.lower = v.upper = std::numeric_limits<double>::quiet_NaN();
        if (!std::isfinite(p.value)) {
            return v;
        }
        values_.push_back(p.value);
        if (values_.size() > static_cast<std::size_t>(s_.history) + span_) {
            values_.pop_front();
        }
        const std::size_t n = values_.size();
        // Distances mean little until there are enough earlier shapes to choose from.
        if (n < span_ + static_cast<std::size_t>(s_.exclude + s_.neighbours + s_.warmup)) {
            return v;
        }
        Neighbours best;
        const std::size_t found = nearest(n - 1, best);
        double distance = 0;
        v.lower = std::numeric_limits<double>::infinity();
        v.upper = -v.lower;
        double sum = 0;
        for (std::size_t i = 0; i < found; ++i) {
            distance += std::sqrt(best[i].first);
            const double next = values_[best[i].second];
            sum += next;
            v.lower = std::min(v.lower, next);
            v.upper = std::max(v.upper, next);
        }
        v.expected = sum / static_cast<double>(found);
        recent_.push_back(distance / static_cast<double>(found));
        if (recent_.size() > static_cast<std::size_t>(s_.smooth)) {
            recent_.pop_front();
        }
        double m = 0;
        for (double d : recent_) {
            m += d;
        }
        m /= static_cast<double>(recent_.size());
        // A floor relative to the typical distance keeps a perfectly repetitive series (all
        // distances zero) from alerting on rounding noise.
        const double sd = std::sqrt(std::max(var_, 0.0)) + 1e-6 * mean_ + 1e-12;
        if (judged_ >= s_.warmup) {
            const double z = (m - mean_) / sd;
            v.evaluated = true;
            v.anomalous = z > s_.z;
            v.score = score_of(z, s_.z);
            if (v.anomalous) {  // words only where a person will read them
                v.reason = "the last " + std::to_string(s_.shape) + " points look unlike the last " +
                           std::to_string(n) + " (novelty z=" +
                           format_value(core::MetricConfig{}, std::round(z * 10) / 10) + ")";
            }
            m = std::min(m, mean_ + s_.z * sd);  // learn an incident only up to the edge
        }
        if (judged_ == 0) {
            mean_ = m;
        } else {
            const double d = m - mean_;
            mean_ += s_.alpha * d;
            var_ = (1 - s_.alpha) * (var_ + d * s_.alpha * d);
        }
        ++judged_;
        return v;
    }

private:
    // The k earlier shapes nearest the one ending at index now, as (squared distance, end
    // index) in a max-heap; a shape is identified by the index of its last value.
    using Neighbours = std::array<std::pair<double, std::size_t>, kMaxNeighbours>;
    std::size_t nearest(std::size_t now, Neighbours& best) const {
        const std::size_t k = static_cast<std::size_t>(s_.neighbours);
        std::size_t found = 0;
        for (std::size_t end = span_ - 1; end + s_.exclude <= now; ++end) {
            double acc = 0;
            for (std::size_t j = 0; j < span_; j += static_cast<std::size_t>(s_.stride)) {
                const double d = values_[end - j] - values_[now - j];
                acc += d * d;
            }
            if (found < k) {
                best[found++] = {acc, end};
                std::push_heap(best.begin(), best.begin() + found);
            } else if (acc < best[0].first) {
                std::pop_heap(best.begin(), best.begin() + k);
                best[k - 1] = {acc, end};
                std::push_heap(best.begin(), best.begin() + k);
            }
        }
        return found;
    }

public:
    nlohmann::json save_state() const override {
        return {{"values", values_}, {"recent", recent_}, {"judged", judged_}, {"mean", mean_},
                {"var", var_}};
    }
    void restore_state(const nlohmann::json& j) override {
        values_ = j.at("values").get<std::deque<double>>();
        recent_ = j.at("recent").get<std::deque<double>>();
        judged_ = j.at("judged").get<int>();
        mean_ = j.at("mean").get<double>();
        var_ = j.at("var").get<double>();
        while (values_.size() > static_cast<std::size_t>(s_.history) + span_) {
            values_.pop_front();
        }
    }

private:
    KnnSettings s_;
    std::size_t span_;
    std::deque<double> values_;
    std::deque<double> recent_;
    int judged_ = 0;
    double mean_ = 0;
    double var_ = 0;
};

}  // namespace

void register_knn(Registry& registry) {
    registry.add("knn", {"novelty of the recent shape: distance to its nearest neighbours in the history, against its own running distribution", {{"shape", "number", "points in a shape (6)"}, {"stride", "number", "step between a shape's points (2)"}, {"history", "number", "earlier points searched for neighbours (3000)"}, {"neighbours", "number", "nearest shapes averaged (3, at most 16)"}, {"exclude", "number", "most recent shapes not searched (10)"}, {"smooth", "number", "distances averaged before judging (3)"}, {"alpha", "number", "weight of each distance in its running mean and variance (0.004)"}, {"z", "number", "deviations of the distance that are anomalous (4)"}, {"warmup", "number", "distances learned before the first judgement (50)"}},
                         [](const Params& p) -> std::unique_ptr<DetectorFactory> {
                             KnnSettings s;
                             auto integer = [&](const char* key, int fallback, double lo,
                                                double hi) {
                                 return static_cast<int>(p.number(key, fallback, lo, hi));
                             };
                             s.shape = integer("shape", s.shape, 1, 64);
                             s.stride = integer("stride", s.stride, 1, 64);
                             s.history = integer("history", s.history, 20, 100000);
                             s.neighbours = integer("neighbours", s.neighbours, 1, kMaxNeighbours);
                             s.exclude = integer("exclude", s.exclude, 1, 10000);
                             s.smooth = integer("smooth", s.smooth, 1, 1000);
                             s.alpha = p.number("alpha", s.alpha, 1e-5, 1);
                             s.z = p.number("z", s.z, 0.5, 100);
                             s.warmup = integer("warmup", s.warmup, 1, 1000000);
                             return std::make_unique<FactoryOf<Knn, KnnSettings>>(s);
                         }});
}

}  // namespace terrain::detectors
