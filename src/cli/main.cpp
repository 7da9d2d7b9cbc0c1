#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "cli/commands.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    try {
        return dlsolve::run_cli(args, std::cin, std::cout, std::cerr);
    } catch (const std::exception& e) {
        // A bug, not bad input: say so on one line rather than abort.
        std::cerr << "dlsolve: internal error: " << e.what() << " (please report it with the problem file)\n";
        return 70;
    }
}
