#include "monitor/backtest.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "detectors/detector.h"
#include "detectors/evaluator.h"
#include "core/aggregator.h"
#include "core/duration.h"
#include "core/hash.h"
#include "webhooks/sources/events/adapter.h"
#include "webhooks/api.h"
#include "webhooks/sources/sendgrid/adapter.h"

namespace terrain::monitor {

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw std::runtime_error(path + ": cannot open");
    }
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

std::string series_text(const core::Labels& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        out += (out.empty() ? "" : ", ") + k + "=" + v;
    }
    return out.empty() ? "all traffic" : out;
}

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
            case '&': out += "&amp;"; break;
            case '<': out += "&lt;"; break;
            case '>': out += "&gt;"; break;
            case '"': out += "&quot;"; break;
            default: out += c;
        }
    }
    return out;
}

std::vector<Incident> read_incidents(const std::string& path) {
    std::vector<Incident> out;
    nlohmann::json doc;
    try {
        doc = nlohmann::json::parse(read_all(path));
    } catch (const nlohmann::json::exception& e) {
        throw std::runtime_error(path + ": " + e.what());
    }
    if (doc.is_object() && doc.contains("incidents")) {
        // The ground truth `terrain simulate` writes: each incident's expected alert.
        nlohmann::json list = nlohmann::json::array();
        for (const auto& inc : doc["incidents"]) {
            nlohmann::json flat = inc.value("expect", nlohmann::json::object());
            flat["start"] = inc.value("start", "");
            flat["end"] = inc.value("end", "");
            list.push_back(std::move(flat));
        }
        doc = std::move(list);
    }
    if (!doc.is_array()) {
        throw std::runtime_error(path + ": expected a JSON array of incidents");
    }
    for (std::size_t i = 0; i < doc.size(); ++i) {
        const auto& j = doc[i];
        const std::string where = path + ": incident " + std::to_string(i);
        Incident inc;
        const auto labels = j.value("labels", nlohmann::json::object());
        for (const auto& [k, v] : labels.items()) {
            inc.labels.emplace_back(k, v.is_string() ? v.get<std::string>() : v.dump());
        }
        auto time = [&](const char* key) {
            auto it = j.find(key);
            auto ms = it != j.end() && it->is_string()
                          ? core::parse_rfc3339_ms(it->get<std::string>())
                          : std::nullopt;
            if (!ms) {
                throw std::runtime_error(where + ": '" + key + "' must be an RFC 3339 time");
            }
            return *ms;
        };
        inc.start = time("start");
        inc.end = time("end");
        out.push_back(std::move(inc));
    }
    return out;
}

// Per series, beside its detectors: the index of each detector's trace.
struct SeriesTraces final : core::SeriesAttachment {
    std::vector<std::size_t> traces;  // index into all traces
};

// Records every detector's verdicts as traces: the values, the band and the anomalous spans.
class TraceSink final : public detectors::EvaluationSink {
public:
    std::vector<SeriesTrace> traces;

    void on_series(const core::Point& p, detectors::SeriesEvaluation& series) override {
        auto extra = std::make_unique<SeriesTraces>();
        for (const auto& d : p.metric->detectors) {
            extra->traces.push_back(traces.size());
            SeriesTrace t;
            t.metric = p.metric->name;
            t.detector = d.name;
            t.detector_type = d.type;
            t.ratio = p.metric->aggregation == core::Aggregation::kRatio || p.metric->pair;
            t.labels = *p.labels;
            t.window_ms = p.window_end_ms - p.window_start_ms;
            traces.push_back(std::move(t));
        }
        series.extra = std::move(extra);
    }
    void on_verdict(const core::Point& p, detectors::SeriesEvaluation& series, std::size_t i,
                    detectors::Verdict& v) override {
        auto& t = traces[static_cast<SeriesTraces&>(*series.extra).traces[i]];
        t.times.push_back(p.window_start_ms);
        t.values.push_back(p.value);
        t.expected.push_back(v.expected);
        t.lower.push_back(v.lower);
        t.upper.push_back(v.upper);
        const bool open = !t.spans.empty() && t.spans.back().end == 0;
        if (v.anomalous && !open) {
            t.spans.push_back({p.window_start_ms, 0, std::nullopt, std::nullopt});
        } else if (!v.anomalous && open) {
            t.spans.back().end = p.window_start_ms;
        }
    }
};

