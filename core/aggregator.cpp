#include "core/aggregator.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "core/binary.h"
#include "core/duration.h"

namespace terrain::core {

namespace {

// What a metric's windows depend on; a checkpoint is restored only into the same definition.
std::string definition(const MetricConfig& m) {
    std::string out;
    auto filter = [&](const char* role, const Filter& f) {
        out += role;
        for (const auto& k : f.kinds) {
            out += k + ',';
        }
        out += f.side ? std::to_string(static_cast<int>(*f.side)) : "-";
        for (const auto& [k, v] : f.labels) {
            out += k + '=' + v + ',';
        }
        out += ';';
    };
    out += std::to_string(static_cast<int>(m.aggregation)) + ';' + std::to_string(m.window_ms) +
           ';' + std::to_string(m.span_ms) + ';';
    if (m.by_send) {
        out += "send:" + std::to_string(m.horizon_ms) + ';';
    }
    for (const auto& g : m.group_by) {
        out += g + ',';
    }
    filter("f", m.filter);
    filter("n", m.numerator);
    filter("d", m.denominator);
    if (m.pair) {
        filter(m.pair->claim_is_ratio ? "cr" : "c", m.pair->claim);
    }
    return out;
}

constexpr std::uint8_t kCheckpointVersion = 4;  // 2: sends (cohorts, arrivals, send index); 3: arrivals by provider; 4: when each curve began learning
constexpr std::size_t kMinSeriesBytes = 4 + 4 + 4 + 4 + 8 + 24 + 8 + 1 + 4;

}  // namespace

Aggregator::Aggregator(std::vector<MetricConfig> metrics, std::int64_t allowed_lateness_ms)
    : metrics_(std::move(metrics)), state_(metrics_.size()), lateness_(allowed_lateness_ms),
      sends_(0, 2'000'000) {
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
    std::int64_t horizon = 0;
    for (std::size_t m = 0; m < metrics_.size(); ++m) {
        const auto& cfg = metrics_[m];
        if (cfg.by_send) {
            by_send_ = true;
            horizon = std::max(horizon, cfg.horizon_ms);
        }
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
    sends_.set_horizon(horizon);
}

bool Aggregator::add(const Event& in) {
    if (in.time_ms > max_event_time_) {
        max_event_time_ = in.time_ms;
    }
    // A signal of a send seen before learns when its mail was sent, and the campaign and
    // provider of its send where it names none (a copy is made only then).
    std::int64_t sent_ms = 0;
    std::optional<Event> filled;
    if (by_send_) {
        if (auto send = sends_.observe(in)) {
            sent_ms = send->sent_ms;
            for (auto [key, value] : {std::pair{"campaign", send->campaign},
                                      std::pair{"provider", send->provider}}) {
                const std::string* have = find_label(in.labels, key);
                if (!value.empty() && (have == nullptr || *have == "none")) {
                    if (!filled) {
                        filled = in;
                    }
                    set_label(filled->labels, key, std::string(value));
                }
            }
        }
    }
    const Event& event = filled ? *filled : in;
    if (event.side == Side::kCustomer && !event.id.empty()) {
        auto& ring = signals_[event.kind];
        if (ring.events.size() < kSignalsPerKind) {
            ring.events.push_back(event);
        } else {
            ring.events[ring.next] = event;
            ring.next = (ring.next + 1) % kSignalsPerKind;
        }
    }
    bool on_time = true;
    if (auto it = by_kind_.find(event.kind); it != by_kind_.end()) {
        for (const auto& t : it->second) {
            // The kind already matched through the index; check side and labels only.
            if (t.filter->matches_except_kind(event)) {
                on_time &= add_to(t.metric, t.role, event, sent_ms);
            }
        }
    }
    for (const auto& t : any_kind_) {
        if (t.filter->matches(event)) {
            on_time &= add_to(t.metric, t.role, event, sent_ms);
        }
    }
    return on_time;
}

void Aggregator::open_metric(std::size_t metric_index, std::int64_t event_time_ms) {
    auto& st = state_[metric_index];
    if (st.closed_until == std::numeric_limits<std::int64_t>::min()) {
        // The first event opens the metric; allow for earlier events within the lateness.
        const std::int64_t window = metrics_[metric_index].window_ms;
        st.closed_until = floor_to(std::min(event_time_ms, ceiling_) - lateness_, window);
        next_close_ = std::min(next_close_, st.closed_until + window);
    }
}

Aggregator::Series* Aggregator::series_for(std::size_t metric_index, const Event& event) {
    const auto& cfg = metrics_[metric_index];
    auto& st = state_[metric_index];
    key_scratch_.clear();
    for (const auto& label : cfg.group_by) {
        const std::string* v = find_label(event.labels, label);
        key_scratch_.append(v != nullptr ? *v : std::string_view("none"));
        key_scratch_.push_back('\x1f');
    }
    auto it = st.series.find(key_scratch_);
    if (it == st.series.end()) {
        if (st.series.size() >= cfg.max_series && !make_room(metric_index)) {
            ++st.stats.refused;
            return nullptr;
        }
        Series s;
        for (const auto& label : cfg.group_by) {
            const std::string* v = find_label(event.labels, label);
            s.labels.emplace_back(label, v != nullptr ? *v : "none");
        }
        s.ring.assign(static_cast<std::size_t>(cfg.span_ms / cfg.window_ms), Sums{});
        s.last_data_ms = floor_to(event.time_ms, cfg.window_ms);
        it = st.series.emplace(key_scratch_, std::move(s)).first;
    }
    return &it->second;
}

std::vector<Signal> Aggregator::recent_signals(std::size_t metric_index, const Labels& series,
                                               std::size_t n) const {
    const auto& cfg = metrics_[metric_index];
    const Filter& counted = cfg.aggregation == Aggregation::kRatio ? cfg.numerator : cfg.filter;
    auto in_series = [&](const Event& e) {
        for (const auto& [key, value] : series) {
            const std::string* v = find_label(e.labels, key);
            if ((v != nullptr ? *v : std::string_view("none")) != value) {
                return false;
            }
        }
        return true;
    };
    std::vector<const Event*> found;
    for (const auto& [kind, ring] : signals_) {
        for (const auto& e : ring.events) {
            if (counted.matches(e) && in_series(e)) {
                found.push_back(&e);
            }
        }
    }
    std::sort(found.begin(), found.end(),
              [](const Event* a, const Event* b) { return a->time_ms > b->time_ms; });
    std::vector<Signal> out;
    for (std::size_t i = 0; i < found.size() && i < n; ++i) {
        const std::string* source = find_label(found[i]->labels, "source");
        out.push_back({found[i]->time_ms, source != nullptr ? *source : "", found[i]->kind,
                       found[i]->id});
    }
    return out;
}

bool Aggregator::add_to(std::size_t metric_index, Role role, const Event& event,
                        std::int64_t sent_ms) {
    if (metrics_[metric_index].by_send) {
        return add_to_send(metric_index, role, event, sent_ms);
    }
    const auto& cfg = metrics_[metric_index];
    auto& st = state_[metric_index];
    const std::int64_t start = floor_to(event.time_ms, cfg.window_ms);
    open_metric(metric_index, event.time_ms);
    if (start < st.closed_until) {
        ++st.stats.late;
        return false;
    }
    Series* found = series_for(metric_index, event);
    if (found == nullptr) {
        return true;
    }
    Series& s = *found;
    ++s.events;
    s.last_seen_ms = std::max(s.last_seen_ms, event.time_ms);
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

bool Aggregator::make_room(std::size_t metric_index) {
    // A flood of made-up campaign ids must not lock real series out: a series with history (at
    // least kHistory windows with data) is kept; among the others, those with the fewest events
    // go first, then the least recently seen. A batch of 1% of the cap goes at once, so the scan
    // is paid once per hundred new series, not once per event.
    constexpr std::uint32_t kHistory = 3;
    const auto& cfg = metrics_[metric_index];
    auto& st = state_[metric_index];
    std::vector<std::pair<std::pair<std::uint64_t, std::int64_t>, const std::string*>> candidates;
    for (const auto& [key, s] : st.series) {
        if (s.windows_with_data < kHistory) {
            candidates.push_back({{s.events, s.last_seen_ms}, &key});
        }
    }
    if (candidates.empty()) {
        // Every series has history: the quiet ones (no window emitted lately) make room,
        // least recently seen first.
        for (const auto& [key, s] : st.series) {
            if (!s.active && s.cohorts.empty()) {
                candidates.push_back({{0, s.last_seen_ms}, &key});
            }
        }
    }
    if (candidates.empty()) {
        return false;
    }
    const std::size_t batch = std::min(candidates.size(), std::max<std::size_t>(1, cfg.max_series / 100));
    std::partial_sort(candidates.begin(), candidates.begin() + static_cast<std::ptrdiff_t>(batch),
                      candidates.end());
    std::vector<std::string> victims;
    for (std::size_t i = 0; i < batch; ++i) {
        victims.push_back(*candidates[i].second);
    }
    for (const auto& key : victims) {
        auto it = st.series.find(key);
        if (it->second.attachment) {
            dropped_.push_back({metric_index, key, std::move(it->second.attachment)});
        }
        st.evicted.emplace_back(key, std::move(it->second.labels));
        st.series.erase(it);
        ++st.stats.evicted;
    }
    return true;
}

std::int64_t Aggregator::watermark_ms() const {
    if (max_event_time_ == std::numeric_limits<std::int64_t>::min()) {
        return max_event_time_;
    }
    return std::min(max_event_time_, ceiling_) - lateness_;
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
    for (const auto& [key, labels] : st.evicted) {
        on_evict(cfg, key, labels, nullptr);
    }
    st.evicted.clear();
    const std::int64_t wm = watermark_ms();
    if (st.closed_until == std::numeric_limits<std::int64_t>::min()) {
        return;
    }
    if (cfg.by_send) {
        while (st.closed_until + cfg.window_ms <= wm) {
            if (st.series.empty()) {
                st.closed_until = std::max(st.closed_until, floor_to(wm, cfg.window_ms));
                return;
            }
            close_sends(metric_index, st.closed_until, on_point, on_evict);
            st.closed_until += cfg.window_ms;
        }
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
                ++s.windows_with_data;
            }
            if (s.last_data_ms + cfg.idle_after_ms <= start) {
                // Quiet for idle_after: its alerts may resolve (on_evict), and it stops emitting
                // points (no data is not zero) until data comes again. Going quiet is not
                // forgetting: the series and its detectors' state stay (a campaign that sends
                // once a day keeps what it learned); only make_room drops series, at the cap.
                on_evict(cfg, it->first, s.labels, s.attachment.get());
                s.active = false;
                std::fill(s.ring.begin(), s.ring.end(), Sums{});
                s.sum = Sums{};
                s.last_data_ms = s.open.empty() ? start : s.open.front().start;
                ++it;
                continue;
            }
            Point p = point_of(metric_index, it->first, s, start);
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
            on_point(p);
            ++it;
        }
        st.closed_until = end;
    }
}

Point Aggregator::point_of(std::size_t metric_index, const std::string& key, Series& s,
                           std::int64_t start) const {
    Point p;
    p.metric_index = metric_index;
    p.metric = &metrics_[metric_index];
    p.series_key = &key;
    p.labels = &s.labels;
    p.window_start_ms = start;
    p.window_end_ms = start + metrics_[metric_index].window_ms;
    p.attachment = &s.attachment;
    return p;
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

std::string Aggregator::save() const {
    using namespace binary;
    std::string out;
    out.push_back(static_cast<char>(kCheckpointVersion));
    put_i64(out, max_event_time_);
    put_u32(out, static_cast<std::uint32_t>(metrics_.size()));
    auto put_sums = [&](const Sums& s) {
        put_f64(out, s.num);
        put_f64(out, s.den);
        put_f64(out, s.claim);
    };
    for (std::size_t m = 0; m < metrics_.size(); ++m) {
        const auto& st = state_[m];
        put_str(out, metrics_[m].name);
        put_str(out, definition(metrics_[m]));
        put_i64(out, st.closed_until);
        put_u64(out, st.stats.added);
        put_u64(out, st.stats.late);
        put_u64(out, st.stats.refused);
        put_u32(out, static_cast<std::uint32_t>(st.series.size()));
        for (const auto& [key, s] : st.series) {
            put_str(out, key);
            put_u32(out, static_cast<std::uint32_t>(s.labels.size()));
            for (const auto& [k, v] : s.labels) {
                put_str(out, k);
                put_str(out, v);
            }
            put_u32(out, static_cast<std::uint32_t>(s.open.size()));
            for (const auto& b : s.open) {
                put_i64(out, b.start);
                put_sums(b.sums);
            }
            put_u32(out, static_cast<std::uint32_t>(s.ring.size()));
            for (const auto& r : s.ring) {
                put_sums(r);
            }
            put_u64(out, s.ring_pos);
            put_sums(s.sum);
            put_i64(out, s.last_data_ms);
            out.push_back(s.active ? 1 : 0);
            save_cohorts(out, s.cohorts);
        }
        st.arrivals.save(out);
        put_u32(out, static_cast<std::uint32_t>(st.arrivals_at.size()));
        for (const auto& [provider, curve] : st.arrivals_at) {
            put_str(out, provider);
            curve.save(out);
        }
    }
    sends_.save(out);
    return out;
}

Aggregator::Series Aggregator::read_series(binary::Reader& r) {
    auto fail = [](const std::string& what) {
        throw std::runtime_error("window checkpoint unreadable: " + what);
    };
    auto sums = [&](Sums& x) {
        if (!r.f64(x.num) || !r.f64(x.den) || !r.f64(x.claim)) {
            fail("truncated window sums");
        }
    };
    Series s;
    std::uint32_t n = 0;
    if (!r.count(n, 8)) {
        fail("truncated series");
    }
    s.labels.resize(n);
    for (auto& [lk, lv] : s.labels) {
        if (!r.str(lk) || !r.str(lv)) {
            fail("truncated labels");
        }
    }
    if (!r.count(n, 32)) {
        fail("truncated open windows");
    }
    s.open.resize(n);
    for (auto& b : s.open) {
        if (!r.i64(b.start)) {
            fail("truncated open window");
        }
        sums(b.sums);
    }
    if (!r.count(n, 24)) {
        fail("truncated closed windows");
    }
    s.ring.resize(n);
    for (auto& ring : s.ring) {
        sums(ring);
    }
    std::uint64_t pos = 0;
    std::uint8_t active = 0;
    if (!r.u64(pos)) {
        fail("truncated series");
    }
    sums(s.sum);
    if (!r.i64(s.last_data_ms) || !r.u8(active) || s.ring.empty() || pos >= s.ring.size()) {
        fail("bad series");
    }
    s.ring_pos = static_cast<std::size_t>(pos);
    s.active = active != 0;
    read_cohorts(r, s.cohorts);
    for (const auto& w : s.ring) {
        s.windows_with_data += w.num != 0 || w.den != 0 || w.claim != 0 ? 1 : 0;
    }
    s.last_seen_ms = s.last_data_ms;
    return s;
}

std::vector<std::string> Aggregator::restore(std::string_view data) {
    binary::Reader r(data);
    auto fail = [](const std::string& what) {
        throw std::runtime_error("window checkpoint unreadable: " + what);
    };
    std::uint8_t version = 0;
    std::int64_t max_event_time = 0;
    std::uint32_t metric_count = 0;
    if (!r.u8(version) || version < 3 || version > kCheckpointVersion || !r.i64(max_event_time) ||
        !r.count(metric_count, 4)) {
        fail("unknown format");
    }
    std::unordered_map<std::string, MetricState> saved;
    std::unordered_map<std::string, std::string> definitions;
    for (std::uint32_t i = 0; i < metric_count; ++i) {
        std::string name;
        std::string def;
        MetricState st;
        std::uint32_t series_count = 0;
        if (!r.str(name) || !r.str(def) || !r.i64(st.closed_until) || !r.u64(st.stats.added) ||
            !r.u64(st.stats.late) || !r.u64(st.stats.refused) ||
            !r.count(series_count, kMinSeriesBytes)) {
            fail("truncated metric");
        }
        for (std::uint32_t k = 0; k < series_count; ++k) {
            std::string key;
            if (!r.str(key)) {
                throw std::runtime_error("window checkpoint unreadable: truncated series");
            }
            st.series.emplace(std::move(key), read_series(r));
        }
        try {
            st.arrivals.restore(r, version >= 4);
            std::uint32_t curves = 0;
            if (!r.count(curves, 8 * ArrivalCurve::kSteps.size())) {
                fail("truncated arrival curves");
            }
            for (std::uint32_t k = 0; k < curves; ++k) {
                std::string provider;
                if (!r.str(provider)) {
                    fail("truncated arrival curve");
                }
                st.arrivals_at[provider].restore(r, version >= 4);
            }
        } catch (const std::exception& e) {
            fail(e.what());
        }
        definitions[name] = std::move(def);
        saved[name] = std::move(st);
    }
    SendIndex sends = sends_;
    try {
        sends.restore(r);
    } catch (const std::exception& e) {
        fail(e.what());
    }
    if (!r.done()) {
        fail("trailing bytes");
    }
    sends_ = std::move(sends);
    // Everything read: now take it over.
    std::vector<std::string> fresh;
    max_event_time_ = max_event_time;
    next_close_ = std::numeric_limits<std::int64_t>::max();
    for (std::size_t m = 0; m < metrics_.size(); ++m) {
        auto it = saved.find(metrics_[m].name);
        if (it == saved.end() || definitions[metrics_[m].name] != definition(metrics_[m])) {
            fresh.push_back(metrics_[m].name);
            state_[m] = MetricState{};
            continue;
        }
        state_[m] = std::move(it->second);
        if (state_[m].closed_until != std::numeric_limits<std::int64_t>::min()) {
            next_close_ = std::min(next_close_, state_[m].closed_until + metrics_[m].window_ms);
        }
    }
    return fresh;
}

}  // namespace terrain::core
