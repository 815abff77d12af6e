#pragma once

#include <string>
#include <vector>

namespace terrain::monitor {

// `terrain <command> ...`: parses the command line, runs the command and returns the exit
// code. Configuration errors are printed as one line naming the key and value.
int main_with_args(const std::vector<std::string>& args);

struct RunOptions {
    std::string config_path;  // empty: the embedded default
    std::string listen;       // empty: from the configuration
    std::string data_dir = "./terrain-data";
};

// Starts terrain and serves until SIGINT or SIGTERM; returns the exit code.
int run_service(const RunOptions& options);

}  // namespace terrain::monitor
