#include "core/http.h"

#include <nlohmann/json.hpp>

namespace terrain::core {

const std::string* HttpRequest::header(std::string_view lower_name) const {
    for (const auto& [k, v] : headers) {
        if (k == lower_name) {
            return &v;
        }
    }
    return nullptr;
}

std::string HttpRequest::query_param(std::string_view name) const {
    std::string_view q = query;
    while (!q.empty()) {
        auto amp = q.find('&');
        auto part = q.substr(0, amp);
        auto eq = part.find('=');
        if (part.substr(0, eq) == name) {
            return eq == std::string_view::npos ? "" : std::string(part.substr(eq + 1));
        }
        if (amp == std::string_view::npos) {
            break;
        }
        q.remove_prefix(amp + 1);
    }
    return "";
}

HttpResponse HttpResponse::json(int status, std::string body) {
    HttpResponse r;
    r.status = status;
    r.body = std::move(body);
    return r;
}

HttpResponse HttpResponse::error(int status, const std::string& reason,
                                 const std::string& message) {
    return json(status, nlohmann::json{{"error", reason}, {"message", message}}.dump());
}

}  // namespace terrain::core
