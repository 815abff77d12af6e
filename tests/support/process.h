#pragma once

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace terrain::testing {

// A child process started from argv (argv[0] is the executable's path), its stdout and stderr
// appended to `log_path`. Stopped with SIGTERM (or the given signal) when destroyed.
class Process final {
public:
    Process(std::vector<std::string> argv, const std::string& log_path) {
        if (::access(argv.at(0).c_str(), X_OK) != 0) {
            throw std::runtime_error(argv[0] + " is not installed or not executable");
        }
        pid_ = ::fork();
        if (pid_ == 0) {
            int fd = ::open(log_path.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
            ::dup2(fd, 2);
            ::dup2(fd, 1);
            std::vector<char*> cargv;
            for (auto& a : argv) {
                cargv.push_back(a.data());
            }
            cargv.push_back(nullptr);
            ::execv(cargv[0], cargv.data());
            ::_exit(127);
        }
    }
    ~Process() { stop(); }
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;

    pid_t pid() const { return pid_; }

    // Signals the process and waits; returns the exit status (or -signal).
    int stop(int sig = SIGTERM) {
        if (pid_ <= 0) {
            return status_;
        }
        ::kill(pid_, sig);
        int st = 0;
        ::waitpid(pid_, &st, 0);
        pid_ = -1;
        status_ = WIFEXITED(st) ? WEXITSTATUS(st) : -WTERMSIG(st);
        return status_;
    }

private:
    pid_t pid_ = -1;
    int status_ = -1;
};

// A TCP port on 127.0.0.1 that was free a moment ago, for programs that cannot be told to
// pick their own (Prometheus, Alertmanager).
inline std::uint16_t free_port() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
        ::close(fd);
        throw std::runtime_error("cannot find a free port");
    }
    ::close(fd);
    return ntohs(addr.sin_port);
}

}  // namespace terrain::testing
