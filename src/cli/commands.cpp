#include "cli/commands.h"

#include <chrono>
#include <iostream>
#include <map>
#include <memory>
#include <optional>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/problem.h"
#include "render/render.h"
#include "report/analysis_reports.h"
#include "report/framework_summary.h"
#include "report/graph_report.h"
#include "report/numeric_reports.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

constexpr const char* kExample = "problems/004-2022-02-09-segmentation.json";

struct Options {
    Format format = Format::Text;
    std::string layer;            // rf --layer
    std::string dtype = "float32";  // summary, compare --dtype
    NumericOptions numeric;       // backward/train --param, train --steps, --all
    int precision = 10;           // significant digits of printed reals
    int64_t max_elements = kDefaultMaxElements;  // the numeric engine's budget (--max-elements)
    bool quiet = false;           // flops, solve --quiet: no convention paragraph
    std::string style = "dlsolve";  // params, summary --style: keras, keras2, torchinfo
    bool formulas = false;        // --formulas: dlsolve's formulas beside a framework's layout
};

// params and summary --style keras|keras2|torchinfo: the framework tool's own table.
std::optional<Worksheet> styled(const Problem& problem, const Analysis& analysis, const Options& options) {
    if (options.style == "dlsolve") return std::nullopt;
    return framework_summary_worksheet(problem, analysis, *find_summary_tool(options.style), options.formulas);
}

// --quiet: the worksheet without its "Convention" lines (the cost convention paragraph).
void drop_conventions(Worksheet& sheet) {
    for (auto& section : sheet.sections)
        std::erase_if(section.lines, [](const Line& line) { return line.label == "Convention"; });
}

using Builder = Worksheet (*)(const Problem&, const Analysis&, const Options&);

std::string shown_name(const std::string& file) { return file == "-" ? "<stdin>" : file; }

bool memory_left_to_exit = false;

// "step 1200 of 40000" on one terminal line, from half a second into the run, at most
// ten times a second.
class Progress {
public:
    Progress(std::ostream& err, bool terminal) : err_(err), terminal_(terminal) {}
    ~Progress() { clear(); }
    // Erases the line, before an answer or a message is written.
    void clear() {
        if (written_) err_ << "\r\033[K" << std::flush;
        written_ = false;
    }
    bool shown() const { return terminal_; }
    void step(int64_t done, int64_t total) {
        const auto now = std::chrono::steady_clock::now();
        if (now - start_ < std::chrono::milliseconds(500) || now - last_ < std::chrono::milliseconds(100)) return;
        last_ = now;
        written_ = true;
        err_ << (total > 0 ? fmt::format("\rdlsolve: step {} of {}", done, total) : fmt::format("\rdlsolve: step {}", done)) << std::flush;
    }

private:
    std::ostream& err_;
    bool terminal_;
    bool written_ = false;
    std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now(), last_{};
};

// Reads, solves and renders; on bad input prints one line on stderr and nothing on stdout.
// A subcommand by name, and whether it answers a network of equations in symbols.
struct CommandName {
    std::string name;
    bool symbolic;
};

// A network whose sizes are symbols is refused by the commands that need numbers.
int answer(const std::vector<std::string>& files, Options options, bool with_costs, const CommandName& command, std::istream& in, std::ostream& out,
           std::ostream& err, Worksheet (*build)(const std::vector<const Problem*>&, const std::vector<const Analysis*>&,
                                                 const Options&)) {
    struct Work {
        std::vector<Problem> problems;
        std::vector<Analysis> analyses;
        Worksheet sheet;
    };
    auto work = std::make_unique<Work>();
    auto& [problems, analyses, sheet] = *work;
    problems.reserve(files.size());
    analyses.reserve(files.size());
    std::string text;
    std::string current;
    // Long training shows how far it got, on a terminal only: stderr stays clean for scripts.
    Progress progress(err, &err == &std::cerr && isatty(STDERR_FILENO));
    if (progress.shown()) options.numeric.progress = [&](int64_t done, int64_t total) { progress.step(done, total); };
    try {
        for (const auto& file : files) {
            current = shown_name(file);
            problems.push_back(parse_problem(read_problem_text(file, in)));
            problems.back().numeric.max_elements = options.max_elements;
            // Equations answer in symbols where the command says so; layers with sizes in symbols only params.
            const Problem& p = problems.back();
            const bool in_symbols = p.size_symbols ? command.name == "params" || command.name == "solve" : command.symbolic;
            if (!in_symbols) p.require_numbers(command.name);
            analyses.push_back(analyse(problems.back(), with_costs));
        }
        std::vector<const Problem*> p;
        std::vector<const Analysis*> a;
        for (size_t i = 0; i < problems.size(); ++i) p.push_back(&problems[i]), a.push_back(&analyses[i]);
        sheet = build(p, a, options);
        if (options.quiet) drop_conventions(sheet);
        text = render(sheet, options.format);
    } catch (const ProblemError& e) {
        progress.clear();
        err << printable_line(current + ": " + e.what()) << "\n";
        return 2;
    } catch (const ArithmeticError& e) {
        progress.clear();
        err << printable_line(current + ": the arithmetic cannot be carried out: " + e.what()) << "\n";
        return 2;
    }
    progress.clear();
    out << text;
    if (memory_left_to_exit) {
        // Still reachable from a static, so leak checkers do not report it.
        static auto* kept = new std::vector<std::unique_ptr<Work>>;
        kept->push_back(std::move(work));
    }
    return 0;
}

