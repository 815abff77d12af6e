#include "webhooks/sources/connect_ctr/adapter.h"

#include "core/signature.h"
#include "webhooks/sources/connect/adapter.h"
#include "webhooks/sources/document.h"
#include "webhooks/sources/registry.h"

namespace terrain::webhooks {

namespace {

const nlohmann::json* object_at(const nlohmann::json& parent, const char* key) {
    auto it = parent.find(key);
    return it != parent.end() && it->is_object() ? &*it : nullptr;
}

std::optional<core::Error> one_record(const nlohmann::json& record, long index,
                                      const AdapterContext& ctx, Parsed& out) {
    const std::string data = record.is_object() ? text_at(record, "data") : "";
    if (data.empty()) {
        return event_error("missing_field", index, "data", "a Firehose record carries its data in base64");
    }
    auto bytes = core::base64_decode(data);
    if (!bytes) {
        return event_error("bad_field", index, "data", "is not base64");
    }
    auto doc = parse_document(*bytes);
    if (!doc.ok() || !doc.value().is_object()) {
        return event_error("bad_json", index, "data", "is not a contact trace record (a JSON object)");
    }
    const auto& ctr = doc.value();
    const std::string contact = text_at(ctr, "ContactId");
    if (contact.empty()) {
        return event_error("missing_field", index, "ContactId", "missing or not a string");
    }
    auto stamp = ctr.find("DisconnectTimestamp");
    auto time = event_time(stamp != ctr.end() && !stamp->is_null() ? &*stamp : nullptr, index,
                           "DisconnectTimestamp", ctx);
    if (!time.ok()) {
        return time.error();
    }
    const auto* queue = object_at(ctr, "Queue");
    const bool with_agent = object_at(ctr, "Agent") != nullptr;
    const char* outcome = with_agent ? "agent" : queue != nullptr ? "abandoned" : "self_served";
    const std::string queue_name = queue != nullptr && !text_at(*queue, "Name").empty()
                                       ? text_at(*queue, "Name")
                                       : "none";
    std::string lob;
    if (const auto* attributes = object_at(ctr, "Attributes")) {
        lob = text_at(*attributes, "line_of_business");
    }
    if (lob.empty()) {
        lob = queue_name;
    }
    const std::string channel = text_at(ctr, "Channel");
    std::string subject;
    if (const auto* endpoint = object_at(ctr, "CustomerEndpoint")) {
        if (std::string address = text_at(*endpoint, "Address"); !address.empty()) {
            subject = ctx.hasher->hash(address);
        }
    }
    const core::Labels labels = {{"source", "connect_ctr"},
                                 {"channel", label_value(ctx, channel.empty() ? "unknown" : lower(channel))},
                                 {"queue", label_value(ctx, queue_name)},
                                 {"lob", label_value(ctx, lob)},
                                 {"outcome", outcome}};
    add_contact_events(out, time.value(), labels, contact, subject, with_agent, queue != nullptr);
    return std::nullopt;
}

// Firehose's access key, in constant time.
class FirehoseAccessKey final : public core::SignatureVerifier {
public:
    explicit FirehoseAccessKey(std::string key) : key_(std::move(key)) {}
    std::optional<core::Error> verify(const core::HttpRequest& req, std::int64_t) const override {
        const std::string* given = req.header("x-amz-firehose-access-key");
        if (given == nullptr) {
            return core::Error{"unauthorized", "no X-Amz-Firehose-Access-Key header", -1, ""};
        }
        if (!core::secret_equals(*given, key_)) {
            return core::Error{"unauthorized", "the X-Amz-Firehose-Access-Key is not the configured one",
                               -1, ""};
        }
        return std::nullopt;
    }

private:
    std::string key_;
};

}  // namespace

core::Result<Parsed> ConnectCtrAdapter::parse(std::string_view body, const AdapterContext& ctx) const {
    auto doc = parse_document(body);
    if (!doc.ok()) {
        return doc.error();
    }
    const auto& root = doc.value();
    if (!root.is_object()) {
        return event_error("bad_json", -1, "", "expected a Firehose delivery: {\"requestId\", \"timestamp\", \"records\"}");
    }
    const std::string request_id = text_at(root, "requestId");
    if (request_id.empty()) {
        return event_error("missing_field", -1, "requestId", "missing or not a string");
    }
    auto records = root.find("records");
    if (records == root.end() || !records->is_array()) {
        return event_error("missing_field", -1, "records", "missing or not an array");
    }
    Parsed out;
    out.answer = {{"requestId", request_id}, {"timestamp", ctx.now_ms}};
    for (std::size_t i = 0; i < records->size(); ++i) {
        if (auto err = one_record((*records)[i], static_cast<long>(i), ctx, out)) {
            if (auto stop = set_aside(out, std::move(*err))) {
                return *stop;
            }
        }
    }
    return out;
}

void register_connect_ctr(SourceRegistry& registry) {
    registry.add({"connect_ctr",
                  "Amazon Connect contact trace records through Kinesis Data Firehose (the caller "
                  "hashed at the door: returns, containment per line of business)",
                  {{"access_key", "secret",
                    "the access key of the Firehose delivery stream's HTTP endpoint "
                    "(X-Amz-Firehose-Access-Key)"}},
                  [] { return std::make_unique<ConnectCtrAdapter>(); },
                  [](const core::Params& p, std::int64_t) {
                      SourceSetup s;
                      if (std::string key = p.resolved("access_key"); !key.empty()) {
                          s.verifier = std::make_unique<FirehoseAccessKey>(std::move(key));
                      }
                      return s;
                  }});
}

}  // namespace terrain::webhooks
