#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>

namespace terrain::core {

// Fetches URLs (GET, a total deadline per fetch) on its own thread, one at a time, so that no
// HTTP request thread ever waits on a remote host: signing certificates and key sets are
// fetched here and cached by their owners, and a request that needs one not yet fetched gets a
// retryable answer. At most `max_queued` distinct URLs are queued or being fetched; the same
// URL is queued once.
class BackgroundFetcher final {
public:
    // body: the 200 answer's body; nullopt with `error` otherwise.
    using Done = std::function<void(std::optional<std::string> body, const std::string& error)>;

    explicit BackgroundFetcher(std::size_t max_queued = 16, std::int64_t timeout_ms = 5000);
    ~BackgroundFetcher();
    BackgroundFetcher(const BackgroundFetcher&) = delete;
    BackgroundFetcher& operator=(const BackgroundFetcher&) = delete;

    // Queues a fetch; false when `url` is already queued or being fetched, or max_queued are.
    bool request(const std::string& url, Done done);

private:
    void run();

    std::size_t max_queued_;
    std::int64_t timeout_ms_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::pair<std::string, Done>> queue_;
    std::set<std::string> pending_;
    bool stopping_ = false;
    std::thread worker_;
};

}  // namespace terrain::core
