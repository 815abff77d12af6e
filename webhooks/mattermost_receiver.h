#pragma once

#include <map>
#include <string>

#include <nlohmann/json.hpp>

#include "alerts/notifier.h"
#include "alerts/policy.h"
#include "monitor/config.h"
#include "monitor/store.h"
#include "webhooks/json_poster.h"

namespace terrain::webhooks {

// The `mattermost` receiver: one living post per alert in the configured channel, through the
// REST API v4 as a bot (POST /api/v4/posts with a message attachment; PUT /api/v4/posts/{id}
// on every change; each change's note as a reply in the post's thread, root_id). Its buttons
// and menus are interactive message actions whose integration posts to
// interact.public_url + /interact/mattermost with a context of the alert, the action and a
// token signed with interact.mattermost_secret (see mattermost_token). Post ids are kept in the
// store, so after a restart the same post is updated. Runs on its notifier worker thread.
class MattermostReceiver final : public alerts::Receiver {
public:
    MattermostReceiver(const monitor::ReceiverConfig& config, const alerts::Policy& policy,
                       monitor::Store& store);
    const std::string& name() const override { return config_.name; }
    alerts::SendResult send(const alerts::Notification& n) override;

    // The post's message attachment for an alert (exposed for tests).
    static nlohmann::json attachment(const alerts::Alert& alert, const alerts::Policy& policy,
                                     const std::string& click_url, const std::string& secret);

private:
    alerts::SendResult call(const std::string& method, const std::string& path,
                            const nlohmann::json& body, nlohmann::json* reply = nullptr);

    monitor::ReceiverConfig config_;
    const alerts::Policy& policy_;
    monitor::Store& store_;
    std::string token_;
    std::string secret_;
    std::string click_url_;
    JsonPoster api_;
    std::map<std::string, std::string> posts_;  // alert id -> post id
};

}  // namespace terrain::webhooks
