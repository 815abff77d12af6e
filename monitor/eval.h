#pragma once

#include <ostream>
#include <string>
#include <vector>

#include "detectors/detector.h"
#include "detectors/nab.h"
#include "core/config.h"

namespace terrain::monitor {

// Every distinct detector of a configuration (by name; a name reused with other parameters is
// told apart as "metric/name").
std::vector<core::DetectorConfig> configured_detectors(const core::Config& config);

// Runs one detector over every series of a NAB corpus, point by point with no look-ahead, and
// returns each row's anomaly score as NAB counts it: the detector's score, except 0 while the
// alert its condition fired is still open (one detection per firing, as an alert would be).
std::vector<std::vector<double>> nab_scores(const detectors::Registry& registry,
                                            const core::DetectorConfig& detector,
                                            const std::vector<detectors::nab::Series>& corpus);

struct NabRow {
    std::string detector;
    std::string profile;
    detectors::nab::Score optimised;
    detectors::nab::Score fixed;  // at 0.5, every detector's own boundary
};

// Leave one category out: the candidate (one detector configuration's scores per file) and
// threshold that maximise the score of the other categories, and the held-out category's score
// with them (NaN for a category without windows, which cannot be normalised; its false
// positives are still counted). With one candidate only the threshold is chosen; with several,
// the parameters they differ in are chosen on the training categories too.
struct LocoFold {
    std::string category;
    std::size_t candidate = 0;  // index into the candidates
    double threshold = 0;
    double normalised = 0;
    std::size_t false_positives = 0;
};
using NabScores = std::vector<std::vector<double>>;  // per file, per row
std::vector<LocoFold> leave_one_category_out(const std::vector<detectors::nab::Series>& corpus,
                                             const std::vector<const NabScores*>& candidates,
                                             const detectors::nab::Profile& profile);

// `terrain eval nab`: scores every configured detector and prints a table to `out` (the
// optimised and fixed thresholds per profile, then each leave-one-category-out fold); with a
// results directory also writes NAB's per-file CSVs.
std::vector<NabRow> eval_nab(const core::Config& config, const std::string& data_dir,
                             const std::string& results_dir, std::ostream& out);

}  // namespace terrain::monitor
