#pragma once

#include "webhooks/sources/adapter.h"

namespace terrain::webhooks {

// Alertmanager's webhook (POST /ingest/alertmanager, payload version 4), so alerts from an
// organisation's existing monitoring (an ESP integration down, a journey's error rate up) land
// beside the MAP's and the customers' events. Each alert in the notification becomes one event:
//
//   kind     alert.firing (time: startsAt) or alert.resolved (time: endsAt)
//   side     map, or customer when the alert has the label side="customer"
//   labels   source=alertmanager, topic=<alertname>, and every alert label whose name is a
//            known or declared terrain label (campaign, journey, provider, ...)
//   id       <fingerprint>:<status>:<time>, so Alertmanager's repeat notifications of the same
//            alert are counted once
//
// Label values that hold an address or a phone number are kept as their keyed hash.
class AlertmanagerAdapter final : public Adapter {
public:
    std::string_view source() const override { return "alertmanager"; }
    core::Result<Parsed> parse(std::string_view body, const AdapterContext& ctx) const override;
};

}  // namespace terrain::webhooks
