#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "core/http.h"

namespace prometheus {
class Registry;
}

namespace terrain::webhooks {

using core::HttpRequest;
using core::HttpResponse;

// The inbound HTTP/1.1 server (Boost.Beast over Asio). Handlers run on the I/O threads and must
// not block for long; connections are multiplexed over the threads (not one connection per
// thread), keep-alive is unlimited, TCP_NODELAY is set on every connection, reads go 64 KiB at a
// time, a body over `max_body_bytes` gets 413, and "Expect: 100-continue" is answered.
//
// The doors it keeps for every route, before any handler runs:
// - framing: a Transfer-Encoding other than exactly "chunked", a Transfer-Encoding beside a
//   Content-Length, or a repeated Content-Length, Transfer-Encoding or Host is 400 (a proxy in
//   front might frame the request differently: request smuggling);
// - Host: a request naming a host other than a loopback name, the listen address or one of
//   `hosts` is 421 (DNS rebinding: a page of another site whose name resolves to 127.0.0.1);
// - cross-origin writes: a POST, PUT, PATCH or DELETE that a browser marks as coming from
//   another site (Sec-Fetch-Site cross-site or same-site, or an Origin other than the Host) is
//   403, so a page of another origin cannot act through the browser of a person at the inbox;
// - connections: at most `max_connections` open at once (more wait in the kernel's backlog);
//   a failing accept (out of file descriptors) backs off from 10 ms to 1 s, is counted and is
//   logged at most once a minute.
// Thread-safe: route() before start(), replace_routes() and stop() from any thread.
class HttpServer final {
public:
    struct Options {
        std::string host = "127.0.0.1";
        std::uint16_t port = 0;
        int threads = 2;
        std::size_t max_body_bytes = 32 * 1024 * 1024;
        int idle_timeout_s = 120;
        std::size_t max_connections = 1024;
        std::vector<std::string> hosts;  // host names answered besides loopback and `host`
        // Where the server's own metrics go (terrain_http_*); none when null.
        prometheus::Registry* registry = nullptr;
    };
    using Handler = std::function<HttpResponse(const HttpRequest&)>;

    explicit HttpServer(Options options);
    ~HttpServer();
    HttpServer(const HttpServer&) = delete;
    HttpServer& operator=(const HttpServer&) = delete;

    // Exact path match; a path ending in '*' matches by prefix.
    void route(const std::string& method, const std::string& path, Handler handler);
    // Replaces every route at once with those added to `from` (a server never started): each
    // request is dispatched wholly by the old routes or wholly by the new. Returns once no
    // request is still in a handler of the old ones (what they use may then go).
    void replace_routes(HttpServer& from);
    // Answers `req` by the routes added to this server (one never started: a set of routes
    // another server's handler passes requests on to), as a started server would dispatch it.
    HttpResponse handle(const HttpRequest& req) const;
    // Every route, "METHOD /path" ("/prefix*" for a prefix), in the order they were added.
    std::vector<std::string> routes() const;
    // Binds and listens (connections wait in the backlog until start); returns the bound port
    // (useful with port 0). Throws std::runtime_error on failure. A host name is resolved.
    std::uint16_t bind();
    // Binds if not yet bound and starts serving; returns the bound port. Throws on failure.
    std::uint16_t start();
    void stop();

    std::uint64_t connections_accepted() const;
    std::uint64_t accept_failures() const;

    struct Impl;

private:
    std::unique_ptr<Impl> impl_;
};

// The IP address a listen host names (an address as it is, a name resolved); throws
// std::runtime_error naming the host when it does not resolve.
std::string resolve_listen_host(const std::string& host);

// Applies terrain's socket options to an accepted connection (TCP_NODELAY). Exposed for tests.
void configure_accepted_socket(int native_handle);

}  // namespace terrain::webhooks
