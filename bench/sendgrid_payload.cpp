#include "bench/sendgrid_payload.h"

#include <cstdio>

namespace terrain::bench {

namespace {
constexpr int kIdDigits = 16;
}

SendgridPayload::SendgridPayload(std::size_t events, std::int64_t start_s) {
    static const char* kEvents[] = {"processed", "delivered", "processed", "delivered", "open",
                                    "delivered", "click",     "deferred",  "bounce",    "spamreport"};
    static const char* kDomains[] = {"gmail.com", "yahoo.com", "outlook.com", "icloud.com",
                                     "example.org"};
    body_ = "[";
    for (std::size_t i = 0; i < events; ++i) {
        if (i > 0) {
            body_ += ",";
        }
        char buf[512];
        std::snprintf(buf, sizeof buf,
                      "{\"email\":\"user%zu@%s\",\"timestamp\":%lld,\"smtp-id\":\"<%zu@ismtpd-555>\","
                      "\"event\":\"%s\",\"category\":[\"campaign-%zu\",\"newsletter\"],"
                      "\"sg_event_id\":\"",
                      i, kDomains[i % 5], static_cast<long long>(start_s + static_cast<long long>(i % 60)),
                      i, kEvents[i % 10], i % 8);
        body_ += buf;
        id_offsets_.push_back(body_.size());
        body_ += std::string(kIdDigits, '0');
        body_ += "\",\"sg_message_id\":\"14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0\"";
        if (i % 10 == 8) {
            body_ += ",\"type\":\"bounce\",\"reason\":\"500 unknown recipient\",\"status\":\"5.0.0\"";
        }
        body_ += "}";
    }
    body_ += "]";
}

const std::string& SendgridPayload::next(std::uint64_t& counter) {
    for (std::size_t off : id_offsets_) {
        std::uint64_t v = counter++;
        for (int d = kIdDigits - 1; d >= 0; --d) {
            body_[off + static_cast<std::size_t>(d)] = "0123456789abcdef"[v & 0xf];
            v >>= 4;
        }
    }
    return body_;
}

}  // namespace terrain::bench
