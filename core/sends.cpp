#include "core/sends.h"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

#include "core/binary.h"

namespace terrain::core {

namespace {

// The first 64 bits of the message's keyed hash (hex): already uniformly spread.
std::uint64_t key_of(const std::string& message) {
    std::uint64_t key = 0;
    for (std::size_t i = 0; i < std::min<std::size_t>(16, message.size()); ++i) {
        const char c = message[i];
        const int digit = c >= '0' && c <= '9'   ? c - '0'
                          : c >= 'a' && c <= 'f' ? c - 'a' + 10
                          : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                                 : static_cast<unsigned char>(c) & 15;
        key = key << 4 | static_cast<std::uint64_t>(digit);
    }
    return key;
}

std::string_view label_or_empty(const Labels& labels, std::string_view key) {
    const std::string* v = find_label(labels, key);
    return v == nullptr || *v == "none" ? std::string_view() : std::string_view(*v);
}

// What the sender reports of its own handling of a message: the first of these is the send.
bool is_send(const Event& e) {
    static constexpr std::string_view kKinds[] = {"email.processed", "email.sent", "email.delivered",
                                                  "email.deferred", "email.bounce", "email.dropped"};
    return e.side == Side::kMap && std::find(std::begin(kKinds), std::end(kKinds), e.kind) != std::end(kKinds);
}

constexpr std::uint32_t kNoGroup = 0xFFFFFFFFU;
constexpr std::size_t kMaxGroups = 1'000'000;

}  // namespace

SendIndex::SendIndex(std::int64_t horizon_ms, std::size_t capacity)
    : horizon_ms_(horizon_ms), capacity_(capacity) {}

std::uint32_t SendIndex::group_of(const Event& e) {
    std::string campaign(label_or_empty(e.labels, "campaign"));
    std::string provider(label_or_empty(e.labels, "provider"));
    std::string key = campaign + '\x1f' + provider;
    if (auto it = group_index_.find(key); it != group_index_.end()) {
        return it->second;
    }
    if (groups_.size() >= kMaxGroups) {
        return kNoGroup;  // a flood of made-up campaigns: the sends still join by time
    }
    const auto id = static_cast<std::uint32_t>(groups_.size());
    groups_.emplace_back(std::move(campaign), std::move(provider));
    group_index_.emplace(std::move(key), id);
    return id;
}

std::optional<SendIndex::Send> SendIndex::observe(const Event& e) {
    if (e.message.empty() || capacity_ == 0) {
        return std::nullopt;
    }
    forget_before(e.time_ms - horizon_ms_);
    const std::uint64_t key = key_of(e.message);
    if (auto it = sends_.find(key); it != sends_.end()) {
        ++joined_;
        Send s;
        s.sent_ms = it->second.sent_ms;
        if (it->second.group != kNoGroup) {
            s.campaign = groups_[it->second.group].first;
            s.provider = groups_[it->second.group].second;
        }
        return s;
    }
    if (!is_send(e)) {
        return std::nullopt;
    }
    if (sends_.size() >= capacity_ && !order_.empty()) {
        sends_.erase(order_.front().second);
        order_.pop_front();
        ++evicted_;
    }
    sends_.emplace(key, Entry{e.time_ms, group_of(e)});
    order_.emplace_back(e.time_ms, key);
    return std::nullopt;
}

void SendIndex::forget_before(std::int64_t time_ms) {
    while (!order_.empty() && order_.front().first < time_ms) {
        auto it = sends_.find(order_.front().second);
        // A key re-used after its send was forgotten belongs to a later entry: keep that.
        if (it != sends_.end() && it->second.sent_ms == order_.front().first) {
            sends_.erase(it);
        }
        order_.pop_front();
    }
}

void SendIndex::save(std::string& out) const {
    binary::put_u32(out, static_cast<std::uint32_t>(groups_.size()));
    for (const auto& [campaign, provider] : groups_) {
        binary::put_str(out, campaign);
        binary::put_str(out, provider);
    }
    binary::put_u64(out, order_.size());
    for (const auto& [t, key] : order_) {
        auto it = sends_.find(key);
        const bool live = it != sends_.end() && it->second.sent_ms == t;
        binary::put_u64(out, key);
        binary::put_i64(out, t);
        binary::put_u32(out, live ? it->second.group : kNoGroup);
        out.push_back(live ? 1 : 0);
    }
    binary::put_u64(out, evicted_);
    binary::put_u64(out, joined_);
}

void SendIndex::restore(binary::Reader& r) {
    std::uint32_t n_groups = 0;
    if (!r.count(n_groups, 8)) {
        throw std::runtime_error("send index: truncated");
    }
    std::vector<std::pair<std::string, std::string>> groups(n_groups);
    for (auto& [campaign, provider] : groups) {
        if (!r.str(campaign) || !r.str(provider)) {
            throw std::runtime_error("send index: truncated group");
        }
    }
    std::uint64_t n = 0;
    if (!r.u64(n)) {
        throw std::runtime_error("send index: truncated");
    }
    std::unordered_map<std::uint64_t, Entry> sends;
    std::deque<std::pair<std::int64_t, std::uint64_t>> order;
    for (std::uint64_t i = 0; i < n; ++i) {
        std::uint64_t key = 0;
        std::int64_t t = 0;
        std::uint32_t group = 0;
        std::uint8_t live = 0;
        if (!r.u64(key) || !r.i64(t) || !r.u32(group) || !r.u8(live) ||
            (group != kNoGroup && group >= n_groups)) {
            throw std::runtime_error("send index: bad entry");
        }
        order.emplace_back(t, key);
        if (live != 0) {
            sends[key] = Entry{t, group};
        }
    }
    std::uint64_t evicted = 0;
    std::uint64_t joined = 0;
    if (!r.u64(evicted) || !r.u64(joined)) {
        throw std::runtime_error("send index: truncated");
    }
    groups_ = std::move(groups);
    group_index_.clear();
    for (std::uint32_t g = 0; g < groups_.size(); ++g) {
        group_index_.emplace(groups_[g].first + '\x1f' + groups_[g].second, g);
    }
    sends_ = std::move(sends);
    order_ = std::move(order);
    evicted_ = evicted;
    joined_ = joined;
}

namespace {

// The prior: the share of a send's signals arrived by each step of ArrivalCurve::kSteps.
constexpr std::array<double, ArrivalCurve::kSteps.size()> kPriorShare = {
    0.01, 0.02, 0.04, 0.07, 0.10, 0.17, 0.27, 0.40, 0.55, 0.63, 0.78, 0.92, 0.98, 1.0};
constexpr double kPriorWeight = 20;  // the prior counts as this many signals
constexpr double kWiderWeight = 50;  // a wider curve counts as this many signals
constexpr double kFloor = 0.01;

}  // namespace

void ArrivalCurve::learn(std::int64_t age_ms, std::int64_t at_ms) {
    const auto it = std::lower_bound(kSteps.begin(), kSteps.end(), age_ms);
    counts_[static_cast<std::size_t>(it - kSteps.begin())] += 1;
    learned_ += 1;
    since_ms_ = std::min(since_ms_, at_ms - age_ms);  // the earliest send it has heard of
}

ArrivalCurve::Counts ArrivalCurve::leaning_on(const ArrivalCurve* wider, std::int64_t now_ms) const {
    Counts c = counts_;
    // How much of each step's ages the history has seen: a step of ages around a was open to
    // mail sent in the first span - a of it.
    // Reweighted, the learned counts keep their total: the weighting reshapes what was
    // learned, it adds no evidence.
    if (learned_ > 0 && since_ms_ > kLongAgo && now_ms > since_ms_) {
        const auto span = static_cast<double>(now_ms - since_ms_);
        constexpr double kMaxWeight = 10;
        double before = 0;
        double after = 0;
        std::int64_t step_start = 0;
        for (std::size_t i = 0; i < kSteps.size(); ++i) {
            const double mid = std::min(static_cast<double>(step_start + kSteps[i]) / 2,
                                        (static_cast<double>(step_start) + span) / 2);
            before += c[i];
            c[i] *= span > mid ? std::min(kMaxWeight, span / (span - mid)) : kMaxWeight;
            after += c[i];
            step_start = kSteps[i];
        }
        for (std::size_t i = 0; after > 0 && i < kSteps.size(); ++i) {
            c[i] *= before / after;
        }
    }
    if (wider != nullptr) {
        const Counts w = wider->leaning_on(nullptr, now_ms);
        double total = 0;
        for (double x : w) {
            total += x;
        }
        for (std::size_t i = 0; i < c.size(); ++i) {
            c[i] += w[i] / total * kWiderWeight;
        }
        return c;
    }
    double before = 0;
    for (std::size_t i = 0; i < kSteps.size(); ++i) {
        c[i] += (kPriorShare[i] - before) * kPriorWeight;
        before = kPriorShare[i];
    }
    return c;
}

double ArrivalCurve::arrived(std::int64_t age_ms, std::int64_t horizon_ms, std::int64_t now_ms,
                             const ArrivalCurve* wider) const {
    return arrived_over(age_ms, age_ms, horizon_ms, now_ms, wider);
}

double ArrivalCurve::arrived_over(std::int64_t youngest_ms, std::int64_t oldest_ms,
                                  std::int64_t horizon_ms, std::int64_t now_ms,
                                  const ArrivalCurve* wider) const {
    if (youngest_ms >= horizon_ms) {
        return 1.0;
    }
    const Counts counts = leaning_on(wider, now_ms);
    double total = 0;
    for (double c : counts) {
        total += c;
    }
    // Signals past the horizon are not counted in a send's ratio: the share is of those within.
    const auto within = std::lower_bound(kSteps.begin(), kSteps.end(), horizon_ms);
    const auto last = static_cast<std::size_t>(within - kSteps.begin());
    for (std::size_t i = last + 1; i < counts.size(); ++i) {
        total -= counts[i];
    }
    if (total <= 0) {
        return 1.0;
    }
    auto share = [&](std::int64_t age_ms) {
        if (age_ms >= horizon_ms) {
            return 1.0;
        }
        double below = 0;
        std::int64_t step_start = 0;
        for (std::size_t i = 0; i <= last && i < kSteps.size(); ++i) {
            const std::int64_t step_end = std::min(kSteps[i], horizon_ms);
            if (age_ms < step_end) {
                const double part =
                    static_cast<double>(std::max<std::int64_t>(0, age_ms - step_start)) /
                    static_cast<double>(step_end - step_start);
                below += counts[i] * part;
                break;
            }
            below += counts[i];
            step_start = step_end;
        }
        return std::clamp(below / total, kFloor, 1.0);
    };
    if (oldest_ms <= youngest_ms) {
        return share(youngest_ms);
    }
    constexpr int kAges = 8;
    double sum = 0;
    for (int k = 0; k < kAges; ++k) {
        sum += share(youngest_ms + (oldest_ms - youngest_ms) * (2 * k + 1) / (2 * kAges));
    }
    return sum / kAges;
}

void ArrivalCurve::save(std::string& out) const {
    for (double c : counts_) {
        binary::put_f64(out, c);
    }
    binary::put_f64(out, learned_);
    binary::put_i64(out, since_ms_);
}

void ArrivalCurve::restore(binary::Reader& r, bool since) {
    std::array<double, kSteps.size() + 1> counts{};
    double learned = 0;
    for (double& c : counts) {
        if (!r.f64(c) || !(c >= 0)) {
            throw std::runtime_error("arrival curve: bad count");
        }
    }
    std::int64_t since_ms = std::numeric_limits<std::int64_t>::max();
    if (!r.f64(learned) || (since && !r.i64(since_ms))) {
        throw std::runtime_error("arrival curve: truncated");
    }
    if (!since && learned > 0) {
        since_ms = kLongAgo;
    }
    counts_ = counts;
    learned_ = learned;
    since_ms_ = since_ms;
}

}  // namespace terrain::core
