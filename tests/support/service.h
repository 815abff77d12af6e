#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fcntl.h>
#include <functional>
#include <memory>
#include <regex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "tests/support/builders.h"
#include "tests/support/process.h"
#include "tests/support/recording_client.h"

namespace terrain::testing {

// Waits for `done` to hold, checking every 20 ms, for at most `limit`. For conditions that
// depend on another process; not a timing assertion (the limit is generous).
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::milliseconds limit = std::chrono::seconds(30)) {
    auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (done()) {
            return true;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return done();
}

// The real terrain binary, started as a child process on port 0, its log in a file.
class Service final {
public:
    Service(std::vector<std::string> args, std::string log_path)
        : log_path_(std::move(log_path)) {
        // A server may answer early and close (413) while a test client still writes its body:
        // that must be an error on the client's side, not a SIGPIPE killing the test.
        ::signal(SIGPIPE, SIG_IGN);
        log_offset_ = read_log().size();
        std::vector<std::string> argv = {TERRAIN_BINARY, "run", "--listen", "127.0.0.1:0"};
        argv.insert(argv.end(), args.begin(), args.end());
        process_ = std::make_unique<Process>(argv, log_path_);
        std::smatch m;
        static const std::regex kListening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
        bool up = eventually([&] {
            std::string log = read_log();
            // Only this run's line: the log file may hold earlier runs.
            auto pos = log.rfind("listening on");
            if (pos == std::string::npos || pos < log_offset_) {
                return false;
            }
            std::string tail = log.substr(pos);
            if (std::regex_search(tail, m, kListening)) {
                port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
                return true;
            }
            return false;
        });
        if (!up) {
            stop();
            throw std::runtime_error("terrain did not start; log:\n" + read_log());
        }
    }
    ~Service() { stop(); }
    Service(const Service&) = delete;
    Service& operator=(const Service&) = delete;

    std::uint16_t port() const { return port_; }
    std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port_); }
    std::string read_log() const {
        try {
            return read_file(log_path_);
        } catch (const std::exception&) {
            return "";
        }
    }

    // Sends a signal without waiting (SIGHUP: reload).
    void signal(int sig) { ::kill(process_->pid(), sig); }
    // SIGTERM and wait; returns the exit status (or -signal).
    int stop(int sig = SIGTERM) { return process_->stop(sig); }

private:
    std::string log_path_;
    std::size_t log_offset_ = 0;
    std::unique_ptr<Process> process_;
    std::uint16_t port_ = 0;
};

// Runs a command, feeding `input` on stdin; returns exit status and combined output.
inline std::pair<int, std::string> run_command(const std::string& cmd, const std::string& input) {
    char tmpl[] = "/tmp/terrain-cmd-XXXXXX";
    int fd = ::mkstemp(tmpl);
    ::write(fd, input.data(), input.size());
    ::close(fd);
    std::string full = cmd + " < " + tmpl + " 2>&1";
    FILE* p = ::popen(full.c_str(), "r");
    std::string out;
    char buf[4096];
    std::size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) {
        out.append(buf, n);
    }
    int st = ::pclose(p);
    ::unlink(tmpl);
    return {WIFEXITED(st) ? WEXITSTATUS(st) : -1, out};
}

}  // namespace terrain::testing
