#pragma once

#include <string>
#include <string_view>

namespace terrain::core {

enum class LogLevel : int { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };

// One line per call on stderr: "2026-11-23T10:00:00.000Z info  message key=value".
// Thread-safe. Callers never pass raw customer identifiers.
void log(LogLevel level, std::string_view message);
void set_log_level(LogLevel level);

inline void log_info(std::string_view m) { log(LogLevel::kInfo, m); }
inline void log_warn(std::string_view m) { log(LogLevel::kWarn, m); }
inline void log_error(std::string_view m) { log(LogLevel::kError, m); }

}  // namespace terrain::core
