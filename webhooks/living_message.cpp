#include "webhooks/living_message.h"

namespace terrain::webhooks {

LivingMessageReceiver::LivingMessageReceiver(const monitor::ReceiverConfig& config,
                                             monitor::Store& store)
    : config_(config), store_(store), messages_(store.load_messages(config.name)) {}

alerts::SendResult LivingMessageReceiver::tell(const alerts::Notification&) {
    return {false, false, config_.type + " answers the clicker in the click's response"};
}

alerts::SendResult LivingMessageReceiver::send(const alerts::Notification& n) {
    if (n.transition == "private") {
        return tell(n);
    }
    const alerts::Alert& a = n.alert;
    auto found = messages_.find(a.id);
    if (found == messages_.end()) {
        std::string ref;
        auto r = post(a, ref);
        if (r.ok) {
            store_.put_message(config_.name, a.id, ref);
            messages_[a.id] = ref;
        }
        return r;
    }
    const std::string& ref = found->second;
    auto r = update(ref, a);
    if (!r.ok || n.note.empty()) {
        return r;
    }
    return reply(ref, n.note);
}

}  // namespace terrain::webhooks
