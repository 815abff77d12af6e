#pragma once

#include <chrono>
#include <optional>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>


namespace terrain::core {

using HttpHeaders = std::vector<std::pair<std::string, std::string>>;

// What came back from an outbound HTTP request: a status and body, or a transport error
// (refused connection, timeout) with status 0.
struct HttpReply {
    int status = 0;
    std::string body;
    std::string error;
    HttpHeaders headers;  // the answer's, as sent

    bool ok() const { return error.empty() && status >= 200 && status < 300; }
    // A transport error, 408, 429 and 5xx are worth retrying; other 4xx are not.
    bool retryable() const {
        return !error.empty() || status == 408 || status == 429 || status >= 500;
    }
    // "HTTP 503: <first 200 bytes of the body>" or "request failed: <error>".
    std::string describe() const;
};

// Every outbound call (these and JsonPoster's) has a total deadline of its timeout: connect,
// send and the whole answer, however slowly the peer trickles. At shutdown this caps every
// call's deadline, in flight or later, at `by`, so stopping keeps its promised time (a later
// cap replaces it for calls to come; nullopt lifts it, after a reload's stop).
void cap_outbound_calls(std::optional<std::chrono::steady_clock::time_point> by);

// One request to any URL over a fresh connection (override actions: rare, to many hosts).
HttpReply http_call(const std::string& method, const std::string& url, const HttpHeaders& headers,
                    const std::string& body, std::int64_t timeout_ms);

// Sends JSON to one base URL over a kept-alive cpp-httplib client with TCP_NODELAY and the given
// timeout. Not thread-safe: each receiver's worker thread owns one.
class JsonPoster final {
public:
    JsonPoster(const std::string& url, std::int64_t timeout_ms);
    ~JsonPoster();
    JsonPoster(const JsonPoster&) = delete;
    JsonPoster& operator=(const JsonPoster&) = delete;

    // POSTs to the URL itself.
    HttpReply post(const std::string& body);
    // `method` to the URL's path followed by `subpath` ("/chat.postMessage").
    HttpReply send(const std::string& method, const std::string& subpath, const std::string& body,
                   const HttpHeaders& headers = {});

private:
    struct Client;
    std::unique_ptr<Client> client_;
    std::string path_;
    std::int64_t timeout_ms_ = 0;
};

}  // namespace terrain::core
