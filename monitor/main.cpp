#include <string>
#include <vector>

#include "monitor/app.h"

int main(int argc, char** argv) {
    return terrain::monitor::main_with_args(std::vector<std::string>(argv, argv + argc));
}
