#include "webhooks/webhook_receiver.h"

#include <httplib.h>

namespace terrain::webhooks {

struct WebhookReceiver::Client {
    explicit Client(const std::string& base) : http(base) {}
    httplib::Client http;
};

WebhookReceiver::WebhookReceiver(const monitor::ReceiverConfig& config) : config_(config) {
    // Split "http://host:port/path" into the client's base and the request path.
    auto scheme_end = config_.url.find("://");
    auto path_start = config_.url.find('/', scheme_end + 3);
    std::string base = config_.url.substr(0, path_start);
    path_ = path_start == std::string::npos ? "/" : config_.url.substr(path_start);
    client_ = std::make_unique<Client>(base);
    auto secs = config_.timeout_ms / 1000;
    auto usecs = (config_.timeout_ms % 1000) * 1000;
    client_->http.set_connection_timeout(secs, usecs);
    client_->http.set_read_timeout(secs, usecs);
    client_->http.set_write_timeout(secs, usecs);
    client_->http.set_tcp_nodelay(true);
    client_->http.set_keep_alive(true);
}

WebhookReceiver::~WebhookReceiver() = default;

alerts::SendResult WebhookReceiver::send(const alerts::Notification& n) {
    nlohmann::json body = {
        {"version", "1"}, {"transition", n.transition}, {"alert", alerts::to_json(n.alert)}};
    auto res = client_->http.Post(path_, body.dump(), "application/json");
    if (!res) {
        return {false, true, "request failed: " + httplib::to_string(res.error())};
    }
    if (res->status >= 200 && res->status < 300) {
        return {true, false, ""};
    }
    bool retryable = res->status == 408 || res->status == 429 || res->status >= 500;
    return {false, retryable, "HTTP " + std::to_string(res->status)};
}

}  // namespace terrain::webhooks
