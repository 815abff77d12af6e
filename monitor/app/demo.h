#pragma once

#include <string>

namespace terrain::app {

// `terrain demo`: sends a simulated SendGrid complaint spike to a running terrain at `url`
// and prints the alert it raises and its resolution. Returns the exit code.
int run_demo(const std::string& url);

}  // namespace terrain::app