class Progress {
public:
    Progress(bool on, std::size_t total) : on_(on), total_(std::max<std::size_t>(total, 1)) {}
    void update(std::size_t done) {
        if (!on_) {
            return;
        }
        const int pct = static_cast<int>(100 * done / total_);
        if (pct == last_) {
            return;
        }
        last_ = pct;
        std::string bar(static_cast<std::size_t>(pct / 4), '#');
        bar.resize(25, ' ');
        std::fprintf(stderr, "\r[%s] %3d%%  %zu/%zu events", bar.c_str(), pct, done, total_);
        if (done >= total_) {
            std::fputc('\n', stderr);
        }
    }

private:
    bool on_;
    std::size_t total_;
    int last_ = -1;
};

}  // namespace

bool about(const Incident& incident, const core::Labels& series) {
    bool shared = false;
    for (const auto& [k, v] : incident.labels) {
        if (const std::string* have = core::find_label(series, k)) {
            if (*have != v) {
                return false;
            }
            shared = true;
        }
    }
    return shared;
}

std::vector<core::Event> read_backtest_events(const std::string& path,
                                                 const core::Config& config) {
    const std::string body = read_all(path);
    core::SubjectHasher hasher(core::HashKey{});  // subjects are not kept by a backtest
    std::vector<std::string> labels = core::known_labels();
    labels.insert(labels.end(), config.extra_labels.begin(), config.extra_labels.end());
    webhooks::AdapterContext ctx;
    ctx.hasher = &hasher;
    ctx.now_ms = std::numeric_limits<std::int64_t>::max() / 4;
    ctx.labels = &labels;
    const webhooks::SendgridAdapter sendgrid;
    const webhooks::EventsAdapter events;
    // A history file is read strictly: an event an endpoint would set aside is an error here,
    // named with its line, not a silent gap in the backtest.
    auto strict = [](core::Result<webhooks::Parsed> r) -> core::Result<webhooks::Parsed> {
        if (r.ok() && !r.value().refused.empty()) {
            return r.value().refused.front();
        }
        return r;
    };
    auto parse = [&](std::string_view text) -> core::Result<webhooks::Parsed> {
        auto sg = strict(sendgrid.parse(text, ctx));
        if (sg) {
            return sg;
        }
        auto ev = strict(events.parse(text, ctx));
        if (ev) {
            return ev;
        }
        // Report in the terms of the format the text looks like.
        return text.find("\"sg_event_id\"") != std::string_view::npos ? sg : ev;
    };
    if (auto whole = parse(body)) {
        return std::move(whole.value().events);
    }
    // One request body per line (SendGrid dumps are usually an array per line), or one
    // recorded request per line as `terrain simulate --out` writes them:
    // {"at": ..., "source": "zendesk", "body": {...}}, parsed by that source's adapter.
    std::map<std::string, std::unique_ptr<webhooks::Adapter>> by_source;
    webhooks::SourceRegistry sources;
    webhooks::register_builtin_sources(sources);
    for (const auto& kind : sources.kinds()) {
        by_source.emplace(kind.name, kind.adapter());
    }
    auto recorded = [&](std::string_view text) -> std::optional<core::Result<webhooks::Parsed>> {
        if (text.rfind("{\"at\":", 0) != 0) {
            return std::nullopt;
        }
        const auto request = nlohmann::json::parse(text, nullptr, false);
        if (!request.is_object() || !request.contains("source") || !request.contains("body")) {
            return std::nullopt;
        }
        auto it = by_source.find(request.value("source", ""));
        if (it == by_source.end()) {
            return core::Result<webhooks::Parsed>(core::Error{
                "bad_field", "no adapter for source '" + request.value("source", "") + "'", -1,
                "source"});
        }
        return strict(it->second->parse(request["body"].dump(), ctx));
    };
    std::vector<core::Event> out;
    std::istringstream in(body);
    std::string line;
    for (std::size_t n = 1; std::getline(in, line); ++n) {
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
            continue;
        }
        auto as_recorded = recorded(line);
        auto parsed = as_recorded ? std::move(*as_recorded) : parse(line);
        if (!parsed) {
            throw std::runtime_error(path + ":" + std::to_string(n) + ": " +
                                     parsed.error().message);
        }
        for (auto& e : parsed.value().events) {
            out.push_back(std::move(e));
        }
    }
    return out;
}

