#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "alerts/notifier.h"

namespace terrain::webhooks {

// POSTs JSON to one URL over a kept-alive cpp-httplib client with TCP_NODELAY and the given
// timeout. A 2xx is delivered; 408, 429, 5xx and connection failures are retryable; other
// 4xx are not. Not thread-safe: each receiver's worker thread owns one.
class JsonPoster final {
public:
    JsonPoster(const std::string& url, std::int64_t timeout_ms);
    ~JsonPoster();
    JsonPoster(const JsonPoster&) = delete;
    JsonPoster& operator=(const JsonPoster&) = delete;

    alerts::SendResult post(const std::string& body);

private:
    struct Client;
    std::unique_ptr<Client> client_;
    std::string path_;
};

}  // namespace terrain::webhooks
