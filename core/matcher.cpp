#include "core/matcher.h"

#include <map>
#include <memory>
#include <mutex>
#include <string_view>

#include <re2/re2.h>

namespace terrain::core {

namespace {

enum class Op { kEqual, kNotEqual, kRegex, kNotRegex };

std::pair<Op, std::string_view> split(const std::string& spec) {
    const std::string_view s(spec);
    if (s.starts_with("=~")) {
        return {Op::kRegex, s.substr(2)};
    }
    if (s.starts_with("!~")) {
        return {Op::kNotRegex, s.substr(2)};
    }
    if (s.starts_with("!=")) {
        return {Op::kNotEqual, s.substr(2)};
    }
    return {Op::kEqual, s};
}

// Compiled expressions by pattern, shared by every thread (RE2 objects are thread-safe).
// Matchers come from the configuration and from silences, so the set stays small; it is
// emptied if it ever grows past 256, and each expression may use at most 1 MiB.
const RE2& compiled(std::string_view pattern) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<RE2>, std::less<>> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(pattern);
    if (it == cache.end()) {
        if (cache.size() >= 256) {
            cache.clear();
        }
        RE2::Options options;
        options.set_log_errors(false);
        options.set_max_mem(1 << 20);
        it = cache.emplace(std::string(pattern), std::make_unique<RE2>(pattern, options)).first;
    }
    return *it->second;
}

}  // namespace

std::optional<std::string> Matcher::error(const std::string& spec) {
    const auto [op, operand] = split(spec);
    if (op != Op::kRegex && op != Op::kNotRegex) {
        return std::nullopt;
    }
    const RE2& re = compiled(operand);
    if (!re.ok()) {
        return "'" + std::string(operand) + "' is not a regular expression: " + re.error();
    }
    return std::nullopt;
}

bool Matcher::accepts(const std::string& spec, const std::string* value) {
    const std::string_view got = value != nullptr ? std::string_view(*value) : std::string_view();
    const auto [op, operand] = split(spec);
    switch (op) {
        case Op::kEqual:
            return got == operand;
        case Op::kNotEqual:
            return got != operand;
        case Op::kRegex:
        case Op::kNotRegex: {
            const RE2& re = compiled(operand);
            if (!re.ok()) {
                return false;
            }
            return RE2::FullMatch(got, re) == (op == Op::kRegex);
        }
    }
    return false;
}

}  // namespace terrain::core
