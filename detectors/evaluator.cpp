#include "detectors/evaluator.h"

#include <nlohmann/json.hpp>

#include "core/log.h"

namespace terrain::detectors {

namespace {

std::string snapshot_key(const std::string& metric, const std::string& series_key) {
    return metric + '\x1f' + series_key;
}

}  // namespace

Evaluator::Evaluator(const std::vector<core::MetricConfig>& metrics,
                     std::int64_t allowed_lateness_ms, const Registry& registry,
                     EvaluationSink& sink)
    : aggregator_(metrics, allowed_lateness_ms), sink_(sink) {
    for (const auto& m : aggregator_.metrics()) {
        auto& list = bindings_.emplace_back();
        for (const auto& d : m.detectors) {
            list.push_back({d, registry.make(d)});
        }
    }
}

void Evaluator::add(const core::Event& event) {
    aggregator_.add(event);
    if (aggregator_.window_due()) {
        close_due();
    }
    park_dropped();
}

void Evaluator::advance_idle(std::int64_t event_time_ms) {
    aggregator_.advance_idle(event_time_ms);
    if (aggregator_.window_due()) {
        close_due();
    }
}

void Evaluator::close_due() {
    aggregator_.close_windows(
        [this](const core::Point& p) { on_point(p); },
        [this](const core::MetricConfig& m, const std::string&, const core::Labels& labels,
               core::SeriesAttachment* kept) {
            sink_.on_series_idle(m, labels, static_cast<SeriesEvaluation*>(kept));
        });
    park_dropped();
}

void Evaluator::park_dropped() {
    if (!aggregator_.dropped_any()) {
        return;  // the common case, after every event: nothing to park, no budget to check
    }
    for (auto& d : aggregator_.take_dropped()) {
        const auto* series = static_cast<const SeriesEvaluation*>(d.attachment.get());
        if (series->fed_until_ms == std::numeric_limits<std::int64_t>::min()) {
            continue;  // never judged: nothing learned
        }
        const auto& metric = aggregator_.metrics()[d.metric];
        park(snapshot_key(metric.name, d.key), snapshot_of(metric, d.key, *series));
    }
    trim_parked();
}

namespace {

std::size_t footprint(const std::string& key, const core::Store::Snapshot& s) {
    constexpr std::size_t kNodeOverhead = 96;  // hash node, two std::string headers, pointers
    return kNodeOverhead + sizeof(s) + 2 * key.size() + s.state.size();
}

}  // namespace

void Evaluator::park(std::string key, core::Store::Snapshot snapshot) {
    auto it = restored_.find(key);
    if (it != restored_.end()) {
        unpark(it);
    }
    parked_bytes_ += footprint(key, snapshot);
    restored_.emplace(std::move(key), std::move(snapshot));
}

void Evaluator::unpark(std::unordered_map<std::string, core::Store::Snapshot>::iterator it) {
    parked_bytes_ -= std::min(parked_bytes_, footprint(it->first, it->second));
    restored_.erase(it);
}

void Evaluator::set_parking(core::Store* store, std::size_t budget_bytes) {
    pager_ = store;
    parked_budget_ = budget_bytes;
    paged_any_ = store != nullptr && store->paged_count() > 0;
    trim_parked();
}

void Evaluator::trim_parked() {
    if (parked_bytes_ <= parked_budget_) {
        return;
    }
    // The longest unseen go, down to 99% of the budget so that trimming is not per series.
    std::vector<std::pair<std::int64_t, std::string>> by_age;
    by_age.reserve(restored_.size());
    for (const auto& [key, s] : restored_) {
        by_age.emplace_back(s.fed_until_ms, key);
    }
    std::sort(by_age.begin(), by_age.end());
    const std::size_t target = parked_budget_ / 100 * 99;
    std::vector<core::Store::Snapshot> out;
    for (const auto& [at, key] : by_age) {
        if (parked_bytes_ <= target) {
            break;
        }
        auto it = restored_.find(key);
        if (pager_ != nullptr) {
            out.push_back(it->second);
        }
        unpark(it);
    }
    if (!out.empty()) {
        pager_->page_out(out);
        paged_any_ = true;
        paged_out_ += out.size();
    }
}

core::Store::Snapshot Evaluator::snapshot_of(const core::MetricConfig& m, const std::string& key,
                                             const SeriesEvaluation& series) const {
    const auto& bindings = bindings_[static_cast<std::size_t>(&m - aggregator_.metrics().data())];
    nlohmann::json state = nlohmann::json::object();
    for (std::size_t i = 0; i < bindings.size(); ++i) {
        state[bindings[i].config.name] = {{"type", bindings[i].config.type},
                                          {"params", bindings[i].config.params.dump()},
                                          {"state", series.detectors[i]->save()}};
    }
    return {m.name, key, series.fed_until_ms, state.dump()};
}

void Evaluator::judge(core::Point point, std::unique_ptr<core::SeriesAttachment>& slot) {
    point.attachment = &slot;
    on_point(point);
}

void Evaluator::on_point(const core::Point& p) {
    auto& slot = *p.attachment;
    const auto& bindings = bindings_[p.metric_index];
    if (!slot) {
        auto made = std::make_unique<SeriesEvaluation>();
        for (const auto& b : bindings) {
            made->detectors.push_back(b.factory->create(*p.metric));
        }
        if (p.series_key != nullptr) {
            restore(*made, *p.metric, *p.series_key);
        }
        auto* series = made.get();
        slot = std::move(made);
        sink_.on_series(p, *series);
    }
    auto& series = static_cast<SeriesEvaluation&>(*slot);
    sink_.on_window(p, series);
    if (p.window_end_ms <= series.fed_until_ms) {
        return;  // replayed: the restored state has seen this window
    }
    series.fed_until_ms = p.window_end_ms;
    for (std::size_t i = 0; i < series.detectors.size(); ++i) {
        Verdict v = series.detectors[i]->observe(p);
        if (v.evaluated) {
            v.observed = p.value;
            v.numerator = p.numerator;
            v.denominator = p.denominator;
            v.claim = p.claim;
            sink_.on_verdict(p, series, i, v);
        }
    }
}

void Evaluator::restore(SeriesEvaluation& series, const core::MetricConfig& metric,
                        const std::string& series_key) {
    auto it = restored_.find(snapshot_key(metric.name, series_key));
    if (it == restored_.end()) {
        if (pager_ == nullptr || !paged_any_) {
            return;
        }
        auto paged = pager_->paged(metric.name, series_key);
        if (!paged) {
            return;
        }
        ++paged_in_;
        it = restored_.emplace(snapshot_key(metric.name, series_key), std::move(*paged)).first;
        parked_bytes_ += footprint(it->first, it->second);
    }
    const auto& bindings = bindings_[static_cast<std::size_t>(&metric - aggregator_.metrics().data())];
    try {
        const auto state = nlohmann::json::parse(it->second.state);
        for (std::size_t i = 0; i < bindings.size(); ++i) {
            auto s = state.find(bindings[i].config.name);
            if (s == state.end() || s->value("type", "") != bindings[i].config.type) {
                continue;  // a detector added or changed since the snapshot starts fresh
            }
            if (auto p = s->find("params");
                p != s->end() && p->get<std::string>() != bindings[i].config.params.dump()) {
                // Its parameters changed (a reload, a restart with another file): fresh.
                if (changed_.insert(metric.name + "/" + bindings[i].config.name).second) {
                    core::log_info("pipeline: " + metric.name + "/" + bindings[i].config.name +
                                   ": its parameters changed; it starts fresh (series by series, "
                                   "as each is next seen)");
                }
                continue;
            }
            try {
                series.detectors[i]->restore(s->at("state"));
            } catch (const std::exception& e) {
                series.detectors[i] = bindings[i].factory->create(metric);
                core::log_warn("pipeline: " + metric.name + "/" + bindings[i].config.name +
                               ": snapshot not usable (" + e.what() + "), starting fresh");
            }
        }
        series.fed_until_ms = it->second.fed_until_ms;
    } catch (const std::exception& e) {
        core::log_warn("pipeline: " + metric.name + ": unreadable snapshot: " + e.what());
    }
    unpark(it);
}

std::vector<core::Store::Snapshot> Evaluator::snapshots() const {
    std::vector<core::Store::Snapshot> rows;
    aggregator_.for_each_series([&](const core::MetricConfig& m, const std::string& key,
                                    const core::SeriesAttachment* attachment) {
        const auto* series = static_cast<const SeriesEvaluation*>(attachment);
        if (series == nullptr ||
            series->fed_until_ms == std::numeric_limits<std::int64_t>::min()) {
            return;
        }
        rows.push_back(snapshot_of(m, key, *series));
    });
    for (const auto& [key, snapshot] : restored_) {
        rows.push_back(snapshot);
    }
    return rows;
}

void Evaluator::restore_snapshots(std::vector<core::Store::Snapshot> snapshots) {
    for (auto& s : snapshots) {
        auto key = snapshot_key(s.metric, s.series_key);
        park(std::move(key), std::move(s));
    }
    trim_parked();
}

}  // namespace terrain::detectors
