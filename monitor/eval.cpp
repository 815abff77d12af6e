#include "monitor/eval.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

#include "detectors/evaluator.h"

namespace terrain::monitor {

namespace fs = std::filesystem;

std::vector<core::DetectorConfig> configured_detectors(const core::Config& config) {
    std::vector<core::DetectorConfig> out;
    std::map<std::string, std::string> seen;  // name -> type + params
    for (const auto& m : config.metrics) {
        for (auto d : m.detectors) {
            const std::string what = d.type + d.params.dump();
            auto [it, inserted] = seen.emplace(d.name, what);
            if (!inserted) {
                if (it->second == what) {
                    continue;
                }
                d.name = m.name + "/" + d.name;
            }
            out.push_back(std::move(d));
        }
    }
    return out;
}

namespace {

// Each NAB series' NAB row scores: the detector's score where it is not already firing.
class NabSink final : public detectors::EvaluationSink {
public:
    explicit NabSink(std::vector<std::vector<double>>& scores) : scores_(scores) {}
    std::size_t index = 0;  // the point being judged
    void on_verdict(const core::Point& p, detectors::SeriesEvaluation&, std::size_t,
                    detectors::Verdict& v) override {
        auto& open = open_[p.metric_index];
        scores_[p.metric_index][index] = open ? 0.0 : v.score;
        open = v.anomalous;
    }
    std::map<std::size_t, bool> open_;

private:
    std::vector<std::vector<double>>& scores_;
};

}  // namespace

std::vector<std::vector<double>> nab_scores(const detectors::Registry& registry,
                                            const core::DetectorConfig& detector,
                                            const std::vector<detectors::nab::Series>& corpus) {
    // Every series is a metric of its own with the one detector, judged point by point through
    // the evaluation path the pipeline uses.
    std::vector<core::MetricConfig> metrics;
    std::vector<std::vector<double>> scores;
    for (const auto& s : corpus) {
        core::MetricConfig metric;
        metric.name = s.file;
        metric.aggregation = core::Aggregation::kSum;
        metric.detectors = {detector};
        metrics.push_back(std::move(metric));
        scores.emplace_back(s.values.size(), 0.0);
    }
    NabSink sink(scores);
    detectors::Evaluator evaluator(metrics, 0, registry, sink);
    for (std::size_t m = 0; m < corpus.size(); ++m) {
        const auto& s = corpus[m];
        std::unique_ptr<core::SeriesAttachment> slot;
        for (std::size_t i = 0; i < s.values.size(); ++i) {
            core::Point p;
            p.metric_index = m;
            p.metric = &evaluator.aggregator().metrics()[m];
            p.window_start_ms = s.times_ms[i];
            p.window_end_ms = i + 1 < s.times_ms.size() ? s.times_ms[i + 1] : s.times_ms[i] + 1;
            p.value = p.numerator = s.values[i];
            sink.index = i;
            evaluator.judge(p, slot);
        }
    }
    return scores;
}

namespace {

// A detector's name as one path component: metric/detector names hold '/', which NAB's
// layout cannot; anything but letters, digits, '-', '_' and '.' becomes '-'.
std::string path_safe(const std::string& name) {
    std::string out = name;
    for (char& c : out) {
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') {
            c = '-';
        }
    }
    return out == "." || out == ".." ? "-" : out;
}

void write_results(const std::string& dir, const std::string& name,
                   const std::vector<detectors::nab::Series>& corpus,
                   const std::vector<std::vector<double>>& scores) {
    const std::string detector = path_safe(name);
    for (std::size_t f = 0; f < corpus.size(); ++f) {
        const auto& s = corpus[f];
        const fs::path folder = fs::path(dir) / detector / s.category;
        fs::create_directories(folder);
        const fs::path path = folder / (detector + "_" + s.file);
        std::ofstream out(path);
        out << "timestamp,value,anomaly_score\n";
        char buf[64];
        for (std::size_t i = 0; i < s.values.size(); ++i) {
            std::snprintf(buf, sizeof buf, ",%.17g,%.17g\n", s.values[i], scores[f][i]);
            out << s.timestamps[i] << buf;
        }
        if (!out) {
            throw std::runtime_error(path.string() + ": cannot write");
        }
    }
}

}  // namespace

