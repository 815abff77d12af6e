#pragma once

#include <gtest/gtest.h>
#include <httplib.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace terrain::testing {

using nlohmann::json;

// SendGrid batches for one minute of traffic: `delivered` per provider, `complaints` at gmail.
struct Traffic {
    std::int64_t t0_s;
    int sequence = 0;
    // One SendGrid event `offset` seconds into minute `m`, with a fresh sg_event_id. The mail
    // to one address in one minute is one message: a complaint joins its delivery.
    json event(const char* kind, const std::string& email, int m, int offset,
               const std::string& campaign = "spring-sale") {
        return {{"email", email},
                {"timestamp", t0_s + m * 60 + offset},
                {"event", kind},
                {"category", campaign},
                {"sg_event_id", "ev-" + std::to_string(sequence++)},
                {"sg_message_id", "msg-" + campaign + "-" + email + "-" + std::to_string(m) +
                                      ".filter0001.0"}};
    }
    // A second incident in the same minute: campaign winback mailed to 150 yahoo.com
    // addresses, 2 of whom complain (1.3%).
    void add_winback(json& batch, int m) {
        for (int i = 0; i < 150; ++i) {
            const std::string email = "member" + std::to_string(i) + "@yahoo.com";
            batch.push_back(event("delivered", email, m, i % 60, "winback"));
            if (i < 2) {
                batch.push_back(event("spamreport", email, m, 40, "winback"));
            }
        }
    }
    json minute(int m, int gmail_delivered, int yahoo_delivered, int complaints) {
        json batch = json::array();
        auto add = [&](const char* kind, const std::string& email, int offset) {
            batch.push_back(event(kind, email, m, offset));
        };
        for (int i = 0; i < gmail_delivered; ++i) {
            add("delivered", "reader" + std::to_string(i) + "@gmail.com", i % 60);
        }
        for (int i = 0; i < yahoo_delivered; ++i) {
            add("delivered", "fan" + std::to_string(i) + "@yahoo.com", i % 60);
        }
        for (int i = 0; i < complaints; ++i) {
            add("spamreport", "reader" + std::to_string(i) + "@gmail.com", 30);
        }
        return batch;
    }
};

inline json post_json(httplib::Client& c, const std::string& path, const std::string& body,
               int want_status = 200) {
    auto r = c.Post(path, body, "application/json");
    EXPECT_TRUE(r);
    if (!r) {
        return {};
    }
    EXPECT_EQ(r->status, want_status) << r->body;
    return json::parse(r->body);
}

}  // namespace terrain::testing
