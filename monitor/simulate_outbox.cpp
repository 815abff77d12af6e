#include "monitor/simulate_outbox.h"

#include <map>

#include <nlohmann/json.hpp>

#include "core/signature.h"

namespace terrain::monitor {

void Outbox::add(std::int64_t t, const std::string& source, Delivery how, std::string item) {
    if (t < end_) {
        pending_.push({t, source, how, std::move(item)});
    }
}

void Outbox::flush(std::int64_t until, const std::function<void(const SimulatedRequest&)>& emit) {
    std::map<std::pair<std::string, Delivery>, std::vector<std::string>> batches;
    while (!pending_.empty() && pending_.top().t < until) {
        Pending p = pending_.top();
        pending_.pop();
        if (p.how == Delivery::kOnePerRequest) {
            emit({p.t, p.source, std::move(p.item), 1});
        } else {
            batches[{p.source, p.how}].push_back(std::move(p.item));
        }
    }
    for (auto& [key, items] : batches) {
        std::string body;
        if (key.second == Delivery::kFirehose) {
            nlohmann::json records = nlohmann::json::array();
            for (const auto& item : items) {
                records.push_back({{"data", core::base64_encode(item)}});
            }
            body = nlohmann::json{{"requestId", "sim-delivery-" + std::to_string(++deliveries_)},
                                  {"timestamp", until},
                                  {"records", records}}
                       .dump();
        } else {
            body = "[";
            for (std::size_t i = 0; i < items.size(); ++i) {
                body += (i ? "," : "") + items[i];
            }
            body += "]";
        }
        emit({until, key.first, std::move(body), items.size()});
    }
}

}  // namespace terrain::monitor
