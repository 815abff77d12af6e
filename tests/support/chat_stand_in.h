#pragma once

#include <httplib.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/platform_limits.h"

namespace terrain::testing {

// One local HTTP server standing in for what cannot run here: Slack's Web API (under /api:
// chat.postMessage, chat.update, chat.postEphemeral, answered as Slack documents),
// Mattermost's REST API v4 (/api/v4/posts: create, answered with the new post's id;
// /api/v4/posts/{id}: update; /api/v4/posts/ephemeral), PagerDuty's Events API v2
// (/pd/v2/enqueue, 202), the Bot Framework for a Teams bot under /teams (the OAuth token
// endpoint /teams/token, the OpenID metadata /teams/openid and its key set /teams/keys, and
// the Bot Connector's /teams/v3/conversations/{id}/activities: create, reply to and update
// activities) and a MAP's REST API (/map/*, 200 with a small JSON body). It records every
// request it gets, and refuses as each platform does a payload that breaks one of its
// documented limits (tests/support/platform_limits.h). When TERRAIN_RECORD_DIR names a
// directory, every Teams activity it gets is written to its cards/ folder, one JSON file each,
// for the Adaptive Cards library to validate (tests/cards).
class ChatStandIn final {
public:
    struct Request {
        std::string path;
        std::string authorization;
        std::string idempotency_key;
        nlohmann::json body;
        std::string method;
    };

    ChatStandIn() {
        server_.Post(R"(/api/(chat\.[A-Za-z]+))", [this](const httplib::Request& req,
                                                         httplib::Response& res) {
            const std::string method = req.matches[1];
            nlohmann::json reply = {{"ok", true}};
            {
                std::lock_guard lock(mutex_);
                record(req);
                if (refused(res, PlatformLimits::slack(requests_.back().body), 200,
                            {{"ok", false}, {"error", "invalid_blocks"}})) {
                    return;
                }
                if (method == "chat.postMessage") {
                    reply["channel"] = "C0TERRAIN";
                    reply["ts"] = "1764500000." + std::to_string(100000 + ++posts_);
                }
            }
            res.set_content(reply.dump(), "application/json");
        });
        server_.Post("/api/v4/posts", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            if (refused(res, PlatformLimits::mattermost(requests_.back().body), 400,
                        {{"id", "model.post.is_valid.msg.app_error"}, {"status_code", 400}})) {
                return;
            }
            nlohmann::json post = nlohmann::json::parse(req.body, nullptr, false);
            post["id"] = "mmpost" + std::to_string(++posts_);
            res.status = 201;
            res.set_content(post.dump(), "application/json");
        });
        server_.Post("/api/v4/posts/ephemeral", [this](const httplib::Request& req,
                                                       httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            res.status = 201;
            res.set_content(req.body, "application/json");
        });
        server_.Put(R"(/api/v4/posts/([a-z0-9]+))", [this](const httplib::Request& req,
                                                          httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            if (refused(res, PlatformLimits::mattermost(requests_.back().body), 400,
                        {{"id", "model.post.is_valid.msg.app_error"}, {"status_code", 400}})) {
                return;
            }
            res.set_content(req.body, "application/json");
        });
        server_.Post("/pd/v2/enqueue", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            if (refused(res, PlatformLimits::pagerduty(requests_.back().body), 400,
                        {{"status", "invalid event"}, {"message", "Event object is invalid"}})) {
                return;
            }
            res.status = 202;
            res.set_content(R"({"status":"success","message":"Event processed"})",
                            "application/json");
        });
        server_.Post("/teams/token", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            form_.push_back(req.body);
            res.set_content(
                R"({"token_type":"Bearer","expires_in":3599,"access_token":"bf-access-token"})",
                "application/json");
        });
        server_.Get("/teams/openid", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            res.set_content(nlohmann::json{{"issuer", "https://api.botframework.com"},
                                           {"jwks_uri", base() + "/teams/keys"},
                                           {"id_token_signing_alg_values_supported", {"RS256"}}}
                                .dump(),
                            "application/json");
        });
        server_.Get("/teams/keys", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            res.set_content(nlohmann::json{{"keys", jwks_}}.dump(), "application/json");
        });
        const char* activities = R"(/teams/v3/conversations/[^/]+/activities(/[^/]+)?)";
        server_.Post(activities, [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            if (teams_refused(res)) {
                return;
            }
            res.status = 201;
            res.set_content(
                nlohmann::json{{"id", "teamsactivity" + std::to_string(++posts_)}}.dump(),
                "application/json");
        });
        server_.Put(activities, [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            if (teams_refused(res)) {
                return;
            }
            res.set_content(nlohmann::json{{"id", req.matches[1].str().substr(1)}}.dump(),
                            "application/json");
        });
        server_.Post(R"(/map/.*)", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex_);
            record(req);
            res.set_content(R"({"status":"paused"})", "application/json");
        });
        server_.set_tcp_nodelay(true);  // as real APIs answer: no Nagle delay on small replies
        port_ = server_.bind_to_any_port("127.0.0.1");
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        while (!server_.is_running()) {
            std::this_thread::yield();
        }
    }
    ~ChatStandIn() {
        server_.stop();
        thread_.join();
    }
    ChatStandIn(const ChatStandIn&) = delete;
    ChatStandIn& operator=(const ChatStandIn&) = delete;

    std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

    // Waits (at most `limit`) until `n` requests reached `path`; true when they did.
    bool wait_for(const std::string& path, std::size_t n,
                  std::chrono::milliseconds limit = std::chrono::seconds(10)) {
        std::unique_lock lock(mutex_);
        return arrived_.wait_for(lock, limit, [&] { return counts_[path] >= n; });
    }

    // The keys /teams/keys lists (JSON Web Keys).
    void set_jwks(nlohmann::json keys) {
        std::lock_guard lock(mutex_);
        jwks_ = std::move(keys);
    }
    // The form bodies posted to /teams/token.
    std::vector<std::string> token_requests() {
        std::lock_guard lock(mutex_);
        return form_;
    }

    // The requests whose path is `path`, oldest first.
    std::vector<Request> to(const std::string& path) {
        std::lock_guard lock(mutex_);
        std::vector<Request> out;
        for (const auto& r : requests_) {
            if (r.path == path) {
                out.push_back(r);
            }
        }
        return out;
    }

    // The payloads a stand-in refused for breaking a platform limit, with why.
    std::vector<std::string> refusals() {
        std::lock_guard lock(mutex_);
        return refusals_;
    }

