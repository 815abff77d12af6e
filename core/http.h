#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace terrain::core {

// An HTTP request as terrain's handlers and signature checks see it: the raw body, headers
// with lower-cased names, and the peer's address.
struct HttpRequest {
    std::string method;
    std::string path;
    std::string query;
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased
    std::string remote_address;

    const std::string* header(std::string_view lower_name) const;
    std::string query_param(std::string_view name) const;
};

struct HttpResponse {
    int status = 200;
    std::string content_type = "application/json";
    std::string body;
    std::vector<std::pair<std::string, std::string>> headers;

    static HttpResponse json(int status, std::string body);
    // {"error": reason, "message": message, ...extra}
    static HttpResponse error(int status, const std::string& reason, const std::string& message);
};

}  // namespace terrain::core
