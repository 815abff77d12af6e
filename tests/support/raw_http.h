#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <string>

namespace terrain::testing {

// A deliberately plain HTTP/1.1 client over one TCP connection, so tests control exactly
// what goes on the wire (keep-alive, pipelining, Expect: 100-continue).
class RawConnection final {
public:
    explicit RawConnection(std::uint16_t port) {
        fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in addr{};
        addr.sin_family = AF_INET;
        addr.sin_port = htons(port);
        addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
            throw std::runtime_error("connect failed");
        }
        timeval tv{10, 0};
        ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    }
    ~RawConnection() { ::close(fd_); }
    RawConnection(const RawConnection&) = delete;
    RawConnection& operator=(const RawConnection&) = delete;

    void send_all(const std::string& data) {
        std::size_t off = 0;
        while (off < data.size()) {
            auto n = ::send(fd_, data.data() + off, data.size() - off, MSG_NOSIGNAL);
            if (n <= 0) {
                throw std::runtime_error("send failed");
            }
            off += static_cast<std::size_t>(n);
        }
    }

    struct Response {
        int status = 0;
        std::string head;
        std::string body;
    };

    // Reads one response; status 0 when the connection closed or timed out first.
    Response read_response() {
        Response r;
        std::size_t header_end;
        while ((header_end = buf_.find("\r\n\r\n")) == std::string::npos) {
            if (!fill()) {
                return r;
            }
        }
        r.head = buf_.substr(0, header_end);
        r.status = std::stoi(r.head.substr(9, 3));
        std::size_t len = 0;
        auto cl = lower(r.head).find("content-length:");
        if (cl != std::string::npos) {
            len = std::stoul(r.head.substr(cl + 15));
        }
        buf_.erase(0, header_end + 4);
        while (buf_.size() < len) {
            if (!fill()) {
                return Response{};
            }
        }
        r.body = buf_.substr(0, len);
        buf_.erase(0, len);
        return r;
    }

    static std::string post(const std::string& path, const std::string& body) {
        return "POST " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    }
    static std::string get(const std::string& path) {
        return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    }

private:
    static std::string lower(std::string s) {
        for (auto& c : s) {
            c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        }
        return s;
    }
    bool fill() {
        char tmp[65536];
        auto n = ::recv(fd_, tmp, sizeof tmp, 0);
        if (n <= 0) {
            return false;
        }
        buf_.append(tmp, static_cast<std::size_t>(n));
        return true;
    }
    int fd_ = -1;
    std::string buf_;
};

}  // namespace terrain::testing
