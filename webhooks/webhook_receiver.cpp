#include "webhooks/webhook_receiver.h"

namespace terrain::webhooks {

alerts::SendResult WebhookReceiver::send(const alerts::Notification& n) {
    nlohmann::json body = {{"version", "1"},
                           {"delivery_id", n.delivery_id},
                           {"transition", n.transition},
                           {"alert", alerts::to_json(n.alert)}};
    return poster_.send("POST", "", body.dump(), {{"Idempotency-Key", n.delivery_id}})
        .as_send_result();
}

}  // namespace terrain::webhooks