namespace {

// Each detector's alerts, alerting series, precision, recall and median delay against the
// incidents; each alert marked true or false, with its delay (to the end of the window it fired
// on: when it could first have been raised).
void score_detectors(std::vector<SeriesTrace>& traces, const std::vector<Incident>& incidents,
                     BacktestResult& r) {
    struct Tally {
        std::vector<std::optional<std::int64_t>> found;  // per incident: its first alert's delay
        std::vector<bool> relevant;                      // per incident: about a series judged
        std::size_t true_spans = 0;
    };
    std::map<std::string, Tally> tally;
    for (auto& t : traces) {
        const std::string key = t.metric + "/" + t.detector;
        auto& sum = r.detectors[key];
        auto& k = tally[key];
        k.found.resize(incidents.size());
        k.relevant.resize(incidents.size(), false);
        if (t.times.empty()) {
            continue;
        }
        ++sum.series;
        for (std::size_t i = 0; i < incidents.size(); ++i) {
            if (about(incidents[i], t.labels)) {
                t.incidents.push_back(i);
                k.relevant[i] = true;
            }
        }
        for (auto& span : t.spans) {
            if (span.end == 0) {
                span.end = t.times.back() + 1;  // still firing at the end
            }
            if (incidents.empty()) {
                continue;
            }
            span.true_positive = false;
            for (std::size_t i : t.incidents) {
                const Incident& inc = incidents[i];
                if (span.start <= inc.end && span.end > inc.start) {
                    const std::int64_t delay =
                        std::max<std::int64_t>(0, span.start + t.window_ms - inc.start);
                    span.true_positive = true;
                    span.delay_ms = span.delay_ms ? std::min(*span.delay_ms, delay) : delay;
                    if (!k.found[i] || delay < *k.found[i]) {
                        k.found[i] = delay;
                    }
                }
            }
            k.true_spans += *span.true_positive ? 1 : 0;
        }
        if (!t.spans.empty()) {
            ++sum.alerting_series;
            sum.alerts += t.spans.size();
            r.alerting.push_back(t);
        }
    }
    std::vector<bool> found(incidents.size(), false);
    for (const auto& [key, k] : tally) {
        for (std::size_t i = 0; i < incidents.size(); ++i) {
            found[i] = found[i] || k.found[i].has_value();
        }
    }
    r.found = static_cast<std::size_t>(std::count(found.begin(), found.end(), true));
    for (auto& [key, sum] : r.detectors) {
        const auto& k = tally[key];
        std::size_t relevant = 0;
        std::vector<std::int64_t> delays;
        for (std::size_t i = 0; i < incidents.size(); ++i) {
            relevant += k.relevant[i] ? 1 : 0;
            if (k.found[i]) {
                delays.push_back(*k.found[i]);
            }
        }
        if (!incidents.empty() && sum.alerts > 0) {
            sum.precision = static_cast<double>(k.true_spans) / static_cast<double>(sum.alerts);
        }
        if (relevant > 0) {
            sum.recall = static_cast<double>(delays.size()) / static_cast<double>(relevant);
        }
        if (!delays.empty()) {
            std::sort(delays.begin(), delays.end());
            sum.median_delay_ms = delays[delays.size() / 2];
        }
    }
}

}  // namespace

BacktestResult run_backtest(const core::Config& config, const BacktestOptions& options) {
    return backtest_events(config, read_backtest_events(options.events_path, config),
                           options.labels_path.empty() ? std::vector<Incident>{}
                                                       : read_incidents(options.labels_path),
                           options.progress);
}

