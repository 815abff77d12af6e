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

MessageRefs::MessageRefs(core::Store& store) : store_(store) {
    store_.ensure(
        "CREATE TABLE IF NOT EXISTS messages ("
        " receiver TEXT NOT NULL,"
        " alert_id TEXT NOT NULL,"
        " ref TEXT NOT NULL,"
        " PRIMARY KEY (receiver, alert_id))");
}

void MessageRefs::put(const std::string& receiver, const std::string& alert_id,
                      const std::string& ref) {
    store_.write("INSERT INTO messages(receiver, alert_id, ref) VALUES(?,?,?) "
                 "ON CONFLICT(receiver, alert_id) DO UPDATE SET ref=excluded.ref",
                 {receiver, alert_id, ref}, "save a message reference");
}

std::map<std::string, std::string> MessageRefs::of_receiver(const std::string& receiver) const {
    std::map<std::string, std::string> out;
    for (const auto& row : store_.read("SELECT alert_id, ref FROM messages WHERE receiver = ?1",
                                       {receiver}, "message references")) {
        out[std::get<std::string>(row[0])] = std::get<std::string>(row[1]);
    }
    return out;
}

LivingMessageReceiver::LivingMessageReceiver(const core::ReceiverConfig& config,
                                             core::Store& store)
    : config_(config),
      channel_(core::Params(config.params, config.path).str("channel", "")),
      group_by_(core::Params(config.params, config.path).strings("group_by")),
      refs_(store) {
    for (const auto& [alert, text] : refs_.of_receiver(config.name)) {
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
        refs_.put(config_.name, a.id,
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
