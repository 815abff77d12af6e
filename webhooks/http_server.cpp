#include "webhooks/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <optional>
#include <tuple>

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include "core/log.h"
#include "core/url.h"

namespace terrain::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

void configure_accepted_socket(int fd) {
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

struct Route {
    std::string method;
    std::string path;
    bool prefix = false;
    HttpServer::Handler handler;
};

namespace {

std::string lowered(beast::string_view text) {
    std::string out(text);
    for (auto& c : out) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return out;
}

// "name:port" or "[v6]:port" -> (lower-cased name without brackets, port or "").
std::pair<std::string, std::string> split_host(std::string_view host) {
    std::string_view name = host;
    std::string_view port;
    if (!host.empty() && host.front() == '[') {
        const auto close = host.find(']');
        name = host.substr(1, close == std::string_view::npos ? host.size() : close - 1);
        if (close != std::string_view::npos && close + 1 < host.size() && host[close + 1] == ':') {
            port = host.substr(close + 2);
        }
    } else if (const auto colon = host.rfind(':'); colon != std::string_view::npos) {
        name = host.substr(0, colon);
        port = host.substr(colon + 1);
    }
    return {std::string(name), std::string(port)};
}

bool is_unsafe(http::verb method) {
    return method != http::verb::get && method != http::verb::head &&
           method != http::verb::options;
}

}  // namespace

struct HttpServer::Impl {
    Options options;
    // Sessions left when the server stops are destroyed with ioc and count themselves out:
    // what they touch is declared before it.
    std::atomic<std::size_t> open{0};
    prometheus::Gauge* open_metric = nullptr;
    asio::io_context ioc;
    std::optional<tcp::acceptor> acceptor;
    std::optional<asio::steady_timer> accept_timer;
    std::vector<std::thread> threads;
    std::vector<Route> routes;  // added before start
    // What requests are dispatched by: `routes` from start, replaced whole by replace_routes.
    // A plain mutex around the pointer (held for a copy): std::atomic<std::shared_ptr>'s lock
    // bit is invisible to ThreadSanitizer.
    mutable std::mutex table_mutex;
    std::shared_ptr<const std::vector<Route>> table;
    std::shared_ptr<const std::vector<Route>> current() const {
        std::lock_guard lock(table_mutex);
        return table;
    }
    std::shared_ptr<const std::vector<Route>> exchange(std::shared_ptr<const std::vector<Route>> next) {
        std::lock_guard lock(table_mutex);
        std::swap(table, next);
        return next;
    }
    std::vector<std::string> hosts;  // every name a request may address, lower-cased
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<std::uint64_t> accept_failed{0};
    std::atomic<bool> running{false};
    int accept_backoff_ms = 0;
    std::chrono::steady_clock::time_point last_accept_log{};
    prometheus::Counter* accept_failures_metric = nullptr;
    prometheus::Family<prometheus::Counter>* refused_metric = nullptr;

    explicit Impl(Options o) : options(std::move(o)), ioc(options.threads) {
        hosts = {"localhost", "127.0.0.1", "::1", lowered(beast::string_view(options.host))};
        for (const auto& h : options.hosts) {
            hosts.push_back(lowered(beast::string_view(h)));
        }
        if (options.registry != nullptr) {
            auto& r = *options.registry;
            accept_failures_metric =
                &prometheus::BuildCounter()
                     .Name("terrain_http_accept_failures_total")
                     .Help("Connections terrain could not accept (e.g. out of file descriptors)")
                     .Register(r)
                     .Add({});
            open_metric = &prometheus::BuildGauge()
                               .Name("terrain_http_connections_open")
                               .Help("HTTP connections open now (at most server.max_connections)")
                               .Register(r)
                               .Add({});
            refused_metric = &prometheus::BuildCounter()
                                  .Name("terrain_http_refused_total")
                                  .Help("Requests refused before any route saw them, by reason")
                                  .Register(r);
            for (const char* reason : {"bad_framing", "misdirected_host", "cross_origin"}) {
                refused_metric->Add({{"reason", reason}});
            }
        }
    }

    // The doors every request passes before a route sees it (see HttpServer); nullopt: pass.
    std::optional<HttpResponse> door(const http::request_parser<http::string_body>::value_type&
                                         req) const {
        auto refuse = [&](int status, const char* reason, const std::string& message) {
            if (refused_metric != nullptr) {
                refused_metric->Add({{"reason", reason}}).Increment();
            }
            return HttpResponse::error(status, reason, message);
        };
        const auto te = req.count(http::field::transfer_encoding);
        const auto cl = req.count(http::field::content_length);
        if (te > 1 || cl > 1 || req.count(http::field::host) > 1) {
            return refuse(400, "bad_framing",
                          "repeated Transfer-Encoding, Content-Length or Host header");
        }
        if (te == 1) {
            const auto value = lowered(req[http::field::transfer_encoding]);
            if (value != "chunked") {
                return refuse(400, "bad_framing",
                              "Transfer-Encoding must be exactly 'chunked' (got '" +
                                  value.substr(0, 64) + "')");
            }
            if (cl == 1) {
                return refuse(400, "bad_framing",
                              "a request may not carry both Transfer-Encoding and Content-Length");
            }
        }
        const auto host_header = req[http::field::host];
        std::string host_name;
        std::string host_port;
        if (!host_header.empty()) {
            std::tie(host_name, host_port) =
                split_host(std::string_view(host_header.data(), host_header.size()));
            host_name = lowered(host_name);
            const bool known = std::find(hosts.begin(), hosts.end(), host_name) != hosts.end() ||
                               std::find(hosts.begin(), hosts.end(), "*") != hosts.end() ||
                               host_name.rfind("127.", 0) == 0;
            if (!known) {
                return refuse(421, "misdirected_host",
                              "this terrain does not answer to the host '" +
                                  host_name.substr(0, 128) +
                                  "'; add it to server.hosts if it is terrain's public name");
            }
        }
        if (!is_unsafe(req.method())) {
            return std::nullopt;
        }
        const auto site = lowered(req["Sec-Fetch-Site"]);
        if (site == "cross-site" || site == "same-site") {
            return refuse(403, "cross_origin",
                          "a page of another site may not change anything here (Sec-Fetch-Site: " +
                              site + ")");
        }
        const auto origin = req[http::field::origin];
        if (!origin.empty()) {
            const auto url = core::parse_url(std::string_view(origin.data(), origin.size()));
            const bool same = url.ok() && url.value().host == host_name &&
                              (host_port.empty() || std::to_string(url.value().port) == host_port);
            if (!same) {
                return refuse(403, "cross_origin",
                              "a page of another origin may not change anything here (Origin: " +
                                  std::string(origin.substr(0, 128)) + ")");
            }
        }
        return std::nullopt;
    }

    HttpResponse dispatch(const HttpRequest& req) const {
        const auto in_use = current();  // kept until the handler returns (replace_routes)
        return dispatch_in(*in_use, req);
    }

    static HttpResponse dispatch_in(const std::vector<Route>& routes, const HttpRequest& req) {
        bool path_known = false;
        for (const auto& r : routes) {
            bool match = r.prefix ? req.path.rfind(r.path, 0) == 0 : req.path == r.path;
            if (!match) {
                continue;
            }
            path_known = true;
            if (r.method == req.method) {
                try {
                    return r.handler(req);
                } catch (const std::exception& e) {
                    core::log_error("http: handler for " + req.method + " " + req.path +
                                       " failed: " + e.what());
                    return HttpResponse::error(500, "internal", "internal error; see the log");
                }
            }
        }
        if (path_known) {
            return HttpResponse::error(405, "method_not_allowed",
                                       req.method + " is not allowed on " + req.path);
        }
        return HttpResponse::error(404, "not_found", "no such endpoint: " + req.path);
    }

    void do_accept();
    void do_accept_now();
};

namespace {

class Session final : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, HttpServer::Impl& server)
        : stream_(std::move(socket)), server_(server) {
        server_.open.fetch_add(1);
        if (server_.open_metric != nullptr) {
            server_.open_metric->Increment();
        }
        beast::error_code ec;
        auto remote = stream_.socket().remote_endpoint(ec);
        if (!ec) {
            remote_address_ = remote.address().to_string();
        }
        // A default flat_buffer reads 512 bytes at a time; reserve so reads take 64 KiB.
        buffer_.reserve(64 * 1024);
    }

    ~Session() {
        server_.open.fetch_sub(1);
        if (server_.open_metric != nullptr) {
            server_.open_metric->Decrement();
        }
    }

    void start() {
        asio::dispatch(stream_.get_executor(),
                       beast::bind_front_handler(&Session::read_header, shared_from_this()));
    }

private:
    void read_header() {
        parser_.emplace();
        parser_->body_limit(server_.options.max_body_bytes);
        parser_->header_limit(64 * 1024);
        stream_.expires_after(std::chrono::seconds(server_.options.idle_timeout_s));
        http::async_read_header(
            stream_, buffer_, *parser_,
            beast::bind_front_handler(&Session::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) {
            return fail(ec);
        }
        auto& req = parser_->get();
        if (auto refused = server_.door(req)) {
            return send(*refused, req.version(), false);
        }
        if (beast::iequals(req[http::field::expect], "100-continue")) {
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_,
                                                                          req.version());
            http::async_write(stream_, *cont,
                              [self = shared_from_this(), cont](beast::error_code wec,
                                                                std::size_t) {
                                  if (wec) {
                                      return self->close();
                                  }
                                  self->read_body();
                              });
            return;
        }
        read_body();
    }

    void read_body() {
        http::async_read(stream_, buffer_, *parser_,
                         beast::bind_front_handler(&Session::on_read, shared_from_this()));
    }

    void on_read(beast::error_code ec, std::size_t) {
        if (ec) {
            return fail(ec);
        }
        auto& msg = parser_->get();
        HttpRequest req;
        req.method = std::string(msg.method_string());
        std::string_view target(msg.target().data(), msg.target().size());
        auto q = target.find('?');
        req.path = std::string(target.substr(0, q));
        if (q != std::string_view::npos) {
            req.query = std::string(target.substr(q + 1));
        }
        req.headers.reserve(8);
        for (const auto& f : msg) {
            std::string name(f.name_string());
            for (auto& c : name) {
                c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
            }
            req.headers.emplace_back(std::move(name), std::string(f.value()));
        }
        req.body = std::move(msg.body());
        req.remote_address = remote_address_;
        HttpResponse res = server_.dispatch(req);
        send(res, msg.version(), msg.keep_alive());
    }

    void send(const HttpResponse& res, unsigned version, bool keep_alive) {
        auto out = std::make_shared<http::response<http::string_body>>(
            static_cast<http::status>(res.status), version);
        out->set(http::field::server, "terrain");
        out->set(http::field::content_type, res.content_type);
        for (const auto& [k, v] : res.headers) {
            out->set(k, v);
        }
        out->body() = res.body;
        out->keep_alive(keep_alive);
        out->prepare_payload();
        http::async_write(stream_, *out,
                          [self = shared_from_this(), out](beast::error_code ec, std::size_t) {
                              if (ec || !out->keep_alive()) {
                                  return self->close();
                              }
                              self->read_header();
                          });
    }

    void fail(beast::error_code ec) {
        // Only the parser's own errors are answered; any other (a reset connection, a timeout)
        // just closes. Compared by category and value, so no other category is called into.
        if (&ec.category() != &http::make_error_code(http::error::body_limit).category()) {
            return close();
        }
        const auto error = static_cast<http::error>(ec.value());
        if (error == http::error::body_limit) {
            HttpResponse r = HttpResponse::error(
                413, "body_too_large",
                "request body exceeds " + std::to_string(server_.options.max_body_bytes) +
                    " bytes (server.max_body_bytes)");
            return send(r, 11, false);
        }
        if (error == http::error::header_limit) {
            return send(HttpResponse::error(431, "headers_too_large", "request headers too large"),
                        11, false);
        }
        if (error != http::error::end_of_stream && error != http::error::partial_message) {
            return send(HttpResponse::error(400, "bad_request", "malformed HTTP request: " +
                                                                    ec.message()),
                        11, false);
        }
        close();
    }

    void close() {
        beast::error_code ec;
        stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
        stream_.socket().close(ec);
    }

    beast::tcp_stream stream_;
    beast::flat_buffer buffer_;
    HttpServer::Impl& server_;
    std::optional<http::request_parser<http::string_body>> parser_;
    std::string remote_address_;
};

}  // namespace