BacktestResult backtest_events(const core::Config& config, std::vector<core::Event> events,
                               std::vector<Incident> incidents, bool show_progress) {
    std::stable_sort(events.begin(), events.end(),
                     [](const core::Event& a, const core::Event& b) {
                         return a.time_ms < b.time_ms;
                     });
    detectors::Registry registry;
    detectors::register_builtin_detectors(registry);
    // The live pipeline's evaluation path, fed from the file instead of the intake.
    TraceSink sink;
    detectors::Evaluator evaluator(config.metrics, config.pipeline.allowed_lateness_ms, registry,
                                   sink);
    Progress progress(show_progress && isatty(2) != 0, events.size());
    for (std::size_t i = 0; i < events.size(); ++i) {
        evaluator.add(events[i]);
        if (i % 4096 == 0) {
            progress.update(i);
        }
    }
    progress.update(events.size());
    BacktestResult r;
    r.events = events.size();
    if (!events.empty()) {
        r.first_ms = events.front().time_ms;
        r.last_ms = events.back().time_ms;
        // Close the windows the last events are in.
        std::int64_t longest = 0;
        for (const auto& m : config.metrics) {
            longest = std::max(longest, m.window_ms);
        }
        evaluator.advance_idle(r.last_ms + longest + config.pipeline.allowed_lateness_ms);
    }
    for (std::size_t m = 0; m < config.metrics.size(); ++m) {
        r.late_events += evaluator.aggregator().stats(m).late;
    }
    r.incidents = std::move(incidents);
    score_detectors(sink.traces, r.incidents, r);
    for (std::size_t m = 0; m < config.metrics.size(); ++m) {
        const auto& name = config.metrics[m].name;
        bool judged = false;
        for (const auto& d : config.metrics[m].detectors) {
            auto it = r.detectors.find(name + "/" + d.name);
            judged |= it != r.detectors.end() && it->second.series > 0;
        }
        if (!judged) {
            r.unjudged.emplace_back(name, evaluator.aggregator().stats(m).added);
        }
    }
    return r;
}