std::vector<LocoFold> leave_one_category_out(const std::vector<detectors::nab::Series>& corpus,
                                             const std::vector<const NabScores*>& candidates,
                                             const detectors::nab::Profile& profile) {
    std::vector<std::string> categories;
    for (const auto& s : corpus) {
        if (std::find(categories.begin(), categories.end(), s.category) == categories.end()) {
            categories.push_back(s.category);
        }
    }
    std::vector<LocoFold> folds;
    for (const auto& held_out : categories) {
        std::vector<detectors::nab::Series> train, test;
        for (const auto& s : corpus) {
            (s.category == held_out ? test : train).push_back(s);
        }
        LocoFold fold;
        fold.category = held_out;
        double best = -std::numeric_limits<double>::infinity();
        NabScores test_scores;
        for (std::size_t c = 0; c < candidates.size(); ++c) {
            NabScores train_scores, held;
            for (std::size_t f = 0; f < corpus.size(); ++f) {
                (corpus[f].category == held_out ? held : train_scores).push_back((*candidates[c])[f]);
            }
            const auto fit = detectors::nab::optimise(train, train_scores, profile);
            if (fit.normalised > best) {
                best = fit.normalised;
                fold.candidate = c;
                fold.threshold = fit.threshold;
                test_scores = std::move(held);
            }
        }
        const auto s = detectors::nab::score_at(test, test_scores, profile, fold.threshold);
        fold.normalised = s.windows > 0 ? s.normalised : std::nan("");
        fold.false_positives = s.false_positives;
        folds.push_back(std::move(fold));
    }
    return folds;
}

std::vector<NabRow> eval_nab(const core::Config& config, const std::string& data_dir,
                             const std::string& results_dir, std::ostream& out) {
    const auto corpus = detectors::nab::load_corpus(data_dir);
    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    std::size_t windows = 0;
    std::size_t rows = 0;
    for (const auto& s : corpus) {
        windows += s.windows.size();
        rows += s.values.size();
    }
    char line[256];
    std::snprintf(line, sizeof line, "NAB corpus %s: %zu files, %zu rows, %zu windows\n\n",
                  data_dir.c_str(), corpus.size(), rows, windows);
    out << line;
    std::snprintf(line, sizeof line, "%-22s %-20s %20s %20s\n", "detector", "profile",
                  "optimised (θ)", "fixed θ=0.5");
    out << line;
    std::vector<NabRow> table;
    const auto detectors = configured_detectors(config);
    std::vector<NabScores> all_scores;
    // Each fold of one detector, or of the choice among all of them; the chosen one named when
    // there is a choice.
    auto print_folds = [&](const std::string& name, const std::vector<const NabScores*>& candidates) {
        for (const auto& profile : detectors::nab::profiles()) {
            double sum = 0;
            int n = 0;
            std::string folds;
            for (const auto& f : leave_one_category_out(corpus, candidates, profile)) {
                const std::string chosen =
                    candidates.size() > 1 ? ", " + detectors[f.candidate].name : "";
                if (std::isnan(f.normalised)) {
                    std::snprintf(line, sizeof line, "  %s: %zu false positives (θ %.4f%s)",
                                  f.category.c_str(), f.false_positives, f.threshold, chosen.c_str());
                } else {
                    std::snprintf(line, sizeof line, "  %s: %.1f (θ %.4f%s)", f.category.c_str(),
                                  f.normalised, f.threshold, chosen.c_str());
                    sum += f.normalised;
                    ++n;
                }
                folds += line;
                folds += "\n";
            }
            std::snprintf(line, sizeof line, "%-22s %-20s leave-one-category-out mean %.1f\n",
                          name.c_str(), profile.name.c_str(), n > 0 ? sum / n : std::nan(""));
            out << line << folds << std::flush;
        }
    };
    all_scores.reserve(detectors.size());
    for (const auto& d : detectors) {
        all_scores.push_back(nab_scores(registry, d, corpus));
        const auto& scores = all_scores.back();
        if (!results_dir.empty()) {
            write_results(results_dir, d.name, corpus, scores);
        }
        for (const auto& profile : detectors::nab::profiles()) {
            NabRow row{d.name, profile.name, detectors::nab::optimise(corpus, scores, profile),
                       detectors::nab::score_at(corpus, scores, profile, 0.5)};
            std::snprintf(line, sizeof line, "%-22s %-20s %12.1f (%.4f) %12.1f\n",
                          d.name.c_str(), profile.name.c_str(), row.optimised.normalised,
                          row.optimised.threshold, row.fixed.normalised);
            out << line << std::flush;
            table.push_back(std::move(row));
        }
        // Leave one category out: θ chosen on the others, scored on it.
        print_folds(d.name, {&scores});
    }
    if (detectors.size() > 1) {
        // The detector (its parameters) chosen on the training categories too.
        std::vector<const NabScores*> candidates;
        for (const auto& s : all_scores) {
            candidates.push_back(&s);
        }
        out << "\n";
        print_folds("(chosen per fold)", candidates);
    }
    return table;
}

}  // namespace terrain::monitor
