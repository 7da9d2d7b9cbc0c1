// libFuzzer target: bytes through parsing, every command and every renderer.
//
// An input is a problem file, optionally followed by a NUL byte and a command line:
//   - without a NUL, the bytes are the problem, given as "-" (standard input), and the
//     input's length chooses one command (params, shapes, rf, flops, summary, forward,
//     backward, train, solve, check, compare, graph: length mod 12) and one format (text,
//     json, markdown, latex; graph: dot for all but json: length / 12 mod 4).
//   - with a NUL, the bytes after it are one command and its options separated by
//     spaces ("backward --param=w11 --format=json"); the problem, the bytes before the
//     NUL, is given as "-" (standard input) and, for compare, also as a file.
//     Words that do not start with '-' are dropped after the command, as are "--" and
//     words with a '/', so the fuzzer can never name a file or a folder on this machine,
//     and --max-elements above the fuzz budget (below).
//   - the commands that take --max-elements (forward, backward, train, solve, check) run
//     with --max-elements=65536 unless the command line names a smaller one: under the
//     sanitizers an element of a worked tensor costs about 10 us and 800 bytes, so the
//     default budget (2^24 elements) let a 200-byte input (a 2 x 2 map upsampled by
//     2000) take 17 s and 2 GiB for one execution. Every code path still runs, on tensors
//     of up to 65536 elements, and the refusal above the budget is the same code.
//
// Besides the sanitizers, the target checks the command line's contract: an exit status
// of 0, 1 or 2 (an exception escaping run_cli is "internal error", exit 70, in the real
// binary: here it aborts); without a command line, a refused problem gives exactly one
// newline-terminated line on stderr and nothing on stdout (check: a report on stdout),
// an answered one nothing on stderr, and --format json one valid JSON document.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <iterator>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include <sys/mman.h>
#include <unistd.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"

namespace {

// The numeric engine's budget in the fuzzer (see the comment at the top).
constexpr const char* kFuzzBudget = "--max-elements=65536";
constexpr size_t kFuzzBudgetDigits = 5;

bool takes_budget(const std::string& command) {
    return command == "forward" || command == "backward" || command == "train" || command == "solve" || command == "check";
}

struct Run {
    int status;
    std::string out;
    std::string err;
};

[[noreturn]] void fail(const std::vector<std::string>& args, const Run& r, const char* why) {
    std::string line;
    for (const auto& a : args) line += " " + a;
    std::fprintf(stderr, "\ndlsolve%s: %s\n  exit status %d\n  stdout (%zu bytes): %.2000s\n  stderr (%zu bytes): %.2000s\n",
                 line.c_str(), why, r.status, r.out.size(), r.out.c_str(), r.err.size(), r.err.c_str());
    std::abort();
}

Run run(const std::vector<std::string>& args, std::string_view problem) {
    std::istringstream in{std::string(problem)};
    std::ostringstream out, err;
    const int status = dlsolve::run_cli(args, in, out, err);
    Run r{status, out.str(), err.str()};
    if (status != 0 && status != 1 && status != 2) fail(args, r, "exit status other than 0, 1 or 2");
    return r;
}

bool one_line(const std::string& s) { return !s.empty() && s.back() == '\n' && s.find('\n') == s.size() - 1; }

// The problem again as a file, for compare's second operand: an in-memory file, so that
// nothing is written to disk.
std::string as_file(std::string_view problem) {
    static const int fd = memfd_create("dlsolve-fuzz", 0);
    if (fd < 0) return "-";
    if (ftruncate(fd, 0) != 0 || pwrite(fd, problem.data(), problem.size(), 0) != static_cast<ssize_t>(problem.size())) std::abort();
    return "/proc/self/fd/" + std::to_string(fd);
}

// One of the commands, in one of the formats, chosen by the input's length: as the
// fuzzer inserts and erases bytes, a problem meets every command and every renderer,
// at the cost of one run (all of them on every input would be ten times slower on the
// inputs that parse, where the time goes).
void some_command(std::string_view problem) {
    static const char* const commands[] = {"params", "shapes",   "rf",    "flops", "summary", "forward",
                                           "backward", "train", "solve", "check", "compare", "graph"};
    static const char* const formats[] = {"text", "json", "markdown", "latex"};
    const std::string command = commands[problem.size() % std::size(commands)];
    std::string format = formats[problem.size() / std::size(commands) % std::size(formats)];
    if (command == "graph" && format != "json") format = "dot";  // graph writes DOT or JSON
    std::vector<std::string> args{command};
    if (command != "check") args.insert(args.end(), {"--format", format});
    if (takes_budget(command)) args.push_back(kFuzzBudget);
    args.push_back("-");
    if (command == "compare") args.push_back(as_file(problem));
    const Run r = run(args, problem);
    if (r.status == 2) {
        if (command != "check") {
            if (!r.out.empty()) fail(args, r, "refused, yet something on stdout");
            if (!one_line(r.err)) fail(args, r, "refused without exactly one line on stderr");
        }
        return;
    }
    if (command == "check") return;  // 0 or 1 (an answer differs from the file's key)
    if (r.status != 0) fail(args, r, "exit status 1 outside check");
    if (!r.err.empty()) fail(args, r, "answered, yet something on stderr");
    if (format == "json" && !nlohmann::json::accept(r.out)) fail(args, r, "--format json printed invalid JSON");
}

void one_command(std::string_view problem, std::string_view line) {
    std::vector<std::string> args;
    size_t at = 0;
    while (at < line.size() && args.size() < 12) {
        const size_t end = std::min(line.find(' ', at), line.size());
        std::string word(line.substr(at, end - at));
        at = end + 1;
        // Only options after the command: no positional word, no "--" that would make the
        // next one positional, no path.
        if (word.empty() || word == "--" || word.find('/') != std::string::npos || (!args.empty() && word[0] != '-')) continue;
        // A budget raised by the user lets a problem take the memory it asks for: only
        // budgets up to the fuzz budget (65536 elements) are tried.
        if (word.rfind("--max", 0) == 0 &&
            (word.rfind("--max-elements=", 0) != 0 || word.size() > 15 + kFuzzBudgetDigits ||
             word.find_first_not_of("0123456789", 15) != std::string::npos || std::stoll("0" + word.substr(15)) > 65536))
            continue;
        if (word.rfind("--junit", 0) == 0) continue;  // check --junit FILE writes a file
        args.push_back(std::move(word));
    }
    if (args.empty()) return;
    bool budget = false;
    for (const auto& a : args) budget |= a.rfind("--max", 0) == 0;
    if (!budget && takes_budget(args[0])) args.push_back(kFuzzBudget);
    args.push_back("-");
    if (args[0] == "compare") args.push_back(as_file(problem));
    const Run r = run(args, problem);
    if (r.status == 0) {
        bool json = false;
        for (const auto& a : args) json |= a == "--format=json" || a == "-fjson";
        // --help (or -h, alone or among short flags) prints the usage, whatever the format.
        // --version prints "dlsolve X.Y.Z".
        const bool help = r.out.rfind("Usage: dlsolve", 0) == 0 || r.out.find("\nUsage: dlsolve") != std::string::npos ||
                          r.out.rfind("dlsolve ", 0) == 0;
        if (json && !help && !nlohmann::json::accept(r.out)) fail(args, r, "--format json printed invalid JSON");
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string_view input(reinterpret_cast<const char*>(data), size);
    const size_t nul = input.find('\0');
    if (nul == std::string_view::npos)
        some_command(input);
    else
        one_command(input.substr(0, nul), input.substr(nul + 1));
    return 0;
}
