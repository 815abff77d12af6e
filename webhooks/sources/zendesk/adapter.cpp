#include "webhooks/sources/zendesk/adapter.h"
#include "webhooks/sources/registry.h"
#include "webhooks/sources/zendesk/signature.h"

#include <algorithm>
#include <sstream>

#include "webhooks/sources/document.h"

namespace terrain::webhooks {

namespace {

std::vector<std::string> tags_of(const nlohmann::json& ticket) {
    std::vector<std::string> tags;
    auto it = ticket.find("tags");
    if (it == ticket.end()) {
        return tags;
    }
    if (it->is_array()) {
        for (const auto& t : *it) {
            if (t.is_string()) {
                tags.push_back(t.get<std::string>());
            }
        }
    } else if (it->is_string()) {
        std::istringstream words(it->get<std::string>());
        for (std::string w; words >> w;) {
            tags.push_back(w);
        }
    }
    return tags;
}

std::string tag_value(const std::vector<std::string>& tags, std::string_view prefix) {
    for (const auto& t : tags) {
        if (t.size() > prefix.size() && t.compare(0, prefix.size(), prefix) == 0) {
            return t.substr(prefix.size());
        }
    }
    return "";
}

std::string id_text(const nlohmann::json& object) {
    auto it = object.find("id");
    if (it == object.end()) {
        return "";
    }
    return it->is_string() ? it->get<std::string>() : it->is_number_integer() ? it->dump() : "";
}

}  // namespace

core::Result<Parsed> ZendeskAdapter::parse(std::string_view body,
                                              const AdapterContext& ctx) const {
    auto doc = parse_document(body);
    if (!doc.ok()) {
        return doc.error();
    }
    const auto& root = doc.value();
    if (!root.is_object()) {
        return event_error("bad_json", -1, "", "a Zendesk webhook body is one JSON object");
    }
    Parsed out;
    const nlohmann::json* ticket = nullptr;
    const nlohmann::json* time = nullptr;
    std::string time_field;
    std::string id;
    std::string channel;
    if (const std::string type = text_at(root, "type"); !type.empty()) {
        if (type != "zen:event-type:ticket.created") {
            out.ignored = 1;
            return out;
        }
        auto detail = root.find("detail");
        if (detail == root.end() || !detail->is_object()) {
            return event_error("missing_field", -1, "detail", "a ticket event carries its ticket");
        }
        ticket = &*detail;
        time = root.contains("time") ? &root["time"] : nullptr;
        time_field = "time";
        id = text_at(root, "id");
        if (auto via = ticket->find("via"); via != ticket->end()) {
            channel = text_at(*via, "channel");
        }
    } else {
        auto t = root.find("ticket");
        if (t == root.end() || !t->is_object()) {
            return event_error("missing_field", -1, "ticket",
                               "expected a Zendesk event ('type') or a trigger body with a "
                               "'ticket' object");
        }
        ticket = &*t;
        time = ticket->contains("created_at") ? &(*ticket)["created_at"] : nullptr;
        time_field = "ticket.created_at";
        id = id_text(*ticket);
        if (id.empty()) {
            return event_error("missing_field", -1, "ticket.id", "every ticket has an id");
        }
        id = "ticket:" + id;
        channel = text_at(*ticket, "channel");
    }
    auto at = event_time(time, -1, time_field, ctx);
    if (!at.ok()) {
        return at.error();
    }
    const auto tags = tags_of(*ticket);
    std::string campaign = text_at(*ticket, "campaign");
    if (campaign.empty()) {
        campaign = tag_value(tags, "campaign_");
    }
    std::string topic = tag_value(tags, "topic_");
    const std::string requester = text_at(*ticket, "requester_email");
    core::Event e;
    e.time_ms = at.value();
    e.kind = "ticket.created";
    e.side = core::Side::kCustomer;
    e.labels = {{"source", "zendesk"},
                {"channel", label_value(ctx, channel.empty() ? "unknown" : lower(channel))},
                {"campaign", label_value(ctx, campaign.empty() ? "none" : campaign)},
                {"topic", label_value(ctx, topic.empty() ? "none" : topic)},
                {"provider", mailbox_domain(requester)}};
    if (!requester.empty()) {
        e.subject = ctx.hasher->hash(requester);
    }
    e.id = std::move(id);
    out.events.push_back(std::move(e));
    return out;
}

void register_zendesk(SourceRegistry& registry) {
    registry.add({"zendesk",
                  "Zendesk webhooks of ticket events (customer tickets and their tags)",
                  {{"signing_key", "secret", "the webhook's signing secret (Zendesk: Admin Center, Webhooks)"}},
                  [] { return std::make_unique<ZendeskAdapter>(); },
                  [](const core::Params& p, std::int64_t max_age_ms) {
                      SourceSetup s;
                      if (std::string key = p.resolved("signing_key"); !key.empty()) {
                          s.verifier = std::make_unique<ZendeskSignature>(std::move(key), max_age_ms);
                      }
                      return s;
                  }});
}

}  // namespace terrain::webhooks
