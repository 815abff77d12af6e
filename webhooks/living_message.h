#pragma once

#include <map>
#include <string>

#include "alerts/notifier.h"
#include "monitor/config.h"
#include "monitor/store.h"

namespace terrain::webhooks {

// What every chat receiver does with an alert: one living message. The first notification
// posts it and remembers where it is (in the store, so after a restart the same message is
// updated, never posted again); every later one edits it in place and puts its note (who
// acknowledged, what the MAP answered) in the message's thread. A platform says how to post,
// update, reply and tell one person; this class says when. Runs on the receiver's notifier
// worker thread.
class LivingMessageReceiver : public alerts::Receiver {
public:
    LivingMessageReceiver(const monitor::ReceiverConfig& config, monitor::Store& store);
    const std::string& name() const final { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) final;

protected:
    // Posts the alert's message; on success sets `ref` to what update and reply need later
    // (kept in the store as it is).
    virtual alerts::SendResult post(const alerts::Alert& alert, std::string& ref) = 0;
    virtual alerts::SendResult update(const std::string& ref, const alerts::Alert& alert) = 0;
    virtual alerts::SendResult reply(const std::string& ref, const std::string& note) = 0;
    // A note for one person only (transition "private", n.only_for). Platforms that answer
    // the clicker in the click's own response never get one.
    virtual alerts::SendResult tell(const alerts::Notification& n);

    const monitor::ReceiverConfig config_;

private:
    monitor::Store& store_;
    std::map<std::string, std::string> messages_;  // alert id -> ref
};

}  // namespace terrain::webhooks
