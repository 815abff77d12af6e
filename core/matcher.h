#pragma once

#include <optional>
#include <string>

namespace terrain::core {

// One label matcher's value, as Alertmanager writes matchers: "spring-sale" (equal),
// "!=spring-sale" (not equal), "=~spring-.*" (the whole value matches the regular expression)
// and "!~spring-.*" (it does not). Regular expressions are RE2's (as Alertmanager's Go ones):
// linear in the value's length, so a hostile silence cannot stall terrain. A label the alert
// lacks reads as "".
struct Matcher {
    // nullopt when `spec` is a valid matcher; otherwise why not ("'spring-(' is not a regular
    // expression: missing ): spring-(").
    static std::optional<std::string> error(const std::string& spec);
    // Whether `value` (nullptr: the label is missing) is accepted by `spec`. An invalid
    // expression accepts nothing.
    static bool accepts(const std::string& spec, const std::string* value);
};

}  // namespace terrain::core
