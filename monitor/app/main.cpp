#include <string>
#include <vector>

#include "monitor/app/app.h"

int main(int argc, char** argv) {
    return terrain::app::main_with_args(std::vector<std::string>(argv, argv + argc));
}
