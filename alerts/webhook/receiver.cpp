#include "alerts/webhook/receiver.h"

#include "alerts/receivers.h"

namespace terrain::alerts {

alerts::SendResult WebhookReceiver::send(const alerts::Notification& n) {
    nlohmann::json body = {{"version", "1"},
                           {"delivery_id", n.delivery_id},
                           {"transition", n.transition},
                           {"alert", alerts::to_json(n.alert)}};
    return sent(poster_.send("POST", "", body.dump(), {{"Idempotency-Key", n.delivery_id}}));
}

void register_webhook(ReceiverRegistry& registry) {
    registry.add({"webhook",
                  "a JSON POST of each notification to any URL (with an Idempotency-Key)",
                  {{"url", "URL", "where notifications are posted, required"}},
                  {},
                  [](const core::Params& own, const core::Params&, const core::Config&) {
                      required(own, "url", "where notifications are posted");
                      own.url("url", "");
                  },
                  [](const core::ReceiverConfig& c, const ReceiverDeps&) {
                      return std::make_unique<WebhookReceiver>(c);
                  }});
}

}  // namespace terrain::alerts
