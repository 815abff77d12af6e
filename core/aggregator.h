#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <limits>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "core/config.h"
#include "core/event.h"
#include "core/finding.h"
#include "core/sends.h"

namespace terrain::core {

namespace binary {
class Reader;
}

// Per-series state owned by a later stage (detector instances), kept alongside the series so
// that it lives and dies with it.
class SeriesAttachment {
public:
    virtual ~SeriesAttachment() = default;
};

// One closed window of one series. `value` is computed over the metric's trailing span: a
// count or sum, or numerator / denominator for ratios (NaN when the denominator is zero).
// References are valid only during the callback.
struct Point {
    std::size_t metric_index = 0;
    const MetricConfig* metric = nullptr;
    const std::string* series_key = nullptr;
    const Labels* labels = nullptr;
    std::int64_t window_start_ms = 0;
    std::int64_t window_end_ms = 0;
    double value = 0;
    double numerator = 0;    // ratios: numerator over the span; counts and sums: the value
    double denominator = 0;  // ratios: denominator over the span; otherwise 0
    double claim = std::numeric_limits<double>::quiet_NaN();  // pairs: the MAP side's figure
    // Ratios attributed to sends: the send judged (its first window's start and its last
    // window's end) and how many it sent; `denominator` is then its exposure so far (sent times
    // the share of its signals usually arrived at its age), `value` the rate that projects.
    std::int64_t send_start_ms = 0;
    std::int64_t send_end_ms = 0;
    double sent = 0;
    std::unique_ptr<SeriesAttachment>* attachment = nullptr;
};

struct AggregatorStats {
    std::uint64_t added = 0;  // events counted into a window
    std::uint64_t late = 0;
    std::uint64_t refused = 0;
    std::uint64_t evicted = 0;  // series dropped at the cap to make room for new ones
    std::uint64_t unattributed = 0;  // attributed to sends: signals of no send within the horizon
};

// Event-time tumbling windows per metric and series, with a watermark.
//
// The watermark is the highest event time seen (at most the ceiling, see set_ceiling) minus the
// allowed lateness; a window
// [start, end) closes once the watermark reaches `end`. Because only event time moves the
// watermark, replaying last week's events at full speed closes the same windows with the same
// contents as receiving them live. Events for an already closed window are late: counted per
// metric, never silently dropped. `advance_idle` lets a live deployment close windows when
// the stream goes quiet (the caller decides when event time may follow the wall clock).
//
// Ratios with `attribution: send` are judged per send instead (a cohort: the consecutive
// windows in which a series sent, at most an hour of them). A signal joined to its send by
// message id (SendIndex) counts towards that send, however late it arrives within the
// metric's horizon; one without (a ticket that names the campaign, or a send older than the
// index remembers) counts towards the series' latest send. A send is judged while its signals
// are still arriving (until 80% of them usually have): at each window close a series reports,
// among those, the send with the strongest evidence of a high rate, its exposure scaled by the
// share of signals usually arrived at its age (ArrivalCurve), so a young send is judged against
// what is usual at its age and an old one's late signals stay with their own send.
//
// Not thread-safe: owned and driven by the pipeline thread.
class Aggregator final {
public:
    using PointSink = std::function<void(const Point&)>;
    // `kept` is the series' attachment when the series went quiet and stays (idle_after), null
    // when it is dropped (make_room at the cap).
    using EvictSink = std::function<void(const MetricConfig&, const std::string& series_key,
                                         const Labels& labels, SeriesAttachment* kept)>;

    Aggregator(std::vector<MetricConfig> metrics, std::int64_t allowed_lateness_ms);

    // Adds one event to every metric whose filter it matches. Returns false when it was late
    // for at least one metric.
    bool add(const Event& event);

    // Closes every window the watermark has passed, calling `on_point` once per series and
    // closed window, in window order, and `on_evict` for series idle past their metric's
    // `idle_after` (an idle series stops emitting points until data comes again, and keeps its
    // state; at the series cap, quiet series make room, least recently seen first).
    void close_windows(const PointSink& on_point, const EvictSink& on_evict);

