#include "monitor/app/eval.h"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <stdexcept>

namespace terrain::app {

namespace fs = std::filesystem;

std::vector<monitor::DetectorConfig> configured_detectors(const monitor::Config& config) {
    std::vector<monitor::DetectorConfig> out;
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

std::vector<std::vector<double>> nab_scores(const detectors::Registry& registry,
                                            const monitor::DetectorConfig& detector,
                                            const std::vector<detectors::nab::Series>& corpus) {
    auto factory = registry.make(detector);
    std::vector<std::vector<double>> scores;
    for (const auto& s : corpus) {
        monitor::MetricConfig metric;
        metric.name = s.file;
        metric.aggregation = monitor::Aggregation::kSum;
        auto d = factory->create(metric);
        std::vector<double> out(s.values.size(), 0.0);
        bool open = false;
        for (std::size_t i = 0; i < s.values.size(); ++i) {
            monitor::Point p;
            p.metric = &metric;
            p.window_start_ms = s.times_ms[i];
            p.window_end_ms = i + 1 < s.times_ms.size() ? s.times_ms[i + 1] : s.times_ms[i] + 1;
            p.value = p.numerator = s.values[i];
            const auto v = d->observe(p);
            if (!v.evaluated) {
                continue;
            }
            out[i] = open ? 0.0 : v.score;
            open = v.anomalous;
        }
        scores.push_back(std::move(out));
    }
    return scores;
}

namespace {

void write_results(const std::string& dir, const std::string& detector,
                   const std::vector<detectors::nab::Series>& corpus,
                   const std::vector<std::vector<double>>& scores) {
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

std::vector<NabRow> eval_nab(const monitor::Config& config, const std::string& data_dir,
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
    for (const auto& d : configured_detectors(config)) {
        const auto scores = nab_scores(registry, d, corpus);
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
    }
    return table;
}

}  // namespace terrain::app
