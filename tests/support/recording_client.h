#pragma once

#include <httplib.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

namespace terrain::testing {

// When TERRAIN_RECORD_DIR names a directory, every answer terrain gives a test client
// (method, path, status, content type and a JSON body) is appended to answers-<pid>.jsonl in
// its answers/ folder. The docs test (tests/docs) validates them against docs/openapi.yaml.
inline void record_answer(const httplib::Request& req, const httplib::Response& res) {
    const char* root = std::getenv("TERRAIN_RECORD_DIR");
    if (root == nullptr || *root == '\0') {
        return;
    }
    const std::string dir = std::string(root) + "/answers";
    nlohmann::json line = {{"method", req.method},
                           {"path", req.path},
                           {"status", res.status},
                           {"content_type", res.get_header_value("Content-Type")}};
    if (line["content_type"].get<std::string>().rfind("application/json", 0) == 0) {
        line["body"] = nlohmann::json::parse(res.body, nullptr, false);
        if (line["body"].is_discarded()) {
            line["body"] = "<not JSON: " + res.body.substr(0, 200) + ">";
            line["not_json"] = true;
        }
    }
    static std::mutex mutex;
    std::lock_guard lock(mutex);
    std::ofstream out(std::string(dir) + "/answers-" + std::to_string(::getpid()) + ".jsonl",
                      std::ios::app);
    out << line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

// httplib's client, recording terrain's answers for the docs test.
class Client : public httplib::Client {
public:
    Client(const std::string& host, int port) : httplib::Client(host, port) {
        set_logger(record_answer);
    }
};

}  // namespace terrain::testing