void HttpServer::Impl::do_accept() {
    if (!running.load()) {
        return;
    }
    // At the connection cap, or backing off after a failed accept: look again shortly (new
    // connections wait in the kernel's backlog meanwhile).
    const bool full = open.load() >= options.max_connections;
    if (full || accept_backoff_ms > 0) {
        accept_timer->expires_after(std::chrono::milliseconds(full ? 10 : accept_backoff_ms));
        accept_timer->async_wait([this](beast::error_code ec) {
            if (ec != asio::error::operation_aborted) {
                do_accept_now();
            }
        });
        return;
    }
    do_accept_now();
}

void HttpServer::Impl::do_accept_now() {
    if (!running.load()) {
        return;
    }
    if (open.load() >= options.max_connections) {
        return do_accept();
    }
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
        if (ec) {
            // Compared by value, and described with strerror: boost's system category is not
            // called through (UBSan's vptr check rejects its header-only object).
            if (ec.value() == asio::error::operation_aborted || !running.load()) {
                return;
            }
            accept_failed.fetch_add(1, std::memory_order_relaxed);
            if (accept_failures_metric != nullptr) {
                accept_failures_metric->Increment();
            }
            accept_backoff_ms = std::clamp(accept_backoff_ms * 2, 10, 1000);
            const auto now = std::chrono::steady_clock::now();
            if (now - last_accept_log >= std::chrono::minutes(1)) {
                last_accept_log = now;
                core::log_warn("http: accept failed: " + std::string(std::strerror(ec.value())) +
                                  " (" +
                                  std::to_string(accept_failed.load()) +
                                  " failures so far; retrying with back-off, logged at most "
                                  "once a minute)");
            }
        } else {
            accept_backoff_ms = 0;
            accepted.fetch_add(1, std::memory_order_relaxed);
            configure_accepted_socket(s.native_handle());
            std::make_shared<Session>(std::move(s), *this)->start();
        }
        do_accept();
    });
}

