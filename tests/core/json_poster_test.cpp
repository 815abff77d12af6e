// Outbound calls have a total deadline, however slowly the peer answers, and shutdown can
// bring every call's deadline forward.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/support/hanging_server.h"
#include "core/fetcher.h"
#include "core/json_poster.h"

namespace terrain::core {
namespace {

using Steady = std::chrono::steady_clock;

TEST(JsonPosterTest, ATricklingPeerIsCutAtTheCallsDeadline) {
    testing::HangingServer trickle(testing::HangingServer::Mode::kTrickle);
    JsonPoster poster("http://127.0.0.1:" + std::to_string(trickle.port()) + "/hook", 1500);
    const auto started = Steady::now();
    const auto r = poster.post("{}");
    const auto took = Steady::now() - started;
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(r.retryable());
    EXPECT_NE(r.describe().find("no complete answer within the deadline of 1500 ms"),
              std::string::npos)
        << r.describe();
    // Each read got a byte within its timeout: only the total deadline ends the call (the
    // bound is generous; without the deadline the call lasts ~40 s).
    EXPECT_LT(took, std::chrono::seconds(10));
    // The poster is usable again afterwards (a new connection).
    const auto again = poster.post("{}");
    EXPECT_FALSE(again.ok());
}

TEST(JsonPosterTest, ShutdownBringsEveryDeadlineForward) {
    testing::HangingServer silent(testing::HangingServer::Mode::kSilent);
    const std::string url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/hook";
    std::vector<std::thread> callers;
    std::vector<HttpReply> replies(3);
    for (std::size_t i = 0; i < replies.size(); ++i) {
        callers.emplace_back([&, i] { replies[i] = http_call("POST", url, {}, "{}", 600'000); });
    }
    while (silent.connections() < 3) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    cap_outbound_calls(Steady::now() + std::chrono::milliseconds(200));
    for (auto& t : callers) {
        t.join();
    }
    for (const auto& r : replies) {
        EXPECT_FALSE(r.ok());
        EXPECT_NE(r.error.find("terrain is stopping"), std::string::npos) << r.error;
    }
    // Later calls are capped too.
    const auto late = http_call("POST", url, {}, "{}", 600'000);
    EXPECT_FALSE(late.ok());
    cap_outbound_calls(Steady::time_point::max());  // this process goes on: lift the cap
}

TEST(BackgroundFetcherTest, FetchesOffTheCallersThreadOncePerUrl) {
    testing::HangingServer silent(testing::HangingServer::Mode::kSilent);
    BackgroundFetcher fetcher(2, 300);
    const std::string url = "http://127.0.0.1:" + std::to_string(silent.port()) + "/cert.pem";
    std::atomic<int> done{0};
    std::string error;
    EXPECT_TRUE(fetcher.request(url, [&](std::optional<std::string> body, const std::string& e) {
        EXPECT_FALSE(body);
        error = e;
        ++done;
    }));
    EXPECT_FALSE(fetcher.request(url, [](auto, const auto&) {}));  // already queued
    EXPECT_TRUE(fetcher.request(url + "?2", [&](auto, const auto&) { ++done; }));
    EXPECT_FALSE(fetcher.request(url + "?3", [](auto, const auto&) {}));  // queue full
    while (done.load() < 2) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    // Cut at the deadline (or, on a loaded machine, by the read timeout just before it): a
    // failure the caller hears of, named.
    EXPECT_TRUE(error.find("deadline") != std::string::npos || error.find("Read") != std::string::npos)
        << error;
}

}  // namespace
}  // namespace terrain::core
