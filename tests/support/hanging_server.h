#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

namespace terrain::testing {

// A TCP server that takes connections and then either never answers or answers one byte a
// second: the peers that used to hold terrain's workers and its shutdown.
class HangingServer final {
public:
    enum class Mode { kSilent, kTrickle };
    explicit HangingServer(Mode mode) : mode_(mode) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
        socklen_t len = sizeof addr;
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
        port_ = ntohs(addr.sin_port);
        ::listen(fd_, 64);
        thread_ = std::thread([this] { run(); });
    }
    ~HangingServer() {
        stopping_ = true;
        ::shutdown(fd_, SHUT_RDWR);
        ::close(fd_);
        thread_.join();
        for (auto& t : peers_) {
            t.join();
        }
    }
    int port() const { return port_; }
    int connections() const { return connections_.load(); }

private:
    void run() {
        for (;;) {
            const int c = ::accept(fd_, nullptr, nullptr);
            if (c < 0) {
                return;
            }
            ++connections_;
            peers_.emplace_back([this, c] {
                const std::string answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
                for (std::size_t i = 0; !stopping_; ++i) {
                    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
                    if (mode_ == Mode::kTrickle && i < answer.size() - 1) {
                        ::send(c, answer.data() + i, 1, MSG_NOSIGNAL);
                    }
                }
                ::close(c);
            });
        }
    }
    Mode mode_;
    int fd_ = -1;
    int port_ = 0;
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    std::thread thread_;
    std::vector<std::thread> peers_;
};

}  // namespace terrain::testing