namespace {

// A value as the chart's axis and the alert list read it: a percentage for ratios.
std::string axis_value(double v, bool ratio) {
    char buf[32];
    if (ratio) {
        std::snprintf(buf, sizeof buf, "%.3g%%", v * 100);
    } else {
        std::snprintf(buf, sizeof buf, "%.4g", v);
    }
    return buf;
}

std::string minutes_text(std::int64_t ms) {
    const std::int64_t m = ms / 60'000;
    return m < 60 ? std::to_string(m) + " min"
                  : std::to_string(m / 60) + " h " + std::to_string(m % 60) + " min";
}

// One chart: time along x (dates and times, UTC), the value along y in its unit; the detector's
// band, its expected value (dashed), a threshold's limit (red, dashed), the values; the labelled
// incidents about the series shaded blue behind them and its alert spans red. Plain SVG.
std::string chart(const SeriesTrace& t, const std::vector<Incident>& incidents) {
    constexpr double kW = 960, kH = 240, kLeft = 70, kRight = 10, kTop = 10, kBottom = 36;
    const double t0 = static_cast<double>(t.times.front());
    const double t1 = std::max(static_cast<double>(t.times.back()), t0 + 1);
    const bool limit = t.detector_type == "threshold";
    double lo = t.ratio ? 0 : std::numeric_limits<double>::infinity();
    double hi = -std::numeric_limits<double>::infinity();
    for (std::size_t i = 0; i < t.times.size(); ++i) {
        for (double v : {t.values[i], t.lower[i], t.upper[i], t.expected[i]}) {
            if (std::isfinite(v)) {
                lo = std::min(lo, v);
                hi = std::max(hi, v);
            }
        }
    }
    if (!(hi > lo)) {
        hi = lo + (lo == 0 ? 1 : std::abs(lo) * 0.1);
    }
    auto x = [&](double ms) {
        return kLeft + (std::clamp(ms, t0, t1) - t0) / (t1 - t0) * (kW - kLeft - kRight);
    };
    auto y = [&](double v) { return kH - kBottom - (v - lo) / (hi - lo) * (kH - kTop - kBottom); };
    char buf[160];
    std::string svg = "<svg class=\"chart\" viewBox=\"0 0 960 240\" width=\"960\" height=\"240\" "
                      "role=\"img\">";
    auto shade = [&](const char* cls, std::int64_t a, std::int64_t b, const std::string& extra) {
        std::snprintf(buf, sizeof buf, "<rect class=\"%s\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"", cls,
                      x(static_cast<double>(a)), kTop,
                      std::max(2.0, x(static_cast<double>(b)) - x(static_cast<double>(a))),
                      kH - kTop - kBottom);
        svg += buf;
        svg += " data-start=\"" + core::format_rfc3339_ms(a) + "\" data-end=\"" +
               core::format_rfc3339_ms(b) + "\"" + extra + "/>";
    };
    for (std::size_t i : t.incidents) {
        if (incidents[i].end >= t.times.front() && incidents[i].start <= t.times.back()) {
            shade("incident", incidents[i].start, incidents[i].end, "");
        }
    }
    for (const auto& a : t.spans) {
        shade("alert-span", a.start, a.end,
              a.true_positive ? (*a.true_positive ? " data-verdict=\"true\"" : " data-verdict=\"false\"")
                              : "");
    }
    // The band as one polygon: along the upper edge, back along the lower (detectors with one).
    std::string upper;
    std::string lower;
    for (std::size_t i = 0; i < t.times.size() && !limit; ++i) {
        if (std::isfinite(t.lower[i]) && std::isfinite(t.upper[i])) {
            std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(static_cast<double>(t.times[i])),
                          y(t.upper[i]));
            upper += buf;
            std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(static_cast<double>(t.times[i])),
                          y(t.lower[i]));
            lower = buf + lower;
        }
    }
    if (!upper.empty()) {
        svg += "<polygon class=\"band\" points=\"" + upper + lower + "\"/>";
    }
    auto line = [&](const std::vector<double>& v, const char* cls) {
        std::string pts;
        for (std::size_t i = 0; i < t.times.size(); ++i) {
            if (std::isfinite(v[i])) {
                std::snprintf(buf, sizeof buf, "%.1f,%.1f ", x(static_cast<double>(t.times[i])),
                              y(v[i]));
                pts += buf;
            }
        }
        if (!pts.empty()) {
            svg += std::string("<polyline class=\"") + cls + "\" points=\"" + pts + "\"/>";
        }
    };
    if (limit) {
        line(t.upper, "limit");
        line(t.lower, "limit");
    } else {
        line(t.expected, "expected");
    }
    line(t.values, "value");
    // Axes: the value's range in its unit, and five times across, dated.
    std::snprintf(buf, sizeof buf,
                  "<g class=\"axis\"><line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>"
                  "<line x1=\"%.0f\" y1=\"%.0f\" x2=\"%.0f\" y2=\"%.0f\"/>",
                  kLeft, kTop, kLeft, kH - kBottom, kLeft, kH - kBottom, kW - kRight, kH - kBottom);
    svg += buf;
    for (double v : {lo, (lo + hi) / 2, hi}) {
        std::snprintf(buf, sizeof buf, "<text class=\"y-tick\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">",
                      kLeft - 6, y(v) + 4);
        svg += buf + html_escape(axis_value(v, t.ratio)) + "</text>";
    }
    for (int k = 0; k <= 4; ++k) {
        const double ms = t0 + (t1 - t0) * k / 4;
        const std::string when = core::format_rfc3339_ms(static_cast<std::int64_t>(ms));
        std::snprintf(buf, sizeof buf, "<text class=\"x-tick\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"%s\">",
                      x(ms), kH - kBottom + 16, k == 0 ? "start" : k == 4 ? "end" : "middle");
        svg += buf + when.substr(5, 5) + " " + when.substr(11, 5) + "</text>";
    }
    std::snprintf(buf, sizeof buf, "<text class=\"x-unit\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">UTC</text></g>",
                  kW - kRight, kH - 4);
    svg += buf;
    svg += "</svg>";
    return svg;
}

std::string percent(const std::optional<double>& v) {
    if (!v) {
        return "n/a";
    }
    char buf[16];
    std::snprintf(buf, sizeof buf, "%.0f%%", *v * 100);
    return buf;
}

}  // namespace

