#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace terrain::detectors::nab {

// One NAB data file: its rows and its labelled anomaly windows as inclusive row ranges.
struct Series {
    std::string category;  // "realKnownCause"
    std::string file;      // "nyc_taxi.csv"
    std::vector<std::string> timestamps;  // as written in the file
    std::vector<std::int64_t> times_ms;
    std::vector<double> values;
    struct Window {
        std::size_t first = 0;
        std::size_t last = 0;  // inclusive
    };
    std::vector<Window> windows;
    std::size_t probation() const;
};

// Reads DIR/data/<category>/<file>.csv (or DIR/<category>/<file>.csv) and DIR/windows.json
// (or DIR/labels/combined_windows.json, NAB's own layout). Throws std::runtime_error naming the
// file and line on malformed input.
std::vector<Series> load_corpus(const std::string& dir);

struct Profile {
    std::string name;
    double tp = 1;
    double fn = 1;
    double fp = 0.11;
};
const std::vector<Profile>& profiles();  // standard, reward_low_FP_rate, reward_low_FN_rate

// Raw and normalised corpus score for one profile at one threshold.
struct Score {
    double threshold = 0;
    double raw = 0;
    double normalised = 0;  // 100 * (raw - null) / (perfect - null)
    std::size_t windows = 0;
    std::size_t detected = 0;        // windows with a detection
    std::size_t false_positives = 0; // detections outside every window
};

// `scores[f][i]` is the anomaly score in [0, 1] of row i of file f. A row counts as a detection
// when its score is >= threshold.
Score score_at(const std::vector<Series>& corpus, const std::vector<std::vector<double>>& scores,
               const Profile& profile, double threshold);

// The threshold that maximises the corpus score over every distinct score value (exact sweep,
// O(rows log rows)), and that score.
Score optimise(const std::vector<Series>& corpus, const std::vector<std::vector<double>>& scores,
               const Profile& profile);

}  // namespace terrain::detectors::nab
