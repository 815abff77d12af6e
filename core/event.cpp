#include "core/event.h"

namespace terrain::core {

std::string_view to_string(Side side) { return side == Side::kMap ? "map" : "customer"; }

const std::string* find_label(const Labels& labels, std::string_view key) {
    for (const auto& [k, v] : labels) {
        if (k == key) {
            return &v;
        }
    }
    return nullptr;
}

void set_label(Labels& labels, std::string_view key, std::string value) {
    for (auto& [k, v] : labels) {
        if (k == key) {
            v = std::move(value);
            return;
        }
    }
    labels.emplace_back(std::string(key), std::move(value));
}

const std::vector<std::string>& known_labels() {
    static const std::vector<std::string> kLabels = {
        "tenant", "source", "campaign", "journey", "channel", "provider", "region",
        "topic", "outcome", "bounce_class", "message_type", "unsubscribe_scope", "queue",
        "bot", "survey", "lob", "first_outcome"};
    return kLabels;
}

}  // namespace terrain::core
