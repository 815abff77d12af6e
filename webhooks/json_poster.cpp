#include "webhooks/json_poster.h"

#include <httplib.h>

namespace terrain::webhooks {

struct JsonPoster::Client {
    explicit Client(const std::string& base) : http(base) {}
    httplib::Client http;
};

JsonPoster::JsonPoster(const std::string& url, std::int64_t timeout_ms) {
    // Split "http://host:port/path" into the client's base and the request path.
    auto scheme_end = url.find("://");
    auto path_start = url.find('/', scheme_end + 3);
    std::string base = url.substr(0, path_start);
    path_ = path_start == std::string::npos ? "/" : url.substr(path_start);
    client_ = std::make_unique<Client>(base);
    auto secs = timeout_ms / 1000;
    auto usecs = (timeout_ms % 1000) * 1000;
    client_->http.set_connection_timeout(secs, usecs);
    client_->http.set_read_timeout(secs, usecs);
    client_->http.set_write_timeout(secs, usecs);
    client_->http.set_tcp_nodelay(true);
    client_->http.set_keep_alive(true);
}

JsonPoster::~JsonPoster() = default;

alerts::SendResult JsonPoster::post(const std::string& body) {
    auto res = client_->http.Post(path_, body, "application/json");
    if (!res) {
        return {false, true, "request failed: " + httplib::to_string(res.error())};
    }
    if (res->status >= 200 && res->status < 300) {
        return {true, false, ""};
    }
    bool retryable = res->status == 408 || res->status == 429 || res->status >= 500;
    std::string detail = "HTTP " + std::to_string(res->status);
    if (!res->body.empty()) {
        detail += ": " + res->body.substr(0, 200);
    }
    return {false, retryable, detail};
}

}  // namespace terrain::webhooks