std::string render_backtest_html(const BacktestResult& r, const std::string& title) {
    std::string h = R"(<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>)" +
                    html_escape(title) + R"(</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222;max-width:1000px}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 10px;text-align:right}
th:first-child,td:first-child{text-align:left}
.chart{border:1px solid #ddd;background:#fff}.band{fill:#cfe3f7}.expected{fill:none;stroke:#5b8bd0;stroke-dasharray:4 3}
.limit{fill:none;stroke:#c0392b;stroke-dasharray:6 3}.value{fill:none;stroke:#222;stroke-width:1.2}
.alert-span{fill:#e8484833}.incident{fill:#2980b933}.axis line{stroke:#888}.axis text{font-size:11px;fill:#555}
.legend span{margin-right:1.5em}.muted{color:#777}.true{color:#1e7d32}.false{color:#c0392b}
</style></head><body>
<h1>)" + html_escape(title) + "</h1>\n";
    h += "<p>" + std::to_string(r.events) + " events from " + core::format_rfc3339_ms(r.first_ms) +
         " to " + core::format_rfc3339_ms(r.last_ms) + "; " + std::to_string(r.late_events) +
         " late; " + std::to_string(r.alerting.size()) + " alerting series" +
         (!r.incidents.empty() ? "; " + std::to_string(r.incidents.size()) +
                                     " labelled incidents, " + std::to_string(r.found) +
                                     " found by some detector"
                               : "") +
         ".</p>\n";
    h += "<h2>Per detector</h2>\n<table class=\"detectors\"><tr><th>metric / detector</th><th>series judged</th>"
         "<th>alerting series</th><th>alerts</th><th>precision</th><th>recall</th>"
         "<th>median delay</th></tr>\n";
    for (const auto& [key, s] : r.detectors) {
        h += "<tr><td>" + html_escape(key) + "</td><td>" + std::to_string(s.series) + "</td><td>" +
             std::to_string(s.alerting_series) + "</td><td>" + std::to_string(s.alerts) +
             "</td><td>" + percent(s.precision) + "</td><td>" + percent(s.recall) + "</td><td>" +
             (s.median_delay_ms ? minutes_text(*s.median_delay_ms) : "n/a") + "</td></tr>\n";
    }
    h += "</table>\n";
    if (r.incidents.empty()) {
        h += "<p class=\"muted\">Precision, recall and delays need a labels file (--labels): "
             "incidents are matched to series by their labels, whatever the metric.</p>\n";
    } else {
        h += "<p class=\"muted\">An incident is about a series when they share a label and "
             "disagree on none; recall counts the incidents about series the detector judged; "
             "delay runs from an incident's start to its first alert.</p>\n";
    }
    if (!r.unjudged.empty()) {
        h += "<h2>Metrics that judged nothing</h2>\n<ul class=\"unjudged\">";
        for (const auto& [name, events] : r.unjudged) {
            h += "<li>" + html_escape(name) + ": " + std::to_string(events) +
                 (events == 0 ? " events matched its filter (check its kind and labels)"
                              : " events counted, too few windows for its detectors to judge") +
                 "</li>";
        }
        h += "</ul>\n";
    }
    h += "<h2>Alerting series</h2>\n<p class=\"legend\"><span>— values</span><span>- - expected"
         "</span><span style=\"color:#c0392b\">- - limit</span><span style=\"background:#cfe3f7\">band</span>"
         "<span style=\"background:#e8484833\">alert</span><span style=\"background:#2980b933\">"
         "known incident</span></p>\n";
    for (const auto& t : r.alerting) {
        const std::string name = t.metric + " / " + t.detector + " / " + series_text(t.labels);
        h += "<section class=\"series\" data-series=\"" + html_escape(name) + "\">\n<h3>" +
             html_escape(name) + (t.ratio ? " (%)" : "") + "</h3>\n" + chart(t, r.incidents) + "\n<ul>";
        for (const auto& a : t.spans) {
            std::string verdict;
            if (a.true_positive) {
                verdict = *a.true_positive
                              ? " · <span class=\"true\">true: a known incident, found after " +
                                    minutes_text(*a.delay_ms) + "</span>"
                              : " · <span class=\"false\">false: no known incident</span>";
            }
            h += "<li>alert " + core::format_rfc3339_ms(a.start) + " to " +
                 core::format_rfc3339_ms(a.end) + verdict + "</li>";
        }
        h += "</ul>\n</section>\n";
    }
    h += "</body></html>\n";
    return h;
}

}  // namespace terrain::monitor
