#include "alerts/chat/living_message.h"

#include "core/params.h"

#include "alerts/alert.h"

namespace terrain::alerts {

namespace {

// A message is kept in the store as one string: its ref, and when grouped its thread and
// group key, separated by U+001F.
constexpr char kSep = '\x1f';

std::string field(const std::string& text, int index) {
    std::size_t from = 0;
    for (int i = 0; i < index; ++i) {
        from = text.find(kSep, from);
        if (from == std::string::npos) {
            return "";
        }
        ++from;
    }
    const auto to = text.find(kSep, from);
    return text.substr(from, to == std::string::npos ? std::string::npos : to - from);
}

}  // namespace

LivingMessageReceiver::LivingMessageReceiver(const core::ReceiverConfig& config,
                                             core::Store& store)
    : config_(config),
      channel_(core::Params(config.params, config.path).str("channel", "")),
      group_by_(core::Params(config.params, config.path).strings("group_by")),
      store_(store) {
    for (const auto& [alert, text] : store.load_messages(config.name)) {
        messages_[alert] = {field(text, 0), field(text, 1), field(text, 2)};
    }
}

std::string LivingMessageReceiver::group_key(const alerts::Alert& a) const {
    std::string key;
    for (const auto& label : group_by_) {
        const std::string* v = alerts::label_value(a, label);
        key += label + "=" + (v != nullptr ? *v : "") + "\n";
    }
    return key;
}

void LivingMessageReceiver::restore(const std::vector<alerts::Alert>& firing) {
    std::lock_guard lock(mutex_);
    for (const auto& a : firing) {
        auto m = messages_.find(a.id);
        if (m != messages_.end() && m->second.thread.empty() && !m->second.group.empty()) {
            groups_.emplace(m->second.group, a.id);
        }
    }
}

alerts::SendResult LivingMessageReceiver::tell(const alerts::Notification&) {
    return {false, false, config_.type + " answers the clicker in the click's response"};
}

alerts::SendResult LivingMessageReceiver::send(const alerts::Notification& n) {
    if (n.transition == "private") {
        return tell(n);
    }
    const alerts::Alert& a = n.alert;
    std::unique_lock lock(mutex_);
    auto found = messages_.find(a.id);
    if (found == messages_.end()) {
        Message m;
        m.group = group_by_.empty() ? "" : group_key(a);
        if (auto g = groups_.find(m.group); !m.group.empty() && g != groups_.end()) {
            m.thread = messages_.at(g->second).ref;
        }
        lock.unlock();
        auto r = post(a, m.thread, m.ref);
        if (!r.ok) {
            return r;
        }
        store_.put_message(config_.name, a.id,
                           m.group.empty() ? m.ref : m.ref + kSep + m.thread + kSep + m.group);
        lock.lock();
        if (!m.group.empty() && m.thread.empty() && a.state == alerts::AlertState::kFiring) {
            groups_[m.group] = a.id;
        }
        messages_[a.id] = std::move(m);
        return r;
    }
    const Message m = found->second;
    if (a.state == alerts::AlertState::kResolved && !m.group.empty()) {
        if (auto g = groups_.find(m.group); g != groups_.end() && g->second == a.id) {
            groups_.erase(g);  // the group's next alert starts a new top-level message
        }
    }
    lock.unlock();
    auto r = update(m.ref, a);
    if (!r.ok || n.note.empty()) {
        return r;
    }
    const bool call = alerts::calls_people(n.transition) &&
                      a.state == alerts::AlertState::kFiring && !a.on_duty.empty();
    return reply(m.thread.empty() ? m.ref : m.thread, n.note, call ? &a : nullptr);
}

}  // namespace terrain::alerts