private:
    // Answers as the platform does when `violations` is not empty (and remembers why).
    bool refused(httplib::Response& res, const std::vector<std::string>& violations, int status,
                 nlohmann::json answer) {
        if (violations.empty()) {
            return false;
        }
        answer["errors"] = violations;
        for (const auto& v : violations) {
            refusals_.push_back(requests_.back().path + ": " + v);
        }
        res.status = status;
        res.set_content(answer.dump(), "application/json");
        return true;
    }
    // A Teams activity: written for the Adaptive Cards check, refused when too big.
    bool teams_refused(httplib::Response& res) {
        const auto& body = requests_.back().body;
        if (const char* dir = std::getenv("TERRAIN_RECORD_DIR"); dir != nullptr && *dir != 0 &&
            body.contains("attachments")) {
            static std::atomic<unsigned> written{0};
            std::ofstream(std::string(dir) + "/cards/activity-" + std::to_string(::getpid()) + "-" +
                          std::to_string(++written) + ".json")
                << body.dump();
        }
        return refused(res, PlatformLimits::teams(body), 413,
                       {{"error", {{"code", "MessageSizeTooBig"}}}});
    }

    void record(const httplib::Request& req) {
        requests_.push_back({req.path, req.get_header_value("Authorization"),
                             req.get_header_value("Idempotency-Key"),
                             nlohmann::json::parse(req.body, nullptr, false), req.method});
        ++counts_[req.path];
        arrived_.notify_all();
    }

    httplib::Server server_;
    int port_ = 0;
    std::thread thread_;
    std::mutex mutex_;
    std::vector<Request> requests_;
    std::map<std::string, std::size_t> counts_;
    std::condition_variable arrived_;
    int posts_ = 0;
    nlohmann::json jwks_ = nlohmann::json::array();
    std::vector<std::string> form_;
    std::vector<std::string> refusals_;
};

}  // namespace terrain::testing
