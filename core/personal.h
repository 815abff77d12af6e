#pragma once

#include <string>
#include <string_view>

#include "core/hash.h"

namespace terrain::core {

// The longest label value terrain keeps, in bytes.
inline constexpr std::size_t kMaxLabelBytes = 128;

// Whether a value is or holds a person's contact: an e-mail address (local@domain.tld) or an
// international phone number ('+' and 7 to 15 digits, with spaces, dots, dashes or brackets
// between them). Looked for after percent-decoding (twice: "%2540") and with the at sign's
// look-alikes ("＠" U+FF20, "﹫" U+FE6B) read as '@'.
bool holds_contact(std::string_view value);

// A label value as terrain keeps, stores and shows it: one that holds a contact becomes
// "hashed:" and 16 hex characters of its keyed hash (the same value, the same label, so series
// still group); every value is then cut to kMaxLabelBytes at a UTF-8 character boundary. With
// no hasher, a contact becomes "hashed:redacted".
std::string label_value(std::string_view value, const SubjectHasher* hasher);

}  // namespace terrain::core
