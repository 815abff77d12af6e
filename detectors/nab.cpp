#include "detectors/nab.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "core/duration.h"

namespace terrain::detectors::nab {

namespace fs = std::filesystem;

namespace {

// "2014-04-10 07:15:00" or "2014-04-10 07:15:00.000000" as milliseconds since the epoch.
std::int64_t parse_time(const std::string& text, const std::string& where) {
    std::string iso = text;
    if (iso.size() > 10 && iso[10] == ' ') {
        iso[10] = 'T';
    }
    auto ms = core::parse_rfc3339_ms(iso + "Z");
    if (!ms) {
        throw std::runtime_error(where + ": '" + text + "' is not a timestamp");
    }
    return *ms;
}

Series read_csv(const fs::path& path, std::string category) {
    Series s;
    s.category = std::move(category);
    s.file = path.filename().string();
    std::ifstream in(path);
    if (!in) {
        throw std::runtime_error(path.string() + ": cannot open");
    }
    std::string line;
    std::size_t n = 0;
    while (std::getline(in, line)) {
        ++n;
        if (!line.empty() && line.back() == '\r') {
            line.pop_back();
        }
        if (n == 1 || line.empty()) {
            continue;  // header
        }
        const auto where = path.string() + ":" + std::to_string(n);
        const auto comma = line.find(',');
        if (comma == std::string::npos) {
            throw std::runtime_error(where + ": expected 'timestamp,value'");
        }
        const std::string ts = line.substr(0, comma);
        const std::string vs = line.substr(comma + 1);
        std::size_t used = 0;
        double v = 0;
        try {
            v = std::stod(vs, &used);
        } catch (const std::exception&) {
            used = 0;
        }
        if (used == 0 || !std::isfinite(v)) {
            throw std::runtime_error(where + ": '" + vs + "' is not a number");
        }
        s.times_ms.push_back(parse_time(ts, where));
        s.timestamps.push_back(ts);
        s.values.push_back(v);
    }
    return s;
}

// sigma(x) = 2 / (1 + e^(5x)) - 1
double sigma(double x) { return 2.0 / (1.0 + std::exp(5.0 * x)) - 1.0; }

// The weight of a detection at row i of a window (true positive, in (0, tp]).
double tp_value(const Series::Window& w, std::size_t i, const Profile& p) {
    const double width = static_cast<double>(w.last - w.first + 1);
    const double x = -static_cast<double>(w.last - i + 1) / width;
    return p.tp * sigma(x) / sigma(-1.0);
}

// The (negative) value of a detection at row i outside every window; `prev` is the index of the
// last window ending before i, or -1.
double fp_value(const Series& s, int prev, std::size_t i, const Profile& p) {
    double sig = -1.0;
    if (prev >= 0) {
        const auto& w = s.windows[static_cast<std::size_t>(prev)];
        const double width = static_cast<double>(w.last - w.first + 1);
        const double x = static_cast<double>(i - w.last) / std::max(width - 1.0, 1.0);
        sig = x > 3 ? -1.0 : sigma(x);
    }
    return p.fp * sig;
}

// Walks every scored row of every file, telling `in_window(file, window, row)` or
// `outside(file, prev_window, row)`.
template <typename InWindow, typename Outside>
void walk(const std::vector<Series>& corpus, InWindow in_window, Outside outside) {
    for (std::size_t f = 0; f < corpus.size(); ++f) {
        const auto& s = corpus[f];
        std::size_t w = 0;
        int prev = -1;
        for (std::size_t i = s.probation(); i < s.values.size(); ++i) {
            while (w < s.windows.size() && s.windows[w].last < i) {
                prev = static_cast<int>(w);
                ++w;
            }
            if (w < s.windows.size() && i >= s.windows[w].first) {
                in_window(f, w, i);
            } else {
                outside(f, prev, i);
            }
        }
    }
}

std::size_t window_count(const std::vector<Series>& corpus) {
    std::size_t n = 0;
    for (const auto& s : corpus) {
        n += s.windows.size();
    }
    return n;
}

void normalise(Score& score, const Profile& p) {
    const double perfect = p.tp * static_cast<double>(score.windows);
    const double null = -p.fn * static_cast<double>(score.windows);
    score.normalised = perfect > null ? 100.0 * (score.raw - null) / (perfect - null) : 0;
}

}  // namespace

std::size_t Series::probation() const {
    return std::min<std::size_t>(static_cast<std::size_t>(std::floor(0.15 * values.size())), 750);
}

std::vector<Series> load_corpus(const std::string& dir) {
    const fs::path root(dir);
    fs::path data = root / "data";
    if (!fs::is_directory(data)) {
        data = root;
    }
    fs::path labels = root / "windows.json";
    if (!fs::exists(labels)) {
        labels = root / "labels" / "combined_windows.json";
    }
    std::ifstream in(labels);
    if (!in) {
        throw std::runtime_error(dir + ": no windows.json (or labels/combined_windows.json)");
    }
    nlohmann::json windows;
    try {
        windows = nlohmann::json::parse(in);
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(labels.string() + ": " + e.what());
    }
    std::vector<Series> corpus;
    for (const auto& [name, spans] : windows.items()) {
        const auto slash = name.find('/');
        if (slash == std::string::npos) {
            throw std::runtime_error(labels.string() + ": '" + name + "' is not category/file.csv");
        }
        auto s = read_csv(data / name, name.substr(0, slash));
        for (const auto& span : spans) {
            if (!span.is_array() || span.size() != 2 || !span[0].is_string() ||
                !span[1].is_string()) {
                throw std::runtime_error(labels.string() + ": " + name +
                                         ": a window is [\"start\", \"end\"]");
            }
            const auto a = parse_time(span[0].get<std::string>(), labels.string());
            const auto b = parse_time(span[1].get<std::string>(), labels.string());
            const auto first = std::lower_bound(s.times_ms.begin(), s.times_ms.end(), a);
            const auto end = std::upper_bound(s.times_ms.begin(), s.times_ms.end(), b);
            if (first < end) {
                s.windows.push_back({static_cast<std::size_t>(first - s.times_ms.begin()),
                                     static_cast<std::size_t>(end - s.times_ms.begin()) - 1});
            }
        }
        corpus.push_back(std::move(s));
    }
    std::sort(corpus.begin(), corpus.end(), [](const Series& a, const Series& b) {
        return std::tie(a.category, a.file) < std::tie(b.category, b.file);
    });
    if (corpus.empty()) {
        throw std::runtime_error(labels.string() + ": lists no data files");
    }
    return corpus;
}

const std::vector<Profile>& profiles() {
    static const std::vector<Profile> all = {{"standard", 1, 1, 0.11},
                                             {"reward_low_FP_rate", 1, 1, 0.22},
                                             {"reward_low_FN_rate", 1, 2, 0.11}};
    return all;
}

Score score_at(const std::vector<Series>& corpus, const std::vector<std::vector<double>>& scores,
               const Profile& profile, double threshold) {
    Score out;
    out.threshold = threshold;
    out.windows = window_count(corpus);
    // Best (earliest) detection per window; windows are visited in row order.
    std::vector<std::vector<double>> best(corpus.size());
    for (std::size_t f = 0; f < corpus.size(); ++f) {
        best[f].assign(corpus[f].windows.size(), std::numeric_limits<double>::quiet_NaN());
    }
    walk(
        corpus,
        [&](std::size_t f, std::size_t w, std::size_t i) {
            if (scores[f][i] >= threshold && std::isnan(best[f][w])) {
                best[f][w] = tp_value(corpus[f].windows[w], i, profile);
            }
        },
        [&](std::size_t f, int prev, std::size_t i) {
            if (scores[f][i] >= threshold) {
                out.raw += fp_value(corpus[f], prev, i, profile);
                ++out.false_positives;
            }
        });
    for (const auto& file : best) {
        for (double v : file) {
            if (std::isnan(v)) {
                out.raw -= profile.fn;
            } else {
                out.raw += v;
                ++out.detected;
            }
        }
    }
    normalise(out, profile);
    return out;
}

Score optimise(const std::vector<Series>& corpus, const std::vector<std::vector<double>>& scores,
               const Profile& profile) {
    // The corpus score as a function of the threshold is a step function: lowering the threshold
    // past a row's score adds that row's false-positive value, or moves its window's detection
    // to that row when the row is a running maximum of the window's scores. Collect every step,
    // sweep from the highest threshold down.
    struct Step {
        double threshold;
        double delta;
        int detected;  // change in windows detected
        int fps;       // change in false positives
    };
    std::vector<Step> steps;
    // Prefix maxima of a window, in row order, have increasing scores. A threshold in
    // (previous maximum, this maximum] detects at this row; record the maxima first, then turn
    // them into steps from the top.
    std::vector<std::vector<std::vector<std::pair<double, double>>>> maxima(corpus.size());
    for (std::size_t f = 0; f < corpus.size(); ++f) {
        maxima[f].resize(corpus[f].windows.size());
    }
    walk(
        corpus,
        [&](std::size_t f, std::size_t w, std::size_t i) {
            auto& m = maxima[f][w];
            if (m.empty() || scores[f][i] > m.back().first) {
                maxima[f][w].push_back({scores[f][i], tp_value(corpus[f].windows[w], i, profile)});
            }
        },
        [&](std::size_t f, int prev, std::size_t i) {
            steps.push_back({scores[f][i], fp_value(corpus[f], prev, i, profile), 0, 1});
        });
    for (auto& file : maxima) {
        for (auto& m : file) {
            double current = -profile.fn;
            for (auto it = m.rbegin(); it != m.rend(); ++it) {
                steps.push_back({it->first, it->second - current, current == -profile.fn ? 1 : 0,
                                 0});
                current = it->second;
            }
        }
    }
    std::sort(steps.begin(), steps.end(),
              [](const Step& a, const Step& b) { return a.threshold > b.threshold; });
    Score best;
    best.windows = window_count(corpus);
    best.raw = -profile.fn * static_cast<double>(best.windows);
    best.threshold = steps.empty() ? 1.0 : std::nextafter(steps.front().threshold, 2.0);
    double raw = best.raw;
    std::size_t detected = 0;
    std::size_t fps = 0;
    for (std::size_t i = 0; i < steps.size();) {
        const double t = steps[i].threshold;
        for (; i < steps.size() && steps[i].threshold == t; ++i) {
            raw += steps[i].delta;
            detected += static_cast<std::size_t>(steps[i].detected);
            fps += static_cast<std::size_t>(steps[i].fps);
        }
        if (raw > best.raw) {
            best.raw = raw;
            best.threshold = t;
            best.detected = detected;
            best.false_positives = fps;
        }
    }
    normalise(best, profile);
    return best;
}

}  // namespace terrain::detectors::nab
