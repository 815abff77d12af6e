#pragma once

#include <httplib.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <vector>

namespace terrain::testing {

// A local HTTP server standing in for a team's alert webhook: records every JSON body POSTed
// to /alerts and answers 200.
class HttpSink final {
public:
    // On `port`, or on any free port when 0.
    explicit HttpSink(int port = 0) {
        server_.Post("/alerts", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            received_.push_back(nlohmann::json::parse(req.body));
            res.status = 200;
        });
        port_ = port == 0 ? server_.bind_to_any_port("127.0.0.1")
                          : (server_.bind_to_port("127.0.0.1", port) ? port : -1);
        if (port_ <= 0) {
            return;  // the port is taken: port() says -1
        }
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) {
            std::this_thread::yield();  // a stop() before listening starts would be missed
        }
    }
    ~HttpSink() {
        server_.stop();
        if (thread_.joinable()) {
            thread_.join();
        }
    }
    HttpSink(const HttpSink&) = delete;
    HttpSink& operator=(const HttpSink&) = delete;

    int port() const { return port_; }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/alerts"; }
    std::vector<nlohmann::json> received() {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<nlohmann::json> received_;
};

}  // namespace terrain::testing
