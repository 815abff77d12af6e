#include <gtest/gtest.h>
#include <netinet/tcp.h>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

#include "tests/support/raw_http.h"
#include "webhooks/http_server.h"

namespace terrain::webhooks {
namespace {

using testing::RawConnection;

std::unique_ptr<HttpServer> echo_server(std::size_t max_body, std::uint16_t& port) {
    HttpServer::Options o;
    o.threads = 2;
    o.max_body_bytes = max_body;
    auto s = std::make_unique<HttpServer>(o);
    s->route("POST", "/echo-length", [](const HttpRequest& r) {
        return HttpResponse::json(200, "{\"bytes\":" + std::to_string(r.body.size()) + "}");
    });
    s->route("GET", "/ping", [](const HttpRequest&) { return HttpResponse::json(200, "{}"); });
    port = s->start();
    return s;
}

// Trap: a server that serves one connection per pool thread leaves most of 16 keep-alive
// connections unanswered with 2 threads.
TEST(HttpServerTest, SixteenKeepAliveConnectionsOnTwoThreadsAreAllServed) {
    std::uint16_t port = 0;
    auto server = echo_server(1 << 20, port);
    std::vector<std::unique_ptr<RawConnection>> conns;
    for (int i = 0; i < 16; ++i) {
        conns.push_back(std::make_unique<RawConnection>(port));
    }
    for (int round = 0; round < 3; ++round) {
        for (auto& c : conns) {
            c->send_all(RawConnection::get("/ping"));
        }
        for (auto& c : conns) {
            EXPECT_EQ(c->read_response().status, 200) << "round " << round;
        }
    }
    EXPECT_EQ(server->connections_accepted(), 16U);
}

// A reload swaps every route at once while requests keep coming: each request is answered
// wholly by the old routes or wholly by the new, none fails, and once replace_routes returns no
// old handler is running or will run (what they use may go).
TEST(HttpServerTest, ReplacingRoutesUnderLoadAnswersEveryRequestByOneSetOrTheOther) {
    std::uint16_t port = 0;
    auto server = echo_server(1 << 20, port);
    std::atomic<bool> stop{false};
    std::atomic<int> old_after_swap{0};
    std::atomic<bool> swapped{false};
    std::atomic<int> answered{0};
    std::vector<std::thread> clients;
    for (int t = 0; t < 4; ++t) {
        clients.emplace_back([&] {
            RawConnection c(port);
            while (!stop) {
                const bool was_swapped = swapped.load();  // sent after replace_routes returned
                c.send_all(RawConnection::get("/ping"));
                const auto r = c.read_response();
                if (r.status != 200 && r.status != 201) {
                    ADD_FAILURE() << "status " << r.status;
                    return;
                }
                if (was_swapped && r.status == 200) {
                    ++old_after_swap;
                }
                ++answered;
            }
        });
    }
    while (answered < 200) {
        std::this_thread::yield();
    }
    HttpServer next({});
    next.route("GET", "/ping", [](const HttpRequest&) { return HttpResponse::json(201, "{}"); });
    server->replace_routes(next);
    swapped = true;
    const int at_swap = answered;
    while (answered < at_swap + 200) {
        std::this_thread::yield();
    }
    stop = true;
    for (auto& c : clients) {
        c.join();
    }
    EXPECT_EQ(old_after_swap, 0);
    EXPECT_EQ(server->routes(), std::vector<std::string>{"GET /ping"});
}

// Trap: a keep-alive limit of 5 requests per connection forces reconnects under load.
TEST(HttpServerTest, KeepAliveHasNoRequestLimit) {
    std::uint16_t port = 0;
    auto server = echo_server(1 << 20, port);
    RawConnection c(port);
    for (int i = 0; i < 200; ++i) {
        c.send_all(RawConnection::post("/echo-length", "[1,2,3]"));
        auto r = c.read_response();
        ASSERT_EQ(r.status, 200) << "request " << i;
        ASSERT_EQ(r.head.find("Connection: close"), std::string::npos);
    }
    EXPECT_EQ(server->connections_accepted(), 1U);
}

// Trap: without TCP_NODELAY a response written in two segments waits for the client's
// delayed ACK (40 ms on Linux).
TEST(HttpServerTest, AcceptedSocketsGetTcpNoDelay) {
    int listener = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    ASSERT_EQ(::listen(listener, 1), 0);
    socklen_t len = sizeof addr;
    ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len);
    RawConnection client(ntohs(addr.sin_port));
    int accepted = ::accept(listener, nullptr, nullptr);
    int flag = 0;
    len = sizeof flag;
    ::getsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &flag, &len);
    EXPECT_EQ(flag, 0);
    configure_accepted_socket(accepted);
    ::getsockopt(accepted, IPPROTO_TCP, TCP_NODELAY, &flag, &len);
    EXPECT_NE(flag, 0);
    ::close(accepted);
    ::close(listener);
}

// Trap: Beast's defaults cap bodies at 1 MiB; SendGrid batches and replays are larger.
TEST(HttpServerTest, LargeBodiesUpToTheLimitAnd413Beyond) {
    std::uint16_t port = 0;
    auto server = echo_server(24 << 20, port);
    std::string big(20 << 20, 'x');
    RawConnection c(port);
    c.send_all(RawConnection::post("/echo-length", big));
    auto ok = c.read_response();
    EXPECT_EQ(ok.status, 200);
    EXPECT_EQ(ok.body, "{\"bytes\":" + std::to_string(big.size()) + "}");
    RawConnection c2(port);
    // Refused from the Content-Length alone, before the body is read.
    c2.send_all("POST /echo-length HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: " +
                std::to_string(25 << 20) + "\r\n\r\n");
    auto too_big = c2.read_response();
    EXPECT_EQ(too_big.status, 413);
    EXPECT_NE(too_big.body.find("body_too_large"), std::string::npos);
}

TEST(HttpServerTest, ExpectContinueIsAnswered) {
    std::uint16_t port = 0;
    auto server = echo_server(1 << 20, port);
    RawConnection c(port);
    c.send_all("POST /echo-length HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 4\r\n"
               "Expect: 100-continue\r\n\r\n");
    auto cont = c.read_response();
    EXPECT_EQ(cont.status, 100);
    c.send_all("abcd");
    auto r = c.read_response();
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "{\"bytes\":4}");
}

TEST(HttpServerTest, UnknownPathAndWrongMethod) {
    std::uint16_t port = 0;
    auto server = echo_server(1 << 20, port);
    RawConnection c(port);
    c.send_all(RawConnection::get("/nope"));
    EXPECT_EQ(c.read_response().status, 404);
    c.send_all(RawConnection::get("/echo-length"));
    EXPECT_EQ(c.read_response().status, 405);
    c.send_all("BLAH\r\n\r\n");
    EXPECT_EQ(c.read_response().status, 400);
}

}  // namespace
}  // namespace terrain::webhooks
