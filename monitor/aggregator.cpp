#include "monitor/aggregator.h"

#include <algorithm>
#include <cmath>

namespace terrain::monitor {

namespace {

std::int64_t floor_to(std::int64_t t, std::int64_t step) {
    std::int64_t q = t / step;
    if (t % step < 0) {
        --q;
    }
    return q * step;
}

}  // namespace

Aggregator::Aggregator(std::vector<MetricConfig> metrics, std::int64_t allowed_lateness_ms)
    : metrics_(std::move(metrics)), state_(metrics_.size()), lateness_(allowed_lateness_ms) {
    auto index = [this](std::size_t m, Role role, const Filter& f) {
        Target t{m, role, &f};
        if (f.kinds.empty()) {
            any_kind_.push_back(t);
        } else {
            for (const auto& k : f.kinds) {
                by_kind_[k].push_back(t);
            }
        }
    };
    for (std::size_t m = 0; m < metrics_.size(); ++m) {
        const auto& cfg = metrics_[m];
        if (cfg.aggregation == Aggregation::kRatio) {
            index(m, Role::kNumerator, cfg.numerator);
            index(m, Role::kDenominator, cfg.denominator);
            if (cfg.pair && cfg.pair->claim_is_ratio) {
                index(m, Role::kClaim, cfg.pair->claim);
            }
        } else {
            index(m, Role::kValue, cfg.filter);
        }
    }
}

bool Aggregator::add(const Event& event) {
    if (event.time_ms > max_event_time_) {
        max_event_time_ = event.time_ms;
    }
    bool on_time = true;
    if (auto it = by_kind_.find(event.kind); it != by_kind_.end()) {
        for (const auto& t : it->second) {
            // The kind already matched through the index; check side and labels only.
            if (t.filter->matches_except_kind(event)) {
                on_time &= add_to(t.metric, t.role, event);
            }
        }
    }
    for (const auto& t : any_kind_) {
        if (t.filter->matches(event)) {
            on_time &= add_to(t.metric, t.role, event);
        }
    }
    return on_time;
}

bool Aggregator::add_to(std::size_t metric_index, Role role, const Event& event) {
    const auto& cfg = metrics_[metric_index];
    auto& st = state_[metric_index];
    const std::int64_t start = floor_to(event.time_ms, cfg.window_ms);
    if (st.closed_until == std::numeric_limits<std::int64_t>::min()) {
        // The first event opens the metric; allow for earlier events within the lateness.
        st.closed_until = floor_to(event.time_ms - lateness_, cfg.window_ms);
        next_close_ = std::min(next_close_, st.closed_until + cfg.window_ms);
    }
    if (start < st.closed_until) {
        ++st.stats.late;
        return false;
    }
    key_scratch_.clear();
    for (const auto& label : cfg.group_by) {
        const std::string* v = find_label(event.labels, label);
        key_scratch_.append(v != nullptr ? *v : std::string_view("none"));
        key_scratch_.push_back('\x1f');
    }
    auto it = st.series.find(key_scratch_);
    if (it == st.series.end()) {
        if (st.series.size() >= cfg.max_series) {
            ++st.stats.refused;
            return true;
        }
        Series s;
        for (const auto& label : cfg.group_by) {
            const std::string* v = find_label(event.labels, label);
            s.labels.emplace_back(label, v != nullptr ? *v : "none");
        }
        s.ring.assign(static_cast<std::size_t>(cfg.span_ms / cfg.window_ms), Sums{});
        s.last_data_ms = start;
        it = st.series.emplace(key_scratch_, std::move(s)).first;
    }
    Series& s = it->second;
    Bucket* bucket = nullptr;
    for (auto& b : s.open) {
        if (b.start == start) {
            bucket = &b;
            break;
        }
    }
    if (bucket == nullptr) {
        s.open.push_back(Bucket{start, {}});
        bucket = &s.open.back();
    }
    ++st.stats.added;
    switch (role) {
        case Role::kValue:
            bucket->sums.num += cfg.aggregation == Aggregation::kSum ? event.value : 1.0;
            break;
        case Role::kNumerator:
            bucket->sums.num += 1.0;
            break;
        case Role::kDenominator:
            bucket->sums.den += 1.0;
            break;
        case Role::kClaim:
            bucket->sums.claim += 1.0;
            break;
    }
    return true;
}

std::int64_t Aggregator::watermark_ms() const {
    if (max_event_time_ == std::numeric_limits<std::int64_t>::min()) {
        return max_event_time_;
    }
    return max_event_time_ - lateness_;
}

void Aggregator::advance_idle(std::int64_t event_time_ms) {
    if (max_event_time_ != std::numeric_limits<std::int64_t>::min() &&
        event_time_ms > max_event_time_) {
        max_event_time_ = event_time_ms;
    }
}

void Aggregator::close_windows(const PointSink& on_point, const EvictSink& on_evict) {
    next_close_ = std::numeric_limits<std::int64_t>::max();
    for (std::size_t m = 0; m < metrics_.size(); ++m) {
        close_one(m, on_point, on_evict);
        if (state_[m].closed_until != std::numeric_limits<std::int64_t>::min()) {
            next_close_ = std::min(next_close_, state_[m].closed_until + metrics_[m].window_ms);
        }
    }
}

void Aggregator::close_one(std::size_t metric_index, const PointSink& on_point,
                           const EvictSink& on_evict) {
    const auto& cfg = metrics_[metric_index];
    auto& st = state_[metric_index];
    const std::int64_t wm = watermark_ms();
    if (st.closed_until == std::numeric_limits<std::int64_t>::min()) {
        return;
    }
    while (st.closed_until + cfg.window_ms <= wm) {
        if (st.series.empty()) {
            // Nothing to emit: jump straight to the watermark.
            st.closed_until = std::max(st.closed_until, floor_to(wm, cfg.window_ms));
            return;
        }
        // Skip windows in which no series has anything to say: series emit points from their
        // first window with data until they go idle, so a gap in the data costs nothing.
        std::int64_t next_needed = std::numeric_limits<std::int64_t>::max();
        for (const auto& [key, s] : st.series) {
            if (s.active) {
                next_needed = st.closed_until;
                break;
            }
            for (const auto& b : s.open) {
                next_needed = std::min(next_needed, b.start);
            }
        }
        if (next_needed > st.closed_until) {
            st.closed_until = std::min(next_needed, floor_to(wm, cfg.window_ms));
            continue;
        }
        const std::int64_t start = st.closed_until;
        const std::int64_t end = start + cfg.window_ms;
        for (auto it = st.series.begin(); it != st.series.end();) {
            Series& s = it->second;
            if (!s.active) {
                bool starts_now = false;
                for (const auto& b : s.open) {
                    starts_now |= b.start == start;
                }
                if (!starts_now) {
                    ++it;
                    continue;
                }
                s.active = true;
            }
            Sums now;
            for (std::size_t i = 0; i < s.open.size(); ++i) {
                if (s.open[i].start == start) {
                    now = s.open[i].sums;
                    s.open[i] = s.open.back();
                    s.open.pop_back();
                    break;
                }
            }
            auto& slot = s.ring[s.ring_pos];
            s.sum.num += now.num - slot.num;
            s.sum.den += now.den - slot.den;
            s.sum.claim += now.claim - slot.claim;
            slot = now;
            s.ring_pos = (s.ring_pos + 1) % s.ring.size();
            // Guard against drift from repeated floating-point subtraction.
            if (s.ring_pos == 0) {
                s.sum = Sums{};
                for (const auto& r : s.ring) {
                    s.sum.num += r.num;
                    s.sum.den += r.den;
                    s.sum.claim += r.claim;
                }
            }
            if (now.num != 0 || now.den != 0 || now.claim != 0) {
                s.last_data_ms = end;
            }
            if (s.last_data_ms + cfg.idle_after_ms <= start) {
                on_evict(cfg, it->first, s.labels);
                if (s.open.empty()) {
                    it = st.series.erase(it);
                } else {
                    // Data further ahead (a gap in a replay): pause until it comes.
                    s.active = false;
                    std::fill(s.ring.begin(), s.ring.end(), Sums{});
                    s.sum = Sums{};
                    s.last_data_ms = s.open.front().start;
                    ++it;
                }
                continue;
            }
            Point p;
            p.metric_index = metric_index;
            p.metric = &cfg;
            p.series_key = &it->first;
            p.labels = &s.labels;
            p.window_start_ms = start;
            p.window_end_ms = end;
            if (cfg.aggregation == Aggregation::kRatio) {
                p.numerator = s.sum.num;
                p.denominator = s.sum.den;
                p.value = s.sum.den > 0 ? s.sum.num / s.sum.den : std::nan("");
                if (cfg.pair) {
                    // What the MAP claims: its own ratio over the same exposure, or the
                    // exposure itself.
                    p.claim = !cfg.pair->claim_is_ratio ? s.sum.den
                              : s.sum.den > 0           ? s.sum.claim / s.sum.den
                                                        : std::nan("");
                }
            } else {
                p.value = s.sum.num;
                p.numerator = s.sum.num;
            }
            p.attachment = &s.attachment;
            on_point(p);
            ++it;
        }
        st.closed_until = end;
    }
}

void Aggregator::for_each_series(
    const std::function<void(const MetricConfig&, const std::string&, const SeriesAttachment*)>&
        visit) const {
    for (std::size_t m = 0; m < state_.size(); ++m) {
        for (const auto& [key, series] : state_[m].series) {
            visit(metrics_[m], key, series.attachment.get());
        }
    }
}

std::size_t Aggregator::series_count(std::size_t metric_index) const {
    return state_[metric_index].series.size();
}

const AggregatorStats& Aggregator::stats(std::size_t metric_index) const {
    return state_[metric_index].stats;
}

}  // namespace terrain::monitor
