#include "monitor/reference.h"

#include <algorithm>
#include <sstream>

namespace terrain::monitor {

namespace {

std::string cell(std::string text) {
    std::string out;
    for (char c : text) {
        out += c == '|' ? std::string("\\|") : std::string(1, c);
    }
    return out;
}

void key_table(std::ostringstream& out, const std::vector<core::KeyDoc>& keys) {
    if (keys.empty()) {
        out << "No keys of its own.\n\n";
        return;
    }
    out << "| key | value | what |\n|---|---|---|\n";
    for (const auto& k : keys) {
        out << "| `" << k.name << "` | " << cell(k.form) << " | " << cell(k.help) << " |\n";
    }
    out << "\n";
}

template <typename Kind>
std::vector<const Kind*> by_name(const std::vector<Kind>& kinds) {
    std::vector<const Kind*> out;
    for (const auto& k : kinds) {
        out.push_back(&k);
    }
    std::sort(out.begin(), out.end(), [](const Kind* a, const Kind* b) { return a->name < b->name; });
    return out;
}

}  // namespace

std::string config_reference(const Kinds& kinds) {
    std::ostringstream out;
    out << "## Sources (`sources.<name>`)\n\nEvery source takes:\n\n";
    key_table(out, webhooks::shared_source_keys());
    for (const auto* k : by_name(kinds.sources.kinds())) {
        out << "### `" << k->name << "`\n\n" << k->help << "\n\n";
        key_table(out, k->keys);
    }
    out << "## Receivers (`receivers[]`)\n\nEvery receiver takes:\n\n";
    key_table(out, alerts::shared_receiver_keys());
    std::vector<core::KeyDoc> interact;
    for (const auto* k : by_name(kinds.receivers.kinds())) {
        out << "### `type: " << k->name << "`\n\n" << k->help << "\n\n";
        key_table(out, k->keys);
        for (const auto& key : k->interact_keys) {
            if (std::none_of(interact.begin(), interact.end(),
                             [&](const core::KeyDoc& seen) { return seen.name == key.name; })) {
                interact.push_back(key);
            }
        }
    }
    out << "## Clicks from chat (`interact`)\n\nThe keys the chat receivers read:\n\n";
    key_table(out, interact);
    out << "## Detectors (`metrics[].detectors[]`, `pairs[].detectors[]`)\n\n"
           "Every detector takes `type`, `name` (default: the type), `severity` (critical, "
           "warning or info) and the alert condition's keys:\n\n";
    key_table(out, detectors::condition_keys());
    for (const auto& type : kinds.detectors.types()) {
        const auto* entry = kinds.detectors.find(type);
        out << "### `type: " << type << "`\n\n" << entry->help;
        if (entry->pair_only) {
            out << " (pairs only)";
        } else if (entry->ratio_only) {
            out << " (ratio metrics only)";
        }
        out << "\n\n";
        key_table(out, entry->keys);
    }
    std::string text = out.str();
    text.pop_back();  // one newline at the end
    return text;
}

}  // namespace terrain::monitor
