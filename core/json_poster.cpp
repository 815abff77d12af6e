#include "core/json_poster.h"

#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

namespace terrain::core {

namespace {

using SteadyTime = std::chrono::steady_clock::time_point;

// Every outbound call in flight and its deadline. httplib's timeouts bound each read and write,
// not the call: a peer that sends one byte a second would hold a worker forever. The watchdog
// stops a call (shuts its socket) at its deadline, so a call takes at most its timeout in all:
// connect, send and the whole answer. At shutdown, cap() brings every deadline, of calls in
// flight and later ones, to at most a given time.
class Watchdog final {
public:
    static Watchdog& instance() {
        static auto* w = new Watchdog();  // never destroyed: calls may end during exit
        return *w;
    }

    std::uint64_t watch(httplib::Client* client, SteadyTime deadline) {
        std::lock_guard lock(mutex_);
        if (cap_ && *cap_ < deadline) {
            deadline = *cap_;
        }
        const std::uint64_t id = next_id_++;
        calls_.emplace(id, Call{client, deadline, false});
        cv_.notify_one();
        return id;
    }
    // True when the watchdog stopped the call.
    bool unwatch(std::uint64_t id) {
        std::lock_guard lock(mutex_);
        auto it = calls_.find(id);
        if (it == calls_.end()) {
            return false;
        }
        const bool stopped = it->second.stopped;
        calls_.erase(it);
        return stopped;
    }
    void cap(std::optional<SteadyTime> by) {
        std::lock_guard lock(mutex_);
        cap_ = by;
        for (auto& [id, call] : calls_) {
            call.deadline = by ? std::min(call.deadline, *by) : call.deadline;
        }
        cv_.notify_one();
    }

private:
    struct Call {
        httplib::Client* client;
        SteadyTime deadline;
        bool stopped;
    };

    Watchdog() : thread_([this] { run(); }) { thread_.detach(); }

    void run() {
        std::unique_lock lock(mutex_);
        for (;;) {
            auto next = SteadyTime::max();
            const auto now = std::chrono::steady_clock::now();
            for (auto& [id, call] : calls_) {
                if (call.deadline <= now) {
                    // Thread-safe in cpp-httplib: shuts the socket. A call past its deadline
                    // that has not opened its socket yet is not stopped by it, so it is
                    // stopped again every 50 ms until it ends.
                    call.stopped = true;
                    call.client->stop();
                    next = std::min(next, now + std::chrono::milliseconds(50));
                } else {
                    next = std::min(next, call.deadline);
                }
            }
            if (next == SteadyTime::max()) {
                cv_.wait(lock);
            } else {
                cv_.wait_until(lock, next);
            }
        }
    }

    std::mutex mutex_;
    std::condition_variable cv_;
    std::map<std::uint64_t, Call> calls_;
    std::optional<SteadyTime> cap_;
    std::uint64_t next_id_ = 1;
    std::thread thread_;
};

// "http://host:port/path" -> ("http://host:port", "/path").
std::pair<std::string, std::string> split_url(const std::string& url) {
    const auto scheme_end = url.find("://");
    const auto path_start =
        url.find('/', scheme_end == std::string::npos ? 0 : scheme_end + 3);
    if (path_start == std::string::npos) {
        return {url, "/"};
    }
    return {url.substr(0, path_start), url.substr(path_start)};
}

void configure(httplib::Client& http, std::int64_t timeout_ms) {
    const auto secs = timeout_ms / 1000;
    const auto usecs = (timeout_ms % 1000) * 1000;
    http.set_connection_timeout(secs, usecs);
    http.set_read_timeout(secs, usecs);
    http.set_write_timeout(secs, usecs);
    http.set_tcp_nodelay(true);
}

HttpReply perform(httplib::Client& http, std::int64_t timeout_ms, const std::string& method,
                  const std::string& path, const HttpHeaders& headers, const std::string& body) {
    httplib::Request req;
    req.method = method;
    req.path = path;
    std::string content_type = "application/json";
    for (const auto& [k, v] : headers) {
        if (k == "Content-Type" || k == "content-type") {
            content_type = v;
        } else {
            req.headers.emplace(k, v);
        }
    }
    if (!body.empty() || method != "GET") {
        req.body = body;
        req.headers.emplace("Content-Type", content_type);
    }
    auto& watchdog = Watchdog::instance();
    const auto call = watchdog.watch(
        &http, std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms));
    auto res = http.send(req);
    if (watchdog.unwatch(call)) {
        return {0, "", "no complete answer within the deadline of " +
                           std::to_string(timeout_ms) + " ms (or terrain is stopping)",
                {}};
    }
    if (!res) {
        return {0, "", httplib::to_string(res.error()), {}};
    }
    HttpReply reply{res->status, res->body, "", {}};
    for (const auto& [k, v] : res->headers) {
        reply.headers.emplace_back(k, v);
    }
    return reply;
}

}  // namespace

std::string HttpReply::describe() const {
    if (!error.empty()) {
        return "request failed: " + error;
    }
    std::string d = "HTTP " + std::to_string(status);
    if (!body.empty()) {
        d += ": " + body.substr(0, 200);
    }
    return d;
}

HttpReply http_call(const std::string& method, const std::string& url, const HttpHeaders& headers,
                    const std::string& body, std::int64_t timeout_ms) {
    auto [base, path] = split_url(url);
    httplib::Client http(base);
    configure(http, timeout_ms);
    if (!http.is_valid()) {
        return {0, "", "'" + base + "' is not a usable URL", {}};
    }
    return perform(http, timeout_ms, method, path, headers, body);
}

void cap_outbound_calls(std::optional<std::chrono::steady_clock::time_point> by) {
    Watchdog::instance().cap(by);
}

struct JsonPoster::Client {
    explicit Client(const std::string& base) : http(base) {}
    httplib::Client http;
};

JsonPoster::JsonPoster(const std::string& url, std::int64_t timeout_ms) {
    auto [base, path] = split_url(url);
    path_ = path == "/" ? "" : path;
    client_ = std::make_unique<Client>(base);
    timeout_ms_ = timeout_ms;
    configure(client_->http, timeout_ms);
    client_->http.set_keep_alive(true);
}

JsonPoster::~JsonPoster() = default;

HttpReply JsonPoster::post(const std::string& body) {
    return send("POST", "", body);
}

HttpReply JsonPoster::send(const std::string& method, const std::string& subpath,
                           const std::string& body, const HttpHeaders& headers) {
    std::string path = path_ + subpath;
    return perform(client_->http, timeout_ms_, method, path.empty() ? "/" : path, headers, body);
}

}  // namespace terrain::core
