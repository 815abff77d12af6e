#include "core/returns.h"

#include <algorithm>

namespace terrain::core {

namespace {

// The labels of the first contact a return carries: where it was handled.
constexpr const char* kLineOfBusiness[] = {"lob", "queue", "bot", "campaign", "journey", "tenant"};

// A label's value, "" when the event does not carry it.
std::string label_of(const Labels& labels, std::string_view name) {
    const std::string* v = find_label(labels, name);
    return v != nullptr ? *v : std::string();
}

std::string channel_of(const Event& e) {
    std::string channel = label_of(e.labels, "channel");
    if (!channel.empty()) {
        return channel;
    }
    if (e.kind.rfind("ivr.", 0) == 0) {
        return "voice";
    }
    if (e.kind.rfind("bot.", 0) == 0 || e.kind.rfind("chat.", 0) == 0) {
        return "chat";
    }
    return e.kind.rfind("ticket.", 0) == 0 ? "ticket" : "other";
}

}  // namespace

ReturnTracker::ReturnTracker(std::int64_t within_ms, std::size_t capacity)
    : within_ms_(within_ms), capacity_(std::max<std::size_t>(capacity, 1)) {}

bool ReturnTracker::is_contact(const Event& e) {
    return e.kind == "ivr.call" || e.kind == "bot.session" || e.kind == "chat.session" ||
           e.kind == "ticket.created" ||
           (e.kind.rfind("contact.", 0) == 0 && e.kind != "contact.return");
}

std::optional<Event> ReturnTracker::observe(const Event& e) {
    if (within_ms_ <= 0 || e.subject.empty() || !is_contact(e)) {
        return std::nullopt;
    }
    forget_before(e.time_ms - within_ms_);
    std::optional<Event> back;
    auto it = last_.find(e.subject);
    if (it != last_.end() && e.time_ms >= it->second.time_ms &&
        e.time_ms - it->second.time_ms <= within_ms_) {
        Event r;
        r.time_ms = e.time_ms;
        r.kind = "contact.return";
        r.side = Side::kCustomer;
        r.subject = e.subject;
        r.id = e.id.empty() ? std::string() : e.id + ":return";
        r.labels = it->second.labels;
        r.labels.emplace_back("channel", channel_of(e));
        const std::string source = label_of(e.labels, "source");
        r.labels.emplace_back("source", source.empty() ? "terrain" : source);
        back = std::move(r);
    }
    Contact c;
    c.time_ms = e.time_ms;
    for (const char* name : kLineOfBusiness) {
        if (auto v = label_of(e.labels, name); !v.empty()) {
            c.labels.emplace_back(name, v);
        }
    }
    const std::string outcome = label_of(e.labels, "outcome");
    c.labels.emplace_back("first_outcome", outcome.empty() ? "none" : outcome);
    if (it != last_.end()) {
        it->second = std::move(c);
    } else {
        last_.emplace(e.subject, std::move(c));
    }
    order_.emplace_back(e.time_ms, e.subject);
    while (last_.size() > capacity_ && !order_.empty()) {
        auto [t, subject] = order_.front();
        order_.pop_front();
        auto old = last_.find(subject);
        if (old != last_.end() && old->second.time_ms == t) {
            last_.erase(old);
            ++evicted_;
        }
    }
    return back;
}

void ReturnTracker::forget_before(std::int64_t time_ms) {
    while (!order_.empty() && order_.front().first < time_ms) {
        auto [t, subject] = order_.front();
        order_.pop_front();
        auto it = last_.find(subject);
        if (it != last_.end() && it->second.time_ms == t) {
            last_.erase(it);
        }
    }
    // The deque holds one entry per contact; an entry whose customer came back later is stale
    // and is dropped when it reaches the front.
}

}  // namespace terrain::core
