#pragma once

#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "alerts/notifier.h"
#include "core/config.h"
#include "core/store.h"

namespace terrain::alerts {

// What every chat receiver does with an alert: one living message. The first notification
// posts it and remembers where it is (in the store, so after a restart the same message is
// updated, never posted again); every later one edits it in place and puts its note (who
// acknowledged, what the MAP answered) in the message's thread.
//
// With the receiver's `group_by`, alerts that share those values form a group, as in
// Alertmanager: the first one's message is the group's top-level message while that alert is
// open, and the cards of the group's later alerts are posted in its thread (each still edited
// in place), their notes too. Once the first alert resolves, the group's next alert starts a
// new top-level message. A platform says how to post, update, reply and tell one person; this
// class says when. send() runs on the receiver's notifier worker thread.
// Where each receiver's living message for an alert is (a Slack channel and ts, a Mattermost
// post id), in the chat receivers' own table of the store, so an update after a restart edits
// the same message. Thread-safe (the store is).
class MessageRefs final {
public:
    explicit MessageRefs(core::Store& store);
    void put(const std::string& receiver, const std::string& alert_id, const std::string& ref);
    std::map<std::string, std::string> of_receiver(const std::string& receiver) const;

private:
    core::Store& store_;
};

class LivingMessageReceiver : public alerts::Receiver {
public:
    LivingMessageReceiver(const core::ReceiverConfig& config, core::Store& store);
    const std::string& name() const final { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) final;
    // Groups whose first alert is still firing keep their top-level message after a restart.
    void restore(const std::vector<alerts::Alert>& firing) final;

protected:
    // Posts the alert's message, top-level or (when `thread` is not empty) in the thread of the
    // message `thread` refers to; on success sets `ref` to what update and reply need later.
    virtual alerts::SendResult post(const alerts::Alert& alert, const std::string& thread,
                                    std::string& ref) = 0;
    virtual alerts::SendResult update(const std::string& ref, const alerts::Alert& alert) = 0;
    // A note in the thread of `ref`; with `call`, it also mentions the people on duty for that
    // alert (an edited message notifies nobody, a new reply does).
    virtual alerts::SendResult reply(const std::string& ref,
                                     const std::string& note,
                                     const alerts::Alert* call) = 0;
    // A note for one person only (transition "private", n.only_for). Platforms that answer
    // the clicker in the click's own response never get one.
    virtual alerts::SendResult tell(const alerts::Notification& n);

    const core::ReceiverConfig config_;
    const std::string channel_;                // receivers[].channel
    const std::vector<std::string> group_by_;  // receivers[].group_by

private:
    struct Message {
        std::string ref;
        std::string thread;  // the group's top-level message it was posted under, or ""
        std::string group;   // its group key, or ""
    };
    std::string group_key(const alerts::Alert& alert) const;

    MessageRefs refs_;
    std::mutex mutex_;                          // restore() runs beside the worker
    std::map<std::string, Message> messages_;   // alert id ->
    std::map<std::string, std::string> groups_;  // group key -> id of its top-level alert
};

}  // namespace terrain::alerts
