#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace terrain::webhooks {

struct HttpRequest {
    std::string method;
    std::string path;
    std::string query;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string remote_address;

    const std::string* header(std::string_view lower_name) const;
    std::string query_param(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static HttpResponse json(int status, std::string body);
    // {"error": reason, "message": message, ...extra}
    static HttpResponse error(int status, const std::string& reason, const std::string& message);
};

// The inbound HTTP/1.1 server (Boost.Beast over Asio). Handlers run on the I/O threads and must
// not block for long; every connection is served (connections are multiplexed over the threads,
// not one connection per thread), keep-alive is unlimited, TCP_NODELAY is set on every
// connection, reads go 64 KiB at a time, a body over `max_body_bytes` gets 413, and
// "Expect: 100-continue" is answered. Thread-safe: route() before start(), stop() from any
// thread.
class HttpServer final {
public:
    struct Options {
        std::string host = "127.0.0.1";
        std::uint16_t port = 0;
        int threads = 2;
        std::size_t max_body_bytes = 32 * 1024 * 1024;
        int idle_timeout_s = 120;
    };
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    explicit HttpServer(Options options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Exact path match; a path ending in '*' matches by prefix.
    void route(const std::string& method, const std::string& path, Handler handler);
    // Binds and starts serving; returns the bound port (useful with port 0). Throws on failure.
    std::uint16_t start();
    void stop();

    std::uint64_t connections_accepted() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// Applies terrain's socket options to an accepted connection (TCP_NODELAY). Exposed for tests.
void configure_accepted_socket(int native_handle);

}  // namespace terrain::webhooks
