#include "monitor/whatif.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <cstdio>
#include <filesystem>
#include <map>
#include <stdexcept>

#include "alerts/alert.h"
#include "core/duration.h"
#include "core/event_log.h"
#include "core/store.h"
#include "detectors/detector.h"

namespace terrain::monitor {

namespace {

// As the alert manager joins findings into one incident (alerts/manager.h): another level or
// metric of the same team about the same series, or one that flares again within two hours.
constexpr std::int64_t kSameIncidentWithin = 2 * 3'600'000;

// Two series' labels could be one incident's: they share a label and disagree on none (a
// series of all traffic, without labels, goes with any).
bool related(const core::Labels& a, const core::Labels& b) {
    if (a.empty() || b.empty()) {
        return true;
    }
    bool shared = false;
    for (const auto& [k, v] : a) {
        if (const std::string* other = core::find_label(b, k)) {
            if (*other != v) {
                return false;
            }
            shared = true;
        }
    }
    return shared;
}

struct Candidate {
    const SeriesTrace* trace;
    std::int64_t start;  // first anomalous window's start
    std::int64_t end;
    std::int64_t fires;  // the end of that window
    std::string team;
    std::string family;
    bool taken = false;
};

std::string series_words(const std::string& metric, const std::string& detector,
                         const core::Labels& labels) {
    std::string out = metric + "/" + detector;
    for (const auto& [k, v] : labels) {
        out += " " + k + "=" + v;
    }
    return out;
}

std::string minutes(std::int64_t ms) {
    const std::int64_t m = (ms < 0 ? -ms : ms) / 60'000;
    return m < 60 ? std::to_string(m) + " min"
                  : std::to_string(m / 60) + " h " + std::to_string(m % 60) + " min";
}

std::string when(std::int64_t ms) {
    const std::string t = core::format_rfc3339_ms(ms);
    return t.substr(0, 10) + " " + t.substr(11, 5) + " UTC";
}

}  // namespace

WhatIfResult run_whatif(const core::Config& candidate, const WhatIfOptions& options) {
    const std::string& dir = options.data_dir;
    if (!std::filesystem::exists(dir + "/terrain.db") || !std::filesystem::is_directory(dir + "/log")) {
        throw std::runtime_error(dir + ": not a terrain data directory (no terrain.db and log/)");
    }
    WhatIfResult r;
    std::vector<core::Event> events;
    r.skipped_records = core::EventLog::read_only(dir + "/log", [&](std::string&&, std::vector<core::Event>&& batch) {
        for (auto& e : batch) {
            events.push_back(std::move(e));
        }
    });
    r.backtest = backtest_events(candidate, std::move(events), {}, options.progress);
    const std::int64_t from = r.backtest.first_ms;
    const std::int64_t to = r.backtest.last_ms;

    std::map<std::string, const core::MetricConfig*> metrics;
    for (const auto& m : candidate.metrics) {
        metrics[m.name] = &m;
    }
    std::vector<Candidate> spans;
    for (const auto& t : r.backtest.alerting) {
        const auto it = metrics.find(t.metric);
        const std::string team = it != metrics.end() ? it->second->team : "unassigned";
        const std::string family = it != metrics.end() && !it->second->family.empty() ? it->second->family : t.metric;
        for (const auto& s : t.spans) {
            spans.push_back({&t, s.start, s.end, s.start + t.window_ms, team, family});
        }
    }
    std::sort(spans.begin(), spans.end(),
              [](const Candidate& a, const Candidate& b) { return a.fires < b.fires; });

    // terrain's alerts over the same history, oldest first.
    std::vector<alerts::Alert> raised;
    const core::SqliteStore store(dir + "/terrain.db");
    for (const auto& doc : store.load_alerts()) {
        auto a = alerts::alert_from_json(nlohmann::json::parse(doc.body));
        if (a.fired_window_end_ms >= from && a.fired_window_end_ms <= to + 86'400'000) {
            raised.push_back(std::move(a));
        }
    }
    std::sort(raised.begin(), raised.end(), [](const auto& a, const auto& b) {
        return a.fired_window_end_ms < b.fired_window_end_ms;
    });
    r.alerts = raised.size();
    for (const auto& a : raised) {
        const std::int64_t window = std::max<std::int64_t>(1, a.fired_window_end_ms - a.since_ms);
        const std::int64_t end = std::max(a.last_window_ms, a.fired_window_end_ms);
        const std::string family = a.family.empty() ? a.metric : a.family;
        AlertChange c{AlertChange::Kind::kRemoved, a.metric, a.detector, a.labels,
                      a.fired_window_end_ms, 0, a.id, a.feedback, a.feedback_reason};
        // The candidate raises this incident if the same series, or another level of its
        // metric, fires within its span; the same team's other findings about it join it.
        for (auto& s : spans) {
            if (s.start >= end || s.end <= a.since_ms) {
                continue;
            }
            const bool same = s.trace->metric == a.metric && s.trace->detector == a.detector &&
                              s.trace->labels == a.labels;
            const bool level = s.family == family && related(s.trace->labels, a.labels);
            if (same || level) {
                c.would_ms = c.would_ms == 0 ? s.fires : std::min(c.would_ms, s.fires);
            }
            if (same || level || (s.team == a.team && related(s.trace->labels, a.labels))) {
                s.taken = true;
            }
        }
        if (c.would_ms != 0) {
            const std::int64_t moved = c.would_ms - c.was_ms;
            c.kind = moved <= -window ? AlertChange::Kind::kEarlier
                     : moved >= window ? AlertChange::Kind::kLater
                                       : AlertChange::Kind::kSame;
        }
        r.changes.push_back(std::move(c));
    }
    // What is left would be alerts of their own, one per incident.
    struct Added {
        const Candidate* first;
        std::int64_t end;
    };
    std::vector<Added> added;
    for (const auto& s : spans) {
        if (s.taken) {
            continue;
        }
        auto joined = std::find_if(added.begin(), added.end(), [&](const Added& g) {
            return g.first->team == s.team && related(g.first->trace->labels, s.trace->labels) &&
                   s.start <= g.end + kSameIncidentWithin;
        });
        if (joined != added.end()) {
            joined->end = std::max(joined->end, s.end);
        } else {
            added.push_back({&s, s.end});
        }
    }
    for (const auto& g : added) {
        r.changes.push_back({AlertChange::Kind::kAdded, g.first->trace->metric,
                             g.first->trace->detector, g.first->trace->labels, 0, g.first->fires,
                             "", "", ""});
    }
    return r;
}

std::string whatif_text(const WhatIfResult& r) {
    std::string out = std::to_string(r.backtest.events) + " events replayed (" +
                      when(r.backtest.first_ms) + " to " + when(r.backtest.last_ms) + "); " +
                      std::to_string(r.alerts) + " alerts terrain raised in that time\n";
    if (r.skipped_records > 0) {
        out += std::to_string(r.skipped_records) + " damaged log records skipped\n";
    }
    auto verdict = [](const AlertChange& c) -> std::string {
        if (c.feedback == "confirmed") {
            return " (confirmed)";
        }
        if (c.feedback == "not_a_problem") {
            return " (marked not a problem: " + c.feedback_reason + ")";
        }
        return c.alert_id.empty() ? "" : " (no verdict)";
    };
    std::size_t differ = 0;
    for (const auto& c : r.changes) {
        const std::string series = series_words(c.metric, c.detector, c.labels);
        switch (c.kind) {
            case AlertChange::Kind::kSame:
                continue;
            case AlertChange::Kind::kRemoved:
                out += "  removed  " + series + ", fired " + when(c.was_ms) + verdict(c) + "\n";
                break;
            case AlertChange::Kind::kAdded:
                out += "  added    " + series + ", would fire " + when(c.would_ms) + "\n";
                break;
            case AlertChange::Kind::kEarlier:
            case AlertChange::Kind::kLater:
                out += std::string(c.kind == AlertChange::Kind::kEarlier ? "  earlier  " : "  later    ") +
                       series + " by " + minutes(c.would_ms - c.was_ms) + ", fired " +
                       when(c.was_ms) + verdict(c) + "\n";
                break;
        }
        ++differ;
    }
    if (differ == 0) {
        return out + "no alert would differ\n";
    }
    // The verdicts people gave, in plain words.
    std::size_t rejected_gone = 0, rejected_kept = 0, confirmed_gone = 0, confirmed_same = 0,
                added = 0;
    std::vector<std::string> confirmed_moved;
    for (const auto& c : r.changes) {
        const bool gone = c.kind == AlertChange::Kind::kRemoved;
        if (c.feedback == "not_a_problem") {
            (gone ? rejected_gone : rejected_kept) += 1;
        } else if (c.feedback == "confirmed") {
            if (gone) {
                ++confirmed_gone;
            } else if (c.kind == AlertChange::Kind::kSame) {
                ++confirmed_same;
            } else {
                confirmed_moved.push_back(
                    "1 confirmed alert would have fired " + minutes(c.would_ms - c.was_ms) +
                    (c.kind == AlertChange::Kind::kEarlier ? " earlier" : " later"));
            }
        } else if (c.kind == AlertChange::Kind::kAdded) {
            ++added;
        }
    }
    std::vector<std::string> said;
    auto count = [](std::size_t n, const char* one, const char* many) {
        return std::to_string(n) + " " + (n == 1 ? one : many);
    };
    if (rejected_gone > 0) {
        said.push_back(count(rejected_gone, "alert people marked not a problem would not have fired",
                             "alerts people marked not a problem would not have fired"));
    }
    if (rejected_kept > 0) {
        said.push_back(count(rejected_kept, "alert people marked not a problem would still fire",
                             "alerts people marked not a problem would still fire"));
    }
    if (confirmed_gone > 0) {
        said.push_back(count(confirmed_gone, "confirmed alert would NOT have fired",
                             "confirmed alerts would NOT have fired"));
    }
    said.insert(said.end(), confirmed_moved.begin(), confirmed_moved.end());
    if (confirmed_same > 0) {
        said.push_back(count(confirmed_same, "confirmed alert would fire as before",
                             "confirmed alerts would fire as before"));
    }
    if (added > 0) {
        said.push_back(count(added, "new alert (no verdict yet)", "new alerts (no verdict yet)"));
    }
    std::string line;
    for (const auto& s : said) {
        line += (line.empty() ? "" : "; ") + s;
    }
    return out + (line.empty() ? "" : line + "\n");
}

namespace {

// The parameter a tuner turns first, per detector type, and the values swept (as factors of
// the current one).
struct Knob {
    const char* type;
    const char* parameter;
    std::vector<double> factors;
};
const std::vector<Knob>& knobs() {
    static const std::vector<Knob> list = {
        {"threshold", "above", {0.25, 0.5, 0.75, 1.5, 2, 3, 5}},
        {"threshold", "below", {0.2, 0.33, 0.5, 0.67, 1.25, 1.5, 2}},
        {"ewma", "z", {0.5, 0.75, 1.25, 1.5, 2}},
        {"seasonal", "z", {0.5, 0.75, 1.25, 1.5, 2}},
        {"knn", "z", {0.5, 0.75, 1.25, 1.5, 2}},
        {"cusum", "h", {0.5, 0.75, 1.25, 1.5, 2}},
        {"rate", "p_value", {100, 10, 0.1, 0.01, 0.001}},
        {"disagreement", "p_value", {100, 10, 0.1, 0.01, 0.001}},
    };
    return list;
}

// A parameter's value in a detector's configuration, else its documented default: the
// number in parentheses at the end of its help ("... anomalous (4)").
std::optional<double> parameter_value(const core::DetectorConfig& d, const std::string& name) {
    if (auto it = d.params.find(name); it != d.params.end() && it->is_number()) {
        return it->get<double>();
    }
    // The built-in detectors' documentation, gathered once.
    static const detectors::Registry registry = [] {
        detectors::Registry r;
        detectors::register_builtin_detectors(r);
        return r;
    }();
    if (const auto* entry = registry.find(d.type)) {
        for (const auto& k : entry->keys) {
            const auto open = k.help.rfind('(');
            if (k.name == name && open != std::string::npos) {
                try {
                    return std::stod(k.help.substr(open + 1));
                } catch (const std::exception&) {
                    return std::nullopt;
                }
            }
        }
    }
    return std::nullopt;
}

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

}  // namespace

std::vector<Suggestion> suggest(const core::Config& config, const std::string& data_dir,
                                const std::string& only) {
    // The verdicts people gave, per declared metric and detector.
    std::map<std::pair<std::string, std::string>, std::pair<std::size_t, std::size_t>> verdicts;
    {
        const core::SqliteStore store(data_dir + "/terrain.db");
        for (const auto& doc : store.load_alerts()) {
            const auto a = alerts::alert_from_json(nlohmann::json::parse(doc.body));
            auto& [confirmed, rejected] =
                verdicts[{a.family.empty() ? a.metric : a.family, a.detector}];
            confirmed += a.feedback == "confirmed" ? 1 : 0;
            rejected += a.feedback == "not_a_problem" ? 1 : 0;
        }
    }
    std::vector<Suggestion> out;
    for (const auto& [key, counts] : verdicts) {
        const std::string& family = key.first;  // not a structured binding: lambdas use it
        const std::string& detector = key.second;
        if ((counts.first == 0 && counts.second == 0) ||
            (!only.empty() && only != family + "/" + detector)) {
            continue;
        }
        // The family's metrics (the declared one and its roll-ups) with the detector.
        core::Config candidate = config;
        std::erase_if(candidate.metrics, [&](const core::MetricConfig& m) {
            return m.name != family && m.family != family;
        });
        const core::DetectorConfig* d = nullptr;
        for (const auto& m : candidate.metrics) {
            for (const auto& x : m.detectors) {
                d = x.name == detector ? &x : d;
            }
        }
        if (d == nullptr) {
            continue;  // no longer configured
        }
        const Knob* knob = nullptr;
        for (const auto& k : knobs()) {
            if (k.type == d->type && (d->type != "threshold" || d->params.contains(k.parameter))) {
                knob = &k;
                break;
            }
        }
        const auto current = knob != nullptr ? parameter_value(*d, knob->parameter) : std::nullopt;
        Suggestion s{family, detector, knob != nullptr ? knob->parameter : "", current.value_or(0),
                     current.value_or(0), counts.first, counts.second, 0, 0, ""};
        if (!current) {
            s.text = family + "/" + detector + ": no parameter terrain knows how to sweep (" +
                     d->type + ")";
            out.push_back(std::move(s));
            continue;
        }
        const bool ratio_limit = d->type == "threshold" && candidate.metrics.front().aggregation == core::Aggregation::kRatio;
        std::vector<double> values = {*current};
        for (double f : knob->factors) {
            const double v = *current * f;
            if (!ratio_limit || (v >= 0 && v <= 1)) {
                values.push_back(v);
            }
        }
        // Each setting on the history: confirmed alerts kept, rejected ones spared.
        double best_score = -1;
        for (double v : values) {
            core::Config trial = candidate;
            for (auto& m : trial.metrics) {
                for (auto& x : m.detectors) {
                    if (x.name == detector) {
                        x.params[knob->parameter] = v;
                    }
                }
            }
            const auto r = run_whatif(trial, {data_dir, false});
            std::size_t kept = 0, spared = 0;
            for (const auto& c : r.changes) {
                const auto it = std::find_if(trial.metrics.begin(), trial.metrics.end(),
                                             [&](const auto& m) { return m.name == c.metric; });
                if (it == trial.metrics.end() || c.detector != detector) {
                    continue;
                }
                const bool fires = c.kind != AlertChange::Kind::kRemoved;
                kept += c.feedback == "confirmed" && fires ? 1 : 0;
                spared += c.feedback == "not_a_problem" && !fires ? 1 : 0;
            }
            if (kept < counts.first) {
                continue;  // a confirmed alert lost: never suggested
            }
            // More spared wins; among equals the setting nearest the current one.
            const double distance = std::abs(std::log(v / *current));
            const double score = static_cast<double>(spared) * 1000 - distance;
            if (score > best_score) {
                best_score = score;
                s.suggested = v;
                s.confirmed_kept = kept;
                s.rejected_spared = spared;
            }
        }
        const std::string name = family + "/" + detector + ": " + s.parameter + " ";
        if (best_score < 0) {
            s.text = name + number_text(*current) + ": every setting tried loses a confirmed alert; keep it";
        } else if (s.suggested == *current) {
            s.text = name + number_text(*current) + " is the best setting tried: it keeps " +
                     std::to_string(s.confirmed_kept) + " of " + std::to_string(s.confirmed) +
                     " confirmed alerts and spares " + std::to_string(s.rejected_spared) +
                     " of " + std::to_string(s.rejected) + " marked not a problem";
        } else {
            s.text = name + number_text(*current) + " -> " + number_text(s.suggested) +
                     " keeps " + std::to_string(s.confirmed_kept) + " of " +
                     std::to_string(s.confirmed) + " confirmed alerts and spares " +
                     std::to_string(s.rejected_spared) + " of " + std::to_string(s.rejected) +
                     " marked not a problem";
        }
        out.push_back(std::move(s));
    }
    return out;
}

}  // namespace terrain::monitor