    // Series dropped since the last call (at the cap, or a send-attributed series quiet for
    // its horizon), with what was attached to them: their detectors' state, for the caller to
    // park until the series comes back.
    struct Dropped {
        std::size_t metric;
        std::string key;
        std::unique_ptr<SeriesAttachment> attachment;
    };
    std::vector<Dropped> take_dropped() { return std::exchange(dropped_, {}); }
    bool dropped_any() const { return !dropped_.empty(); }

    // Moves event time forward to `event_time_ms` without an event (a quiet stream).
    void advance_idle(std::int64_t event_time_ms);
    // Event time the watermark may not pass, whatever events claim: the live pipeline sets it to
    // the wall clock, so one event stamped ahead of time (a sender's wrong clock, or on
    // purpose) cannot close windows early and make the real events after it late. Such an event
    // still counts, in its own window, which closes when its time comes. Replays leave it unset.
    void set_ceiling(std::int64_t event_time_ms) { ceiling_ = event_time_ms; }

    std::int64_t watermark_ms() const;
    // True when the watermark has passed the end of some open window: call close_windows.
    bool window_due() const { return watermark_ms() >= next_close_; }
    std::int64_t max_event_time_ms() const { return max_event_time_; }
    const std::vector<MetricConfig>& metrics() const { return metrics_; }
    std::size_t series_count(std::size_t metric_index) const;
    // Visits every live series of every metric (snapshots).
    void for_each_series(const std::function<void(const MetricConfig&, const std::string& key,
                                                  const SeriesAttachment*)>& visit) const;
    const AggregatorStats& stats(std::size_t metric_index) const;
    const SendIndex& sends() const { return sends_; }
    // The latest customer signals (events of the customer side with a vendor id) that a
    // metric counts in the series with these labels, newest first, at most `n`: what a card
    // shows of what customers said. The last kSignalsPerKind of each kind are kept.
    static constexpr std::size_t kSignalsPerKind = 32;
    std::vector<Signal> recent_signals(std::size_t metric_index, const Labels& series,
                                       std::size_t n) const;
    void set_send_capacity(std::size_t capacity) { sends_.set_capacity(capacity); }

    // Checkpoints: every series' open and closed windows, the watermark and the counts, without
    // the attachments (detector state is saved separately). restore() takes back each metric
    // whose definition (filters, grouping, window, span) is unchanged; the others start empty
    // and are named in the result. Throws std::runtime_error, changing nothing, on data save()
    // did not write.
    std::string save() const;
    std::vector<std::string> restore(std::string_view data);

private:
    struct Sums {
        double num = 0;
        double den = 0;
        double claim = 0;  // pairs: the MAP's claimed successes (delivered, contained)
    };
    struct Bucket {
        std::int64_t start;
        Sums sums;
    };
    struct Cohort {
        std::int64_t start = 0;  // its first send window
        std::int64_t end = 0;    // the end of its last send window
        double sent = 0;         // denominator events
        // ... by window: how many, and their times after `start` summed (for the mean age),
        // so a send's exposure sums each window's mail at its own age
        struct Part {
            double sent = 0;
            double sent_at = 0;
        };
        std::vector<Part> parts;
        double num = 0;          // signals attributed to it
        double joined = 0;       // of them, joined by message id (the others: the fallback)
        double claim = 0;        // pairs: the MAP's claimed successes among its sends
    };
    struct Series {
        Labels labels;
        std::vector<Bucket> open;
        std::vector<Sums> ring;  // closed windows within the span
        std::size_t ring_pos = 0;
        Sums sum;
        std::int64_t last_data_ms = 0;  // end of the last closed window that had data
        std::int64_t last_seen_ms = 0;  // the latest event time counted into it
        std::uint64_t events = 0;       // counted into it since it was created (or restored)
        std::uint32_t windows_with_data = 0;  // closed windows that had data (its history)
        bool active = false;  // a window with data has closed; points are emitted from then on
        std::deque<Cohort> cohorts;  // attributed to sends: the sends within the horizon
        std::unique_ptr<SeriesAttachment> attachment;
    };
    struct MetricState {
        std::unordered_map<std::string, Series> series;
        std::int64_t closed_until = std::numeric_limits<std::int64_t>::min();
        AggregatorStats stats;
        std::vector<std::pair<std::string, Labels>> evicted;  // told at the next close
        ArrivalCurve arrivals;  // attributed to sends: how its signals arrive with age
        // ... and at each mailbox provider (privacy proxies open mail within minutes at some;
        // spam filters hold it at others), up to kMaxArrivalCurves of them
        std::unordered_map<std::string, ArrivalCurve> arrivals_at;
    };
    enum class Role : std::uint8_t { kValue, kNumerator, kDenominator, kClaim };
    struct Target {
        std::size_t metric;
        Role role;
        const Filter* filter;
    };

