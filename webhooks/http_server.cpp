#include "webhooks/http_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include <optional>

#include "monitor/log.h"

namespace terrain::webhooks {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

const std::string* HttpRequest::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) {
            return &v;
        }
    }
    return nullptr;
}

std::string HttpRequest::query_param(std::string_view name) const {
    std::string_view q = query;
    while (!q.empty()) {
        auto amp = q.find('&');
        auto part = q.substr(0, amp);
        auto eq = part.find('=');
        if (part.substr(0, eq) == name) {
            return eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1));
        }
        if (amp == std::string_view::npos) {
            break;
        }
        q.remove_prefix(amp + 1);
    }
    return "";
}

HttpResponse HttpResponse::json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

HttpResponse HttpResponse::error(int status, const std::string& reason,
                                 const std::string& message) {
    return json(status, nlohmann::json{{"error", reason}, {"message", message}}.dump());
}

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

struct HttpServer::Impl {
    Options options;
    asio::io_context ioc;
    std::optional<tcp::acceptor> acceptor;
    std::vector<std::thread> threads;
    std::vector<Route> routes;
    std::atomic<std::uint64_t> accepted{0};
    std::atomic<bool> running{false};

    explicit Impl(Options o) : options(std::move(o)), ioc(options.threads) {}

    HttpResponse dispatch(const HttpRequest& req) const {
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
                    monitor::log_error("http: handler for " + req.method + " " + req.path +
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
};

namespace {

class Session final : public std::enable_shared_from_this<Session> {
public:
    Session(tcp::socket socket, HttpServer::Impl& server)
        : stream_(std::move(socket)), server_(server) {
        beast::error_code ec;
        auto remote = stream_.socket().remote_endpoint(ec);
        if (!ec) {
            remote_address_ = remote.address().to_string();
        }
        // A default flat_buffer reads 512 bytes at a time; reserve so reads take 64 KiB.
        buffer_.reserve(64 * 1024);
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
        if (ec == http::error::body_limit) {
            HttpResponse r = HttpResponse::error(
                413, "body_too_large",
                "request body exceeds " + std::to_string(server_.options.max_body_bytes) +
                    " bytes (server.max_body_bytes)");
            return send(r, 11, false);
        }
        if (ec == http::error::header_limit) {
            return send(HttpResponse::error(431, "headers_too_large", "request headers too large"),
                        11, false);
        }
        if (&ec.category() == &http::make_error_code(http::error::bad_method).category() &&
            ec != http::error::end_of_stream && ec != http::error::partial_message) {
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
    acceptor->async_accept(asio::make_strand(ioc), [this](beast::error_code ec, tcp::socket s) {
        if (ec) {
            if (ec == asio::error::operation_aborted || !running.load()) {
                return;
            }
            monitor::log_warn("http: accept failed: " + ec.message());
        } else {
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

std::uint16_t HttpServer::start() {
    auto& o = impl_->options;
    beast::error_code ec;
    auto address = asio::ip::make_address(o.host, ec);
    if (ec) {
        throw std::runtime_error("listen address '" + o.host + "' is not an IP address");
    }
    tcp::endpoint endpoint(address, o.port);
    impl_->acceptor.emplace(impl_->ioc);
    impl_->acceptor->open(endpoint.protocol());
    impl_->acceptor->set_option(asio::socket_base::reuse_address(true));
    impl_->acceptor->bind(endpoint, ec);
    if (ec) {
        throw std::runtime_error("cannot listen on " + o.host + ":" + std::to_string(o.port) +
                                 ": " + ec.message());
    }
    impl_->acceptor->listen(asio::socket_base::max_listen_connections);
    std::uint16_t port = impl_->acceptor->local_endpoint().port();
    impl_->running = true;
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
    });
    impl_->ioc.stop();
    for (auto& t : impl_->threads) {
        t.join();
    }
    impl_->threads.clear();
}

std::uint64_t HttpServer::connections_accepted() const { return impl_->accepted.load(); }

}  // namespace terrain::webhooks
