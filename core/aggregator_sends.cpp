// Ratios attributed to sends: each series keeps its sends (cohorts) within the metric's horizon
// and reports, at every window close, the one with the strongest evidence of a high rate.
#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "core/aggregator.h"
#include "core/binary.h"
#include "core/duration.h"

namespace terrain::core {

namespace {

// A send is the consecutive windows in which a series sent, cut at an hour: a 40-minute burst
// is one send; a series that sends all day is judged hour by hour.
constexpr std::int64_t kSendLength = 3'600'000;
// sqrt(k) -/+ z/2 with z = 1.645: the 95% lower (upper) bound of a Poisson count, on the
// square-root scale where its spread is about 1/2 whatever the count.
constexpr double kLowerBoundShift = 0.8225;
// A send is judged while its signals are still arriving: until the share of them usually in
// by its age reaches this. Then its verdict is given; a newer send is judged instead.
constexpr double kSettled = 0.8;

}  // namespace

bool Aggregator::add_to_send(std::size_t metric_index, Role role, const Event& event,
                             std::int64_t sent_ms) {
    const auto& cfg = metrics_[metric_index];
    auto& st = state_[metric_index];
    open_metric(metric_index, event.time_ms);
    // The send's time: known from the index, else (the send itself, or a signal that names no
    // message) the event's own.
    const std::int64_t sent = sent_ms != 0 ? sent_ms : event.time_ms;
    if (sent + cfg.horizon_ms <= st.closed_until) {
        ++st.stats.late;  // its send is past judging
        return false;
    }
    if (role == Role::kNumerator && sent_ms == 0 && !event.message.empty()) {
        // A signal of a message whose send terrain never saw (before it started, or forgotten):
        // it belongs to an older send, not to the latest one.
        ++st.stats.unattributed;
        return true;
    }
    Series* s = series_for(metric_index, event);
    if (s == nullptr) {
        return true;
    }
    auto& sends = s->cohorts;
    // The latest send that began by `t`: the one a message sent at `t` belongs to.
    auto send_of = [&sends](std::int64_t t) -> Cohort* {
        for (auto it = sends.rbegin(); it != sends.rend(); ++it) {
            if (it->start <= t) {
                return &*it;
            }
        }
        return nullptr;
    };
    if (role == Role::kClaim) {  // pairs: the MAP's claimed success, counted with its send
        if (Cohort* c = send_of(sent)) {
            c->claim += 1;
        }
    } else if (role == Role::kDenominator) {
        const std::int64_t w = floor_to(sent, cfg.window_ms);
        auto new_send = [&cfg](std::int64_t start) {
            Cohort fresh;
            fresh.start = start;
            fresh.end = start + cfg.window_ms;
            return fresh;
        };
        Cohort* c = nullptr;
        for (auto it = sends.rbegin(); it != sends.rend() && it->end > w - cfg.window_ms; ++it) {
            if (it->start <= sent && sent < it->end) {
                c = &*it;
                break;
            }
        }
        if (c == nullptr) {
            if (!sends.empty() && sends.back().end == w &&
                w + cfg.window_ms - sends.back().start <= kSendLength) {
                sends.back().end = w + cfg.window_ms;
                c = &sends.back();
            } else if (sends.empty() || w >= sends.back().end) {
                c = &sends.emplace_back(new_send(w));
            } else {  // an older send, between two others: a send of its own, in order
                auto at = std::find_if(sends.begin(), sends.end(),
                                       [&](const Cohort& x) { return x.start > w; });
                c = &*sends.insert(at, new_send(w));
            }
        }
        c->sent += 1;
        const auto part = static_cast<std::size_t>((w - c->start) / cfg.window_ms);
        if (c->parts.size() <= part) {
            c->parts.resize(part + 1);
        }
        c->parts[part].sent += 1;
        c->parts[part].sent_at += static_cast<double>(sent - c->start);
    } else {
        // Joined: the send it belongs to; named no message: the series' latest send.
        Cohort* c = sent_ms != 0 ? send_of(sent_ms) : sends.empty() ? nullptr : &sends.back();
        if (c == nullptr) {
            ++st.stats.unattributed;
            return true;
        }
        c->num += 1;
        if (sent_ms != 0) {
            c->joined += 1;
            st.arrivals.learn(event.time_ms - sent_ms, event.time_ms);
            const std::string* provider = find_label(event.labels, "provider");
            auto at = provider == nullptr ? st.arrivals_at.end() : st.arrivals_at.find(*provider);
            if (provider != nullptr && at == st.arrivals_at.end() &&
                st.arrivals_at.size() < kMaxArrivalCurves) {
                at = st.arrivals_at.emplace(*provider, ArrivalCurve{}).first;
            }
            if (at != st.arrivals_at.end()) {
                at->second.learn(event.time_ms - sent_ms, event.time_ms);
            }
        }
    }
    ++s->events;
    s->last_seen_ms = std::max(s->last_seen_ms, event.time_ms);
    ++st.stats.added;
    return true;
}

double Aggregator::arrived(const MetricState& st, const MetricConfig& cfg, const Series& s,
                           std::int64_t youngest_ms, std::int64_t oldest_ms, std::int64_t now_ms) {
    const std::string* provider = find_label(s.labels, "provider");
    const auto at = provider == nullptr ? st.arrivals_at.end() : st.arrivals_at.find(*provider);
    return at == st.arrivals_at.end()
               ? st.arrivals.arrived_over(youngest_ms, oldest_ms, cfg.horizon_ms, now_ms)
               : at->second.arrived_over(youngest_ms, oldest_ms, cfg.horizon_ms, now_ms,
                                         &st.arrivals);
}

double Aggregator::exposure(const MetricState& st, const MetricConfig& cfg, const Series& s,
                            const Cohort& c, std::int64_t end) {
    // The share of its signals usually in, averaged over its mail's ages. The share is far
    // from linear in age (a privacy proxy opens most mail within a minute or two), so it is
    // averaged over each window's mail, taken as spread evenly around the window's mean send
    // time as widely as the window allows; at the mean age alone a young window's share would
    // be too high where the curve is steep (Jensen), and its signals would look missing.
    double in = 0;
    for (std::size_t k = 0; k < c.parts.size(); ++k) {
        const auto& p = c.parts[k];
        if (p.sent <= 0) {
            continue;
        }
        const double window_start = static_cast<double>(cfg.window_ms) * static_cast<double>(k);
        const double mean = p.sent_at / p.sent;
        const double half = std::max(
            0.0, std::min(mean - window_start, window_start + static_cast<double>(cfg.window_ms) - mean));
        const std::int64_t age = end - c.start - static_cast<std::int64_t>(mean);
        const auto spread = static_cast<std::int64_t>(half);
        in += p.sent * Aggregator::arrived(st, cfg, s, age - spread, age + spread, end);
    }
    const double arrived = in / c.sent;
    // Joined signals are set against the share usually arrived at its age; those of the
    // fallback, of unknown age, against all it sent (a trailing window's semantics).
    return c.num > 0 ? c.sent * (c.joined * arrived + (c.num - c.joined)) / c.num
                     : c.sent * arrived;
}

void Aggregator::close_sends(std::size_t metric_index, std::int64_t start,
                             const PointSink& on_point, const EvictSink& on_evict) {
    const auto& cfg = metrics_[metric_index];
    auto& st = state_[metric_index];
    const std::int64_t end = start + cfg.window_ms;
    // A send's counts are as of the latest event time counted, not of the window's end: the
    // window closes only once the watermark passes it (its end plus the allowed lateness, or
    // later when event time jumped), and every signal and send up to then is in. Judged at the
    // window's end, a send's fast signals (a privacy proxy's opens) would be set against too
    // little exposure and its slow ones against too much.
    const std::int64_t as_of = std::max(end, std::min(max_event_time_, ceiling_));
    // Each send's exposure, worked out once per window: for its own series' choice of send, and
    // again however many series of the same send compare with it.
    std::unordered_map<const Cohort*, double> exposures;
    auto exposure_of = [&](const Series& series, const Cohort& c) {
        auto [at, fresh] = exposures.try_emplace(&c, 0.0);
        if (fresh) {
            at->second = exposure(st, cfg, series, c, as_of);
        }
        return at->second;
    };
    // The send with the strongest evidence of the way customers are worse off: the highest
    // rate at its lower bound, or for a pair that is worse below (opens), the lowest at its
    // upper bound.
    const bool below = cfg.pair && cfg.pair->worse_below;
    struct Judged {
        const std::string* key;
        Series* series;
        const Cohort* send;
        double exposure;
    };
    std::vector<Judged> judged;
    for (auto it = st.series.begin(); it != st.series.end();) {
        Series& s = it->second;
        // A send is judged for its whole horizon, then let go.
        while (!s.cohorts.empty() && s.cohorts.front().end + cfg.horizon_ms <= start) {
            s.cohorts.pop_front();
        }
        const Cohort* best = nullptr;
        double best_bound = -std::numeric_limits<double>::infinity();
        double best_exposure = 0;
        for (const auto& c : s.cohorts) {
            if (c.sent <= 0 || c.start >= end) {
                continue;
            }
            // Settled: most of its last mail's signals are usually in; or it is superseded and
            // only the fallback fed it (signals without a message id go to the latest send).
            const bool settled = arrived(st, cfg, s, as_of - c.end, as_of - c.end, as_of) >= kSettled;
            if (settled || (&c != &s.cohorts.back() && c.joined == 0)) {
                continue;
            }
            const double exposure = exposure_of(s, c);
            const double root = below ? std::sqrt(c.num) + kLowerBoundShift
                                      : std::max(0.0, std::sqrt(c.num) - kLowerBoundShift);
            const double bound = (below ? -1 : 1) * root * root / exposure;
            if (bound >= best_bound) {  // on a tie, the younger send
                best = &c;
                best_bound = bound;
                best_exposure = exposure;
            }
        }
        if (best == nullptr) {
            // No send to judge (none, or all settled): no data, which is not zero. The series
            // keeps what its detectors learned until it has been quiet for idle_after.
            if (s.cohorts.empty() && s.last_seen_ms + cfg.idle_after_ms <= start) {
                // Its memory goes; what its detectors learned is parked (take_dropped) and
                // comes back with its next send.
                on_evict(cfg, it->first, s.labels, nullptr);
                if (s.attachment) {
                    dropped_.push_back({metric_index, it->first, std::move(s.attachment)});
                }
                it = st.series.erase(it);
            } else {
                ++it;
            }
            continue;
        }
        judged.push_back({&it->first, &s, best, best_exposure});
        ++it;
    }
    const std::string across = cfg.pair ? cfg.pair->across : "";
    // Within one send: the series of the same send at the others of `across`, by the labels
    // they share.
    std::unordered_map<std::string, std::vector<const Series*>> sends;
    auto send_key = [&across](const Series& s) {
        std::string key;
        for (const auto& [k, v] : s.labels) {
            if (k != across) {
                key += k + '\x1f' + v + '\x1e';
            }
        }
        return key;
    };
    if (!across.empty()) {
        for (const auto& [key, s] : st.series) {
            sends[send_key(s)].push_back(&s);
        }
    }
    for (const auto& j : judged) {
        Series& s = *j.series;
        const Cohort& best = *j.send;
        double numerator = best.num;
        double denominator = j.exposure;
        if (!across.empty()) {
            // The signals the others' exposure brought, scaled to this one's exposure: what it
            // would have had faring like them. Its share of both is judged (given how many
            // signals came in all, the count at one of two Poisson sources is binomial).
            double rest = 0;
            double rest_exposure = 0;
            for (const Series* other : sends[send_key(s)]) {
                if (other == &s) {
                    continue;
                }
                for (const auto& c : other->cohorts) {
                    if (c.sent > 0 && c.start < best.end && best.start < c.end) {
                        rest += c.num;
                        rest_exposure += exposure_of(*other, c);
                    }
                }
            }
            if (rest <= 0 || rest_exposure <= 0) {
                continue;  // nothing to compare with: not judged
            }
            denominator = best.num + rest * j.exposure / rest_exposure;
        }
        s.active = true;
        s.last_data_ms = end;
        ++s.windows_with_data;
        Point p = point_of(metric_index, *j.key, s, start);
        p.numerator = numerator;
        p.denominator = denominator;
        p.value = denominator > 0 ? numerator / denominator : std::nan("");
        if (cfg.pair) {
            p.claim = !cfg.pair->claim_is_ratio ? best.sent
                      : best.sent > 0           ? best.claim / best.sent
                                                : std::nan("");
        }
        p.send_start_ms = best.start;
        p.send_end_ms = best.end;
        p.sent = best.sent;
        on_point(p);
    }
}

void Aggregator::save_cohorts(std::string& out, const std::deque<Cohort>& cohorts) {
    binary::put_u32(out, static_cast<std::uint32_t>(cohorts.size()));
    for (const auto& c : cohorts) {
        binary::put_i64(out, c.start);
        binary::put_i64(out, c.end);
        binary::put_f64(out, c.sent);
        binary::put_u32(out, static_cast<std::uint32_t>(c.parts.size()));
        for (const auto& p : c.parts) {
            binary::put_f64(out, p.sent);
            binary::put_f64(out, p.sent_at);
        }
        binary::put_f64(out, c.num);
        binary::put_f64(out, c.joined);
        binary::put_f64(out, c.claim);
    }
}

void Aggregator::read_cohorts(binary::Reader& r, std::deque<Cohort>& cohorts) {
    std::uint32_t n = 0;
    if (!r.count(n, 52)) {
        throw std::runtime_error("window checkpoint unreadable: truncated sends");
    }
    cohorts.resize(n);
    for (auto& c : cohorts) {
        std::uint32_t parts = 0;
        if (!r.i64(c.start) || !r.i64(c.end) || !r.f64(c.sent) || !r.count(parts, 16)) {
            throw std::runtime_error("window checkpoint unreadable: bad send");
        }
        c.parts.resize(parts);
        for (auto& p : c.parts) {
            if (!r.f64(p.sent) || !r.f64(p.sent_at)) {
                throw std::runtime_error("window checkpoint unreadable: bad send");
            }
        }
        if (!r.f64(c.num) || !r.f64(c.joined) || !r.f64(c.claim) || c.end <= c.start) {
            throw std::runtime_error("window checkpoint unreadable: bad send");
        }
    }
}

}  // namespace terrain::core