HttpServer::HttpServer(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}

HttpServer::~HttpServer() { stop(); }

void HttpServer::route(const std::string& method, const std::string& path, Handler handler) {
    Route r;
    r.method = method;
    r.prefix = !path.empty() && path.back() == '*';
    r.path = r.prefix ? path.substr(0, path.size() - 1) : path;
    r.handler = std::move(handler);
    impl_->routes.push_back(std::move(r));
}

void HttpServer::replace_routes(HttpServer& from) {
    std::weak_ptr<const std::vector<Route>> old =
        impl_->exchange(std::make_shared<const std::vector<Route>>(std::move(from.impl_->routes)));
    while (!old.expired()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
}

HttpResponse HttpServer::handle(const HttpRequest& req) const {
    return Impl::dispatch_in(impl_->routes, req);
}

std::vector<std::string> HttpServer::routes() const {
    std::vector<std::string> out;
    const auto in_use = impl_->current();
    for (const auto& r : in_use ? *in_use : impl_->routes) {
        out.push_back(r.method + " " + r.path + (r.prefix ? "*" : ""));
    }
    return out;
}

std::string resolve_listen_host(const std::string& host) {
    beast::error_code ec;
    const auto address = asio::ip::make_address(host, ec);
    if (!ec) {
        return address.to_string();
    }
    asio::io_context ioc;
    tcp::resolver resolver(ioc);
    const auto found = resolver.resolve(host, "0", tcp::resolver::numeric_service, ec);
    if (ec || found.empty()) {
        throw std::runtime_error("cannot resolve the listen host '" + host + "'" +
                                 (ec ? ": " + ec.message() : ""));
    }
    return found.begin()->endpoint().address().to_string();
}

std::uint16_t HttpServer::bind() {
    auto& o = impl_->options;
    if (impl_->acceptor) {
        return impl_->acceptor->local_endpoint().port();
    }
    beast::error_code ec;
    tcp::endpoint endpoint(asio::ip::make_address(resolve_listen_host(o.host)), o.port);
    impl_->acceptor.emplace(impl_->ioc);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                 ": " + ec.message());
    }
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
    return impl_->acceptor->local_endpoint().port();
}

std::uint16_t HttpServer::start() {
    auto& o = impl_->options;
    const std::uint16_t port = bind();
    impl_->exchange(std::make_shared<const std::vector<Route>>(std::move(impl_->routes)));
    impl_->running = true;
    impl_->accept_timer.emplace(asio::make_strand(impl_->ioc));
    impl_->do_accept();
    for (int i = 0; i < o.threads; ++i) {
        impl_->threads.emplace_back([this] { impl_->ioc.run(); });
    }
    return port;
}

void HttpServer::stop() {
    if (!impl_->running.exchange(false)) {
        return;
    }
    asio::post(impl_->ioc, [this] {
        beast::error_code ec;
        impl_->acceptor->close(ec);
        impl_->accept_timer->cancel();
    });
    impl_->ioc.stop();
    for (auto& t : impl_->threads) {
        t.join();
    }
    impl_->threads.clear();
}

std::uint64_t HttpServer::connections_accepted() const { return impl_->accepted.load(); }

std::uint64_t HttpServer::accept_failures() const { return impl_->accept_failed.load(); }

}  // namespace terrain::webhooks