    static constexpr std::size_t kMaxArrivalCurves = 256;
    // The share of a send's signals usually arrived at the series' provider, as learned by
    // event time `now_ms`, for mail of ages spread from `youngest_ms` to `oldest_ms`.
    static double arrived(const MetricState& st, const MetricConfig& cfg, const Series& s,
                          std::int64_t youngest_ms, std::int64_t oldest_ms, std::int64_t now_ms);
    // A send's exposure at the close of the window ending at `end`: what it sent, times the
    // share of its signals usually arrived by then.
    static double exposure(const MetricState& st, const MetricConfig& cfg, const Series& s,
                           const Cohort& c, std::int64_t end);

    bool add_to(std::size_t metric_index, Role role, const Event& event, std::int64_t sent_ms);
    // A point of series `key` for the window [start, start + window), values still to fill.
    Point point_of(std::size_t metric_index, const std::string& key, Series& s,
                   std::int64_t start) const;
    // The first event of a metric opens it: windows before it (less the lateness) are closed.
    void open_metric(std::size_t metric_index, std::int64_t event_time_ms);
    // The series an event belongs to, made if need be (nullptr when refused at the cap).
    Series* series_for(std::size_t metric_index, const Event& event);
    // Attributed to sends (aggregator_sends.cpp): an event into its send, and a window close.
    bool add_to_send(std::size_t metric_index, Role role, const Event& event, std::int64_t sent_ms);
    void close_sends(std::size_t metric_index, std::int64_t start, const PointSink& on_point,
                     const EvictSink& on_evict);
    static void save_cohorts(std::string& out, const std::deque<Cohort>& cohorts);
    static void read_cohorts(binary::Reader& r, std::deque<Cohort>& cohorts);
    // One series of a window checkpoint (after its key); throws std::runtime_error.
    static Series read_series(binary::Reader& r);
    // At the series cap: drops the series least worth keeping to make room; false when every
    // series has history (the new one is then refused).
    bool make_room(std::size_t metric_index);
    void close_one(std::size_t metric_index, const PointSink& on_point, const EvictSink& on_evict);

    std::vector<MetricConfig> metrics_;
    std::vector<MetricState> state_;
    std::vector<Dropped> dropped_;
    std::unordered_map<std::string, std::vector<Target>> by_kind_;
    std::vector<Target> any_kind_;
    std::int64_t lateness_;
    std::int64_t max_event_time_ = std::numeric_limits<std::int64_t>::min();
    std::int64_t ceiling_ = std::numeric_limits<std::int64_t>::max();
    std::string key_scratch_;
    SendIndex sends_;
    // kind -> its latest customer signals (a ring of kSignalsPerKind, `next` the oldest).
    struct SignalRing {
        std::vector<Event> events;
        std::size_t next = 0;
    };
    std::unordered_map<std::string, SignalRing> signals_;
    bool by_send_ = false;  // some metric is attributed to sends
    std::int64_t next_close_ = std::numeric_limits<std::int64_t>::max();
};

}  // namespace terrain::core
