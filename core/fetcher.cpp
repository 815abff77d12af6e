#include "core/fetcher.h"

#include "core/json_poster.h"

namespace terrain::core {

BackgroundFetcher::BackgroundFetcher(std::size_t max_queued, std::int64_t timeout_ms)
    : max_queued_(max_queued), timeout_ms_(timeout_ms) {}

BackgroundFetcher::~BackgroundFetcher() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (worker_.joinable()) {
        worker_.join();
    }
}

bool BackgroundFetcher::request(const std::string& url, Done done) {
    {
        std::lock_guard lock(mutex_);
        // Counted with the one being fetched, so the bound does not depend on how far the
        // worker has got.
        if (stopping_ || pending_.count(url) != 0 || pending_.size() >= max_queued_) {
            return false;
        }
        pending_.insert(url);
        queue_.emplace_back(url, std::move(done));
        if (!worker_.joinable()) {
            worker_ = std::thread([this] { run(); });
        }
    }
    cv_.notify_one();
    return true;
}

void BackgroundFetcher::run() {
    std::unique_lock lock(mutex_);
    for (;;) {
        cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
        if (stopping_) {
            return;
        }
        auto [url, done] = std::move(queue_.front());
        queue_.pop_front();
        lock.unlock();
        const HttpReply reply = http_call("GET", url, {}, "", timeout_ms_);
        if (reply.ok() && reply.status == 200) {
            done(reply.body, "");
        } else {
            done(std::nullopt, reply.describe());
        }
        lock.lock();
        pending_.erase(url);
    }
}

}  // namespace terrain::core
