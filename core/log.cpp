#include "core/log.h"

#include <atomic>
#include <cstdio>
#include <mutex>

#include "core/clock.h"
#include "core/duration.h"

namespace terrain::core {

namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::kInfo)};
std::mutex g_mutex;
}  // namespace

void set_log_level(LogLevel level) { g_level.store(static_cast<int>(level)); }

void log(LogLevel level, std::string_view message) {
    if (static_cast<int>(level) < g_level.load()) {
        return;
    }
    static const char* kNames[] = {"debug", "info ", "warn ", "error"};
    static const SystemClock kClock;
    std::string line = format_rfc3339_ms(kClock.now_ms());
    line += ' ';
    line += kNames[static_cast<int>(level)];
    line += ' ';
    // One event, one line: control characters in the message (a newline in a label value
    // would forge a line of its own) are written as escapes.
    for (char c : message) {
        const auto u = static_cast<unsigned char>(c);
        if (u >= 0x20 && u != 0x7f && c != '\\') {
            line += c;
        } else if (c == '\n') {
            line += "\\n";
        } else if (c == '\\') {
            line += "\\\\";
        } else {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\x%02x", u);
            line += buf;
        }
    }
    line += '\n';
    std::lock_guard lock(g_mutex);
    std::fwrite(line.data(), 1, line.size(), stderr);
    std::fflush(stderr);
}

}  // namespace terrain::core
