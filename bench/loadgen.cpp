// terrain_loadgen: drives POST /ingest/sendgrid over keep-alive connections and reports
// throughput and latency.
//
//   build/terrain_loadgen --target 127.0.0.1:8686 --connections 2 --batch 1000 --seconds 10
//   build/terrain_loadgen --target 127.0.0.1:8686 --connections 16 --batch 1 --seconds 10
//
// One thread per connection, each with its own SendgridPayload whose ids never repeat, so
// every event is new to terrain (no de-duplication shortcut).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "bench/sendgrid_payload.h"

namespace {

struct Options {
    std::string host = "127.0.0.1";
    int port = 8686;
    int connections = 2;
    std::size_t batch = 1000;
    double seconds = 10;
    std::string path = "/ingest/sendgrid";
};

struct Result {
    std::vector<std::uint32_t> latency_us;
    std::uint64_t ok = 0;
    std::uint64_t busy = 0;
    std::uint64_t other = 0;
};

int connect_to(const Options& o) {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<std::uint16_t>(o.port));
    ::inet_pton(AF_INET, o.host.c_str(), &addr.sin_addr);
    if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
        std::perror("connect");
        std::exit(1);
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

// Reads one HTTP response and returns its status code (0 on a closed connection).
int read_response(int fd, std::string& buf) {
    std::size_t header_end;
    char tmp[16384];
    while ((header_end = buf.find("\r\n\r\n")) == std::string::npos) {
        auto n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) {
            return 0;
        }
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    int status = std::atoi(buf.c_str() + 9);
    std::size_t len = 0;
    const char* cl = strcasestr(buf.c_str(), "content-length:");
    if (cl != nullptr && cl < buf.c_str() + header_end) {
        len = std::strtoul(cl + 15, nullptr, 10);
    }
    while (buf.size() < header_end + 4 + len) {
        auto n = ::recv(fd, tmp, sizeof tmp, 0);
        if (n <= 0) {
            return 0;
        }
        buf.append(tmp, static_cast<std::size_t>(n));
    }
    buf.erase(0, header_end + 4 + len);
    return status;
}

void drive(const Options& o, int index, std::chrono::steady_clock::time_point until, Result& r) {
    const auto now_s = std::chrono::duration_cast<std::chrono::seconds>(
                           std::chrono::system_clock::now().time_since_epoch())
                           .count();
    terrain::bench::SendgridPayload payload(o.batch, now_s - 3600);
    std::uint64_t counter = (static_cast<std::uint64_t>(index) << 44) |
                            (static_cast<std::uint64_t>(now_s & 0xffff) << 28);
    int fd = connect_to(o);
    std::string buf;
    std::string request;
    while (std::chrono::steady_clock::now() < until) {
        const std::string& body = payload.next(counter);
        request = "POST " + o.path + " HTTP/1.1\r\nHost: " + o.host +
                  "\r\nContent-Type: application/json\r\nContent-Length: " +
                  std::to_string(body.size()) + "\r\n\r\n";
        request += body;
        auto t0 = std::chrono::steady_clock::now();
        std::size_t off = 0;
        while (off < request.size()) {
            auto n = ::send(fd, request.data() + off, request.size() - off, MSG_NOSIGNAL);
            if (n <= 0) {
                std::perror("send");
                return;
            }
            off += static_cast<std::size_t>(n);
        }
        int status = read_response(fd, buf);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(
                      std::chrono::steady_clock::now() - t0)
                      .count();
        r.latency_us.push_back(static_cast<std::uint32_t>(us));
        if (status == 200) {
            ++r.ok;
        } else if (status == 503 || status == 429) {
            ++r.busy;
        } else {
            ++r.other;
            if (status == 0) {
                ::close(fd);
                fd = connect_to(o);
                buf.clear();
            }
        }
    }
    ::close(fd);
}

}  // namespace

int main(int argc, char** argv) {
    Options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string k = argv[i];
        std::string v = argv[i + 1];
        if (k == "--target") {
            auto c = v.rfind(':');
            o.host = v.substr(0, c);
            o.port = std::stoi(v.substr(c + 1));
        } else if (k == "--connections") {
            o.connections = std::stoi(v);
        } else if (k == "--batch") {
            o.batch = std::stoul(v);
        } else if (k == "--seconds") {
            o.seconds = std::stod(v);
        } else if (k == "--path") {
            o.path = v;
        } else {
            std::fprintf(stderr, "unknown option %s\n", k.c_str());
            return 2;
        }
    }
    std::vector<Result> results(static_cast<std::size_t>(o.connections));
    std::vector<std::thread> threads;
    const auto start = std::chrono::steady_clock::now();
    const auto until = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                   std::chrono::duration<double>(o.seconds));
    for (int i = 0; i < o.connections; ++i) {
        threads.emplace_back(drive, std::cref(o), i, until, std::ref(results[static_cast<std::size_t>(i)]));
    }
    for (auto& t : threads) {
        t.join();
    }
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::vector<std::uint32_t> all;
    Result total;
    for (auto& r : results) {
        all.insert(all.end(), r.latency_us.begin(), r.latency_us.end());
        total.ok += r.ok;
        total.busy += r.busy;
        total.other += r.other;
    }
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
        return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))] / 1000.0;
    };
    std::printf(
        "connections=%d batch=%zu seconds=%.1f\n"
        "requests: %llu ok, %llu busy (503/429), %llu other\n"
        "throughput: %.0f requests/s, %.0f events/s accepted\n"
        "latency ms: p50 %.2f  p90 %.2f  p99 %.2f  max %.2f\n",
        o.connections, o.batch, elapsed, static_cast<unsigned long long>(total.ok),
        static_cast<unsigned long long>(total.busy), static_cast<unsigned long long>(total.other),
        static_cast<double>(total.ok + total.busy + total.other) / elapsed,
        static_cast<double>(total.ok) * static_cast<double>(o.batch) / elapsed, pct(0.5), pct(0.9),
        pct(0.99), all.empty() ? 0.0 : all.back() / 1000.0);
    return total.other == 0 ? 0 : 1;
}
