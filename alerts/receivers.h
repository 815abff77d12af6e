#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "alerts/notifier.h"
#include "alerts/policy.h"
#include "core/config.h"
#include "core/params.h"
#include "core/store.h"

namespace terrain::alerts {

// What a receiver kind's factory may use besides its own configuration.
struct ReceiverDeps {
    const Policy& policy;
    core::Store& store;
};

// A kind of receiver (receivers[].type): where alerts go. `keys` are its own keys in a
// receiver's section beyond the shared ones (name, type, match, escalation, retries);
// `interact_keys` the keys under `interact` its clicks need. `validate` reads both, resolving
// secrets, and throws core::ConfigError naming the key; `make` builds a receiver from a
// validated configuration.
struct ReceiverKind {
    std::string name;
    std::string help;  // one line: where it delivers
    std::vector<core::KeyDoc> keys;
    std::vector<core::KeyDoc> interact_keys;
    std::function<void(const core::Params& own, const core::Params& interact,
                       const core::Config& config)>
        validate;
    std::function<std::unique_ptr<Receiver>(const core::ReceiverConfig&, const ReceiverDeps&)>
        make;
};

// The keys every receiver has (read by the core's configuration).
const std::vector<core::KeyDoc>& shared_receiver_keys();

// Maps receiver types to their kinds. Filled once at start-up by register_builtin_receivers.
class ReceiverRegistry final {
public:
    void add(ReceiverKind kind);
    const ReceiverKind* find(std::string_view name) const;
    std::vector<std::string> names() const;
    const std::vector<ReceiverKind>& kinds() const { return kinds_; }

    // Validates every receiver's type and keys and the `interact` section (a key no kind
    // takes is refused); throws core::ConfigError.
    void validate(const core::Config& config) const;
    // One route per configured receiver (validated first).
    std::vector<Notifier::Route> make(const core::Config& config, const ReceiverDeps& deps) const;

private:
    std::vector<ReceiverKind> kinds_;
};

// The one list of built-in receivers: each platform's folder registers itself with one line.
void register_builtin_receivers(ReceiverRegistry& registry);

// Helpers for kinds: a chat receiver's `group_by` must name alert labels; `required` fails
// naming the key when a kind needs a value it was not given.
void check_group_by(const core::Params& own, const core::Config& config);
void required(const core::Params& params, const std::string& key, const std::string& what);

}  // namespace terrain::alerts