DataType chosen_type(const Options& options) { return *data_type(options.dtype); }

}  // namespace

void leave_memory_to_exit() { memory_left_to_exit = true; }

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

    Options options;
    std::vector<std::string> files;
    const std::map<std::string, Format> formats{{"text", Format::Text}, {"json", Format::Json}, {"markdown", Format::Markdown}};
    using Build = Worksheet (*)(const std::vector<const Problem*>&, const std::vector<const Analysis*>&, const Options&);
    struct Command {
        const char* name;
        const char* help;
        Build build;
        const char* example;
        bool costs = false;  // needs MACs and FLOPs
        bool symbolic = false;  // answers a network whose sizes are symbols
    };
    const Command commands[] = {
        {"params", "Keras-style summary: output shape and parameter count of every layer, each count as a formula",
         [](auto& p, auto& a, auto& o) { auto s = styled(*p[0], *a[0], o); return s ? std::move(*s) : params_worksheet(*p[0], *a[0]); }, "", false, true},
        {"shapes", "output shape of every layer with the size arithmetic",
         [](auto& p, auto& a, auto&) { return shapes_worksheet(*p[0], *a[0]); }, "", false, true},
        {"rf", "receptive field, jump (effective stride), start and effective padding of every layer",
         [](auto& p, auto& a, auto& o) { return rf_worksheet(*p[0], *a[0], o.layer); }, " --layer batchNorm"},
        {"flops", "MACs and FLOPs of every layer with their formulas, and the totals",
         [](auto& p, auto& a, auto&) { return flops_worksheet(*p[0], *a[0]); }, "", true},
        {"summary", "one table: shapes, parameters, receptive fields, MACs and activation memory",
         [](auto& p, auto& a, auto& o) { auto s = styled(*p[0], *a[0], o); return s ? std::move(*s) : summary_worksheet(*p[0], *a[0], chosen_type(o)); }, "", true},
        {"forward", "every layer's output values, each element with its substituted formula, and the loss",
         [](auto& p, auto& a, auto& o) { return forward_worksheet(*p[0], *a[0], o.numeric); }, ""},
        {"backward", "the loss and ∂L/∂ every parameter and input; the chain rule written out over every path",
         [](auto& p, auto& a, auto& o) { return backward_worksheet(*p[0], *a[0], o.numeric); }, " --param w11", false, true},
        {"train", "optimizer steps on one batch or a list of batches, or a learning rule (Hebbian, perceptron): every parameter, gradient and optimizer state per step",
         [](auto& p, auto& a, auto& o) { return train_worksheet(*p[0], *a[0], o.numeric); }, " --steps 3"},
        {"solve", "answer everything the problem's \"ask\" lists",
         [](auto& p, auto& a, auto&) { return solve_worksheet(*p[0], *a[0]); }, "", true, true},
        {"graph", "the network as a Graphviz DOT picture: layers with type and parameters, shapes on the edges (dlsolve graph FILE | dot -Tsvg > net.svg)",
         [](auto& p, auto& a, auto&) { return graph_worksheet(*p[0], *a[0]); }, ""},
    };
    const std::vector<std::string> dtypes{"float32", "float16", "bfloat16", "float64", "int8"};
    struct Builder {
        Build build;
        bool costs;
        CommandName command;
    };
    std::map<CLI::App*, Builder> builders;
    const auto add_format = [&](CLI::App* sub) {
        sub->add_option("--format,-f", options.format, "text (default), json or markdown")
            ->transform(CLI::CheckedTransformer(formats, CLI::ignore_case));
    };
    const auto add_budget = [&](CLI::App* sub) {
        sub->add_option("--max-elements", options.max_elements,
                        fmt::format("the numeric engine's budget of tensor elements (default {}, {} MiB as float64)",
                                    kDefaultMaxElements, kDefaultMaxElements * 8 / (1 << 20)))
            ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
    };
    for (const auto& c : commands) {
        CLI::App* sub = app.add_subcommand(c.name, c.help);
        sub->add_option("file", files, "problem file (JSON), or - for standard input")->required()->expected(1);
        if (std::string(c.name) == "graph")
            sub->add_option("--format,-f", options.format, "dot (default, Graphviz) or json")
                ->transform(CLI::CheckedTransformer(std::map<std::string, Format>{{"dot", Format::Dot}, {"json", Format::Json}}, CLI::ignore_case));
        else
            add_format(sub);
        if (std::string(c.name) == "rf")
            sub->add_option("--layer,-l", options.layer, "one layer, with its recurrence worked forward and backward");
        const std::string name = c.name;
        if (name == "forward" || name == "backward" || name == "train" || name == "solve") {
            sub->add_flag("--all", options.numeric.all, "work every element of large tensors, not only the first 32");
            sub->add_option("--precision", options.precision, "significant digits of printed reals (default 10)")
                ->check(CLI::Range(1, 17));
            add_budget(sub);
        }
        if (name == "flops" || name == "solve")
            sub->add_flag("--quiet,-q", options.quiet, "leave out the convention paragraph (what MACs and FLOPs count)");
        if (name == "backward" || name == "train")
            sub->add_option("--param,-p", options.numeric.param, "one parameter, by its exam symbol (w11), worked in full");
        if (name == "train") {
            auto* steps = sub->add_option("--steps,-n", options.numeric.steps, "number of steps on the one batch (default: the problem's \"steps\")")
                              ->check(CLI::Range(1, 100000));
            sub->add_option("--epochs,-e", options.numeric.epochs,
                            "passes over the batches, or a learning rule's samples (default: the problem's \"epochs\")")
                ->check(CLI::Range(1, 100000))
                ->excludes(steps);
        }
        if (name == "params" || name == "summary") {
            sub->add_option("--style", options.style,
                            "dlsolve (default); keras: Keras 3's model.summary() box table; keras2: Keras 2's ruled table; "
                            "torchinfo: torchinfo's summary() with mult-adds and memory")
                ->check(CLI::IsMember({"dlsolve", "keras", "keras2", "torchinfo"}));
            sub->add_flag("--formulas", options.formulas, "with --style: add dlsolve's formula of every row as a last column, and the totals worked");
        }
        if (std::string(c.name) == "summary")
            sub->add_option("--dtype", options.dtype, "bytes per value: float32 (default), float16, bfloat16, float64, int8")
                ->check(CLI::IsMember(dtypes));
        sub->footer(fmt::format("Example:\n  dlsolve {}{} {}", c.name, c.example, kExample));
        builders[sub] = {c.build, c.costs, {c.name, c.symbolic}};
    }
    CLI::App* compare = app.add_subcommand("compare", "two networks side by side: parameters, MACs, receptive field, memory");
    compare->add_option("files", files, "the two problem files, A and B")->required()->expected(2);
    add_format(compare);
    compare->add_option("--dtype", options.dtype, "bytes per value: float32 (default), float16, bfloat16, float64, int8")
        ->check(CLI::IsMember(dtypes));
    compare->footer("Example:\n  dlsolve compare problems/000-4b-arch1-5x5.json problems/000-4b-arch2-1x1-bottleneck.json");
    builders[compare] = {[](auto& p, auto& a, auto& o) { return compare_worksheet(*p[0], *a[0], *p[1], *a[1], chosen_type(o)); }, true, {"compare", false}};

    std::vector<std::string> paths;
    CLI::App* check = app.add_subcommand("check", "compare every problem's answers with its \"expect\" answer key");
    check->add_option("paths", paths, "problem files or directories (searched for *.json)")->required();
    add_budget(check);
    check->footer("Example:\n  dlsolve check problems/\n\nPrints one line per problem and ends with \"N passed, N failed\".\n"
                  "Exit status: 0 all pass, 1 an answer differs, 2 a file cannot be read or is invalid, 70 an internal error.");

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e, out, err);
        return status == 0 ? 0 : 2;
    }
    if (check->parsed()) return run_check(paths, options.max_elements, in, out, err);
    if (app.got_subcommand("graph") && options.format == Format::Text) options.format = Format::Dot;
    for (const auto& [sub, command] : builders)
        if (sub->parsed()) {
            set_real_precision(options.precision);
            options.numeric.states = options.format == Format::Json;  // only JSON prints the per-step states
            return answer(files, options, command.costs, command.command, in, out, err, command.build);
        }
    return 2;
}

}  // namespace dlsolve
