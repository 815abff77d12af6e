#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "alerts/receivers.h"
#include "core/config.h"
#include "detectors/detector.h"
#include "monitor/app.h"
#include "webhooks/sources/registry.h"

namespace terrain::monitor {

// Every kind terrain knows: detectors, sources and receivers, each from its registry.
struct Kinds {
    Kinds();
    detectors::Registry detectors;
    webhooks::SourceRegistry sources;
    alerts::ReceiverRegistry receivers;
};

// What start-up works from: the configuration and the command line's choices.
struct Plan {
    core::Config config;
    std::string origin;  // the configuration file, or "<embedded default>"
    std::string hash;    // of its text (16 hex digits), for /api/v1/status and the log
    std::string host;    // from server.listen (or --listen)
    std::uint16_t port = 0;
    std::string data_dir;
};

// Starting terrain is one sequence of named steps:
//   load config -> validate (detectors, sources, receivers, people and actions, listen address,
//   data directory) -> bind the listen address -> open the data directory -> restore -> serve.
// `terrain check` runs exactly the load and validation steps, `terrain run` all of them, so a
// configuration one refuses the other refuses with the same message, and nothing is created
// on disk (or bound) before every validation step has passed.
Plan load_plan(const RunOptions& options);

struct ValidationStep {
    const char* name;
    std::function<void(const Plan&, const Kinds&)> run;
};
const std::vector<ValidationStep>& validation_steps();

// Runs every validation step; a problem throws core::ConfigError "<origin>: <message>".
void validate(const Plan& plan, const Kinds& kinds);

// "HOST:PORT" ("[::1]:8686" for IPv6) -> host and port; throws core::ConfigError.
std::pair<std::string, std::uint16_t> split_listen(const std::string& listen);

}  // namespace terrain::monitor
