#include "webhooks/json_poster.h"

#include <httplib.h>

namespace terrain::webhooks {

namespace {

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

HttpReply perform(httplib::Client& http, const std::string& method, const std::string& path,
                  const HttpHeaders& headers, const std::string& body) {
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
    auto res = http.send(req);
    if (!res) {
        return {0, "", httplib::to_string(res.error())};
    }
    return {res->status, res->body, ""};
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

alerts::SendResult json_answer(const HttpReply& reply, const std::string& what,
                               nlohmann::json* answer) {
    if (!reply.ok()) {
        return reply.as_send_result();
    }
    if (answer != nullptr) {
        *answer = nlohmann::json::parse(reply.body, nullptr, false);
        if (!answer->is_object()) {
            return {false, true, what + ": the answer is not a JSON object"};
        }
    }
    return {true, false, ""};
}

HttpReply http_call(const std::string& method, const std::string& url, const HttpHeaders& headers,
                    const std::string& body, std::int64_t timeout_ms) {
    auto [base, path] = split_url(url);
    httplib::Client http(base);
    configure(http, timeout_ms);
    if (!http.is_valid()) {
        return {0, "", "'" + base + "' is not a usable URL"};
    }
    return perform(http, method, path, headers, body);
}

struct JsonPoster::Client {
    explicit Client(const std::string& base) : http(base) {}
    httplib::Client http;
};

JsonPoster::JsonPoster(const std::string& url, std::int64_t timeout_ms) {
    auto [base, path] = split_url(url);
    path_ = path == "/" ? "" : path;
    client_ = std::make_unique<Client>(base);
    configure(client_->http, timeout_ms);
    client_->http.set_keep_alive(true);
}

JsonPoster::~JsonPoster() = default;

alerts::SendResult JsonPoster::post(const std::string& body) {
    return send("POST", "", body).as_send_result();
}

HttpReply JsonPoster::send(const std::string& method, const std::string& subpath,
                           const std::string& body, const HttpHeaders& headers) {
    std::string path = path_ + subpath;
    return perform(client_->http, method, path.empty() ? "/" : path, headers, body);
}

}  // namespace terrain::webhooks
