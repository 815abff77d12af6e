#include "webhooks/webhook_receiver.h"

namespace terrain::webhooks {

alerts::SendResult WebhookReceiver::send(const alerts::Notification& n) {
    nlohmann::json body = {
        {"version", "1"}, {"transition", n.transition}, {"alert", alerts::to_json(n.alert)}};
    return poster_.post(body.dump());
}

}  // namespace terrain::webhooks
