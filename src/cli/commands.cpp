#include "cli/commands.h"

#include <iostream>
#include <map>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/problem.h"
#include "render/render.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

constexpr const char* kExample = "problems/004-2022-02-09-segmentation.json";

// A message on one line, whatever the exception said.
std::string one_line(std::string text) {
    for (auto& c : text)
        if (c == '\n' || c == '\r') c = ' ';
    return text;
}

using Builder = Worksheet (*)(const Problem&, const Analysis&);

int answer(const std::string& file, Format format, Builder build, std::istream& in, std::ostream& out, std::ostream& err) {
    const std::string shown = file == "-" ? "<stdin>" : file;
    std::string text;
    try {
        const Problem problem = parse_problem(read_problem_text(file, in));
        Analysis analysis = infer_shapes(problem);
        count_params(problem, analysis);
        text = render(build(problem, analysis), format);
    } catch (const ProblemError& e) {
        err << shown << ": " << one_line(e.what()) << "\n";
        return 2;
    }
    out << text;
    return 0;
}

}  // namespace

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
    CLI::App app{"dlsolve solves the computational questions of deep-learning exams and shows its work:\n"
                 "every figure comes with the formula that produced it."};
    app.name("dlsolve");
    app.require_subcommand(1);
    app.footer(fmt::format("Examples:\n"
                           "  dlsolve params {0}\n"
                           "  dlsolve shapes --format markdown {0}\n"
                           "  cat model.json | dlsolve params -\n"
                           "  dlsolve check problems/\n\n"
                           "Exit status: 0 answered, 1 check found a differing answer, 2 bad input or usage.",
                           kExample));

    std::string file;
    Format format = Format::Text;
    const std::map<std::string, Format> formats{{"text", Format::Text}, {"json", Format::Json}, {"markdown", Format::Markdown}};
    struct Command {
        const char* name;
        const char* help;
        Builder build;
    };
    const Command commands[] = {
        {"params", "Keras-style summary: output shape and parameter count of every layer, each count as a formula",
         params_worksheet},
        {"shapes", "output shape of every layer with the size arithmetic", shapes_worksheet},
        {"solve", "answer everything the problem's \"ask\" lists", solve_worksheet},
    };
    std::map<CLI::App*, Builder> builders;
    for (const auto& c : commands) {
        CLI::App* sub = app.add_subcommand(c.name, c.help);
        sub->add_option("file", file, "problem file (JSON), or - for standard input")->required();
        sub->add_option("--format,-f", format, "text (default), json or markdown")
            ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
        sub->footer(fmt::format("Example:\n  dlsolve {} {}", c.name, kExample));
        builders[sub] = c.build;
    }
    std::vector<std::string> paths;
    CLI::App* check = app.add_subcommand("check", "compare every problem's answers with its \"expect\" answer key");
    check->add_option("paths", paths, "problem files or directories (searched for *.json)")->required();
    check->footer("Example:\n  dlsolve check problems/\n\nPrints one line per problem and ends with \"N passed, N failed\".\n"
                  "Exit status: 0 all pass, 1 an answer differs, 2 a file cannot be read or is invalid.");

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e, out, err);
        return status == 0 ? 0 : 2;
    }
    if (check->parsed()) return run_check(paths, in, out, err);
    for (const auto& [sub, build] : builders)
        if (sub->parsed()) return answer(file, format, build, in, out, err);
    return 2;
}

}  // namespace dlsolve
