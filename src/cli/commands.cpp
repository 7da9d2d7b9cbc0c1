#include "cli/commands.h"
#include "vary/vary.h"

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <sstream>

#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <unistd.h>

#include "import/import.h"
#include "export/export.h"
#include "passes/analysis.h"
#include "problem/error.h"
#include "problem/fields.h"
#include "problem/problem.h"
#include "render/render.h"
#include "report/analysis_reports.h"
#include "report/framework_summary.h"
#include "report/graph_report.h"
#include "report/newton_report.h"
#include "report/numeric_reports.h"
#include "report/reports.h"

namespace dlsolve {
namespace {

// CMake's project() VERSION, as a compile definition of this file.
constexpr const char* kDlsolveVersion = DLSOLVE_VERSION;

constexpr const char* kExample = "problems/004-2022-02-09-segmentation.json";

struct Options {
    Format format = Format::Text;
    std::string layer;            // rf --layer
    std::string dtype = "float32";  // summary, compare --dtype
    NumericOptions numeric;       // backward/train --param, train --steps, --all
    int precision = 10;           // significant digits of printed reals
    int64_t max_elements = kDefaultMaxElements;  // the numeric engine's budget (--max-elements)
    bool quiet = false;           // --quiet: no notes, no convention paragraph
    ReadOptions read;             // --from, --framework, --input: reading Python model code
    bool standalone = false;      // --standalone: LaTeX as a whole document
    std::string style = "dlsolve";  // params, summary --style: keras, keras2, torchinfo
    bool formulas = false;        // --formulas: dlsolve's formulas beside a framework's layout
    int depth = -1;               // --depth: torchinfo's depth (-1: not given, torchinfo's default 3)
};

// params and summary --style keras|keras2|torchinfo: the framework tool's own table.
std::optional<Worksheet> styled(const Problem& problem, const Analysis& analysis, const Options& options) {
    if (options.depth >= 0 && options.style != "torchinfo")
        throw ProblemError("", "--depth is torchinfo's: it goes with --style torchinfo");
    if (options.style == "dlsolve") return std::nullopt;
    return framework_summary_worksheet(problem, analysis, *find_summary_tool(options.style), options.formulas,
                                       options.depth >= 0 ? options.depth : kTorchinfoDepth);
}


// --quiet: the worksheet without the problem's notes and its "Convention" lines (the
// cost convention paragraph of flops and solve).
void drop_notes(Worksheet& sheet) {
    sheet.notes.clear();
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
using BuildFn = Worksheet (*)(const std::vector<const Problem*>&, const std::vector<const Analysis*>&, const Options&);
int answer(const std::vector<std::string>& files, Options options, bool with_costs, const CommandName& command, std::istream& in, std::ostream& out,
           std::ostream& err, BuildFn build) {
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
            problems.push_back(load_problem(file, in, options.read));
            problems.back().numeric.max_elements = options.max_elements;
            // Equations answer in symbols where the command says so; layers with sizes in symbols shapes and params.
            const Problem& p = problems.back();
            const bool in_symbols = p.size_symbols ? command.name == "params" || command.name == "shapes" || command.name == "solve" : command.symbolic;
            if (!in_symbols) p.require_numbers(command.name);
            analyses.push_back(analyse(problems.back(), with_costs));
        }
        std::vector<const Problem*> p;
        std::vector<const Analysis*> a;
        for (size_t i = 0; i < problems.size(); ++i) p.push_back(&problems[i]), a.push_back(&analyses[i]);
        sheet = build(p, a, options);
        if (options.quiet) drop_notes(sheet);
        text = render(sheet, options.format, options.standalone);
    } catch (const ProblemError& e) {
        progress.clear();
        err << printable_line(error_line(current, e)) << "\n";
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

// Several problem files: each answered in turn under its file name (text: head(1)'s
// "==> FILE <==", markdown: a heading, JSON: one array of {"file", "answer"}). A bad
// file stops the run before anything is printed, as with one file.
int answer_each(const std::vector<std::string>& files, const Options& options, bool with_costs, const CommandName& command,
                std::istream& in, std::ostream& out, std::ostream& err, BuildFn build) {
    if (files.size() == 1) return answer(files, options, with_costs, command, in, out, err, build);
    std::string text;
    Json all = Json::array();
    for (size_t i = 0; i < files.size(); ++i) {
        std::ostringstream one;
        if (const int status = answer({files[i]}, options, with_costs, command, in, one, err, build); status != 0) return status;
        const std::string name = shown_name(files[i]);
        if (options.format == Format::Json) all.push_back(Json{{"file", name}, {"answer", Json::parse(one.str())}});
        else if (options.format == Format::Markdown) text += fmt::format("{}# {}\n\n{}", i ? "\n" : "", name, one.str());
        else text += fmt::format("{}==> {} <==\n{}", i ? "\n" : "", name, one.str());
    }
    out << (options.format == Format::Json ? all.dump(2, ' ', false, Json::error_handler_t::strict) + "\n" : text);
    return 0;
}

// `dlsolve parms x.json`: names the word and the nearest command (or lists them all),
// by the rule that suggests a problem file's keys and layer types.
std::string unknown_command(const std::string& word, const std::vector<std::string>& names) {
    if (const std::string best = closest(word, names); !best.empty())
        return fmt::format("dlsolve: unknown command \"{}\"; did you mean \"{}\"?", word, best);
    return fmt::format("dlsolve: unknown command \"{}\"; the commands are {}", word, fmt::join(names, ", "));
}

// A choice among words: --help shows them as `a|b|c`, and anything else (a number) is refused.
CLI::Option* add_choice(CLI::App* sub, const std::string& flags, std::string& target, const std::vector<std::string>& words,
                        const std::string& help) {
    return sub->add_option(flags, target, help)
        ->transform(CLI::Validator(
            [words](std::string& value) {
                std::string lower = value;
                for (auto& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
                if (std::find(words.begin(), words.end(), lower) == words.end())
                    return fmt::format("\"{}\" is not one of {}", value, fmt::join(words, ", "));
                value = lower;
                return std::string();
            },
            ""))
        ->type_name(fmt::format("{}", fmt::join(words, "|")));
}

// convert: the JSON problem a Python listing builds, checked by the problem parser.
int run_convert(const std::string& file, ReadOptions read, std::istream& in, std::ostream& out, std::ostream& err) {
    if (read.from.empty()) read.from = "python";
    try {
        const std::string text = problem_document(file, in, read);
        std::istringstream again(text);
        load_problem("-", again, ReadOptions{"json", "", {}});
        out << text;
        return 0;
    } catch (const ProblemError& e) {
        err << printable_line(error_line(shown_name(file), e)) << "\n";
        return 2;
    }
}

}  // namespace

void leave_memory_to_exit() { memory_left_to_exit = true; }

int run_cli(const std::vector<std::string>& args, std::istream& in, std::ostream& out, std::ostream& err) {
    CLI::App app{"dlsolve solves the computational questions of deep-learning exams and shows its work:\n"
                 "every figure comes with the formula that produced it."};
    app.name("dlsolve");
    app.require_subcommand(1);
    app.set_version_flag("--version", fmt::format("dlsolve {}", kDlsolveVersion), "Print the version and exit");
    app.footer(fmt::format("Examples:\n"
                           "  dlsolve params {0}\n"
                           "  dlsolve shapes --format markdown {0}\n"
                           "  dlsolve params - < {0}\n"
                           "  dlsolve check problems/\n\n"
                           "Exit status: 0 answered, 1 check found a differing answer, 2 bad input or usage.",
                           kExample));

    Options options;
    std::vector<std::string> files;
    std::string format_word = "text";
    const std::vector<std::string> format_words{"text", "json", "markdown", "latex"};
    const std::map<std::string, Format> formats{{"text", Format::Text},         {"json", Format::Json}, {"markdown", Format::Markdown},
                                                {"latex", Format::Latex},       {"dot", Format::Dot}};
    struct Command {
        const char* name;
        const char* help;
        BuildFn build;
        const char* example;    // arguments of --help's example
        bool costs = false;  // needs MACs and FLOPs
        bool symbolic = false;  // answers a network whose sizes are symbols
    };
    const Command commands[] = {
        {"params", "Keras-style summary: output shape and parameter count of every layer, each count as a formula",
         [](auto& p, auto& a, auto& o) { auto s = styled(*p[0], *a[0], o); return s ? std::move(*s) : params_worksheet(*p[0], *a[0]); }, kExample, false, true},
        {"shapes", "output shape of every layer with the size arithmetic",
         [](auto& p, auto& a, auto&) { return shapes_worksheet(*p[0], *a[0]); }, kExample, false, true},
        {"rf", "receptive field, jump (effective stride), start and effective padding of every layer",
         [](auto& p, auto& a, auto& o) { return rf_worksheet(*p[0], *a[0], o.layer); },
         "--layer batchNorm problems/004-2022-02-09-segmentation.json"},
        {"flops", "MACs and FLOPs of every layer with their formulas, and the totals",
         [](auto& p, auto& a, auto&) { return flops_worksheet(*p[0], *a[0]); }, kExample, true},
        {"summary", "one table: shapes, parameters, receptive fields, MACs and activation memory",
         [](auto& p, auto& a, auto& o) { auto s = styled(*p[0], *a[0], o); return s ? std::move(*s) : summary_worksheet(*p[0], *a[0], chosen_type(o)); }, kExample, true},
        {"forward", "every layer's output values, each element with its substituted formula, and the loss",
         [](auto& p, auto& a, auto& o) { return forward_worksheet(*p[0], *a[0], o.numeric); },
         "--quiet problems/ref-mazur-backprop-example.json"},
        {"backward", "the loss and ∂L/∂ every parameter and input; the chain rule written out over every path",
         [](auto& p, auto& a, auto& o) { return backward_worksheet(*p[0], *a[0], o.numeric); },
         "--param w1 problems/ref-mazur-backprop-example.json", false, true},
        {"train", "optimizer steps on one batch or a list of batches, or a learning rule (Hebbian, perceptron): every parameter, gradient and optimizer state per step",
         [](auto& p, auto& a, auto& o) { return train_worksheet(*p[0], *a[0], o.numeric); }, "--steps 3 problems/001-8-adam.json"},
        {"solve", "answer everything the problem's \"ask\" lists",
         [](auto& p, auto& a, auto&) { return solve_worksheet(*p[0], *a[0]); }, kExample, true, true},
        {"graph", "the network as a Graphviz DOT picture: layers with type and parameters, shapes on the edges (dlsolve graph FILE | dot -Tsvg > net.svg)",
         [](auto& p, auto& a, auto&) { return graph_worksheet(*p[0], *a[0]); }, kExample},
    };
    const std::vector<std::string> dtypes{"float32", "float16", "bfloat16", "float64", "int8"};
    struct Builder {
        BuildFn build;
        bool costs;
        CommandName command;
    };
    std::map<CLI::App*, Builder> builders;
    const auto add_format = [&](CLI::App* sub) {
        add_choice(sub, "--format,-f", format_word, format_words, "output format (default text)");
        sub->add_flag("--standalone", options.standalone, "with --format latex: a whole document (article, amsmath, booktabs), not a fragment");
    };
    const auto add_quiet = [&](CLI::App* sub, const char* help) { sub->add_flag("--quiet,-q", options.quiet, help); };
    const auto add_budget = [&](CLI::App* sub) {
        sub->add_option("--max-elements", options.max_elements,
                        fmt::format("the numeric engine's budget of tensor elements (default {}: about {} MiB of memory with the worked steps)",
                                    kDefaultMaxElements, kDefaultMaxElements * kBytesPerWorkedElement / (1 << 20)))
            ->check(CLI::Range(int64_t{1}, int64_t{1} << 40));
    };
    const auto add_code_options = [&](CLI::App* sub) {
        add_choice(sub, "--from", options.read.from, {"json", "python"}, "read the file as json or python (default: python for a name ending in .py)");
        add_choice(sub, "--framework", options.read.framework, {"keras", "pytorch"}, "keras or pytorch, for Python code that could be either");
        sub->add_option("--input", options.read.input, "the input size of PyTorch code without an example input, as C,H,W")
            ->delimiter(',')
            ->check(CLI::PositiveNumber);
    };
    // Only the command being run gets its options (CLI11 builds every option object, and
    // ten commands' options were a quarter of a small answer's instructions); any other
    // first word (--help, a misspelling) sees them all.
    const auto named = [&](const char* name) { return std::any_of(std::begin(commands), std::end(commands), [&](const Command& c) { return name == std::string(c.name); }); };
    const bool one_command = !args.empty() && named(args[0].c_str());
    for (const auto& c : commands) {
        CLI::App* sub = app.add_subcommand(c.name, c.help);
        if (one_command && args[0] != c.name) continue;
        sub->add_option("files", files, "problem files (JSON, or Python model code: .py), answered one after another, or - for standard input")->required();
        if (std::string(c.name) == "graph")
            add_choice(sub, "--format,-f", format_word, {"dot", "json"}, "output format (default dot, Graphviz)");
        else
            add_format(sub);
        add_code_options(sub);
        const std::string name = c.name;
        add_quiet(sub, name == "flops" || name == "solve" ? "leave out the problem's notes and the convention paragraph (what MACs and FLOPs count)"
                                                          : "leave out the problem's notes");
        if (name == "rf") sub->add_option("--layer,-l", options.layer, "one layer, with its recurrence worked forward and backward");
        if (name == "forward" || name == "backward" || name == "train" || name == "solve") {
            sub->add_flag("--all", options.numeric.all, "work every element of large tensors, not only the first 32");
            sub->add_option("--precision", options.precision, "significant digits of printed reals (default 10)")
                ->check(CLI::Range(1, 17));
            add_budget(sub);
        }
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
            add_choice(sub, "--style", options.style, {"dlsolve", "keras", "keras2", "torchinfo"},
                       "dlsolve (default); keras: Keras 3's model.summary() box table; keras2: Keras 2's ruled table; "
                       "torchinfo: torchinfo's summary() with mult-adds and memory");
            sub->add_flag("--formulas", options.formulas, "with --style: add dlsolve's formula of every row as a last column, and the totals worked");
            sub->add_option("--depth", options.depth,
                            "with --style torchinfo: hide modules nested deeper than N; a container at depth N shows its summed parameters (default 3)")
                ->type_name("N")
                ->check(CLI::Range(0, 1000).description(""));
        }
        if (name == "summary") add_choice(sub, "--dtype", options.dtype, dtypes, "bytes per value (default float32)");
        sub->footer(fmt::format("Example:\n  dlsolve {} {}", c.name, c.example));
        builders[sub] = {c.build, c.costs, {c.name, c.symbolic}};
    }
    CLI::App* compare = app.add_subcommand("compare", "two networks side by side: parameters, MACs, receptive field, memory");
    compare->add_option("files", files, "the two problem files, A and B")->required()->expected(2);
    add_format(compare);
    add_quiet(compare, "leave out the problems' notes");
    add_choice(compare, "--dtype", options.dtype, dtypes, "bytes per value (default float32)");
    compare->footer("Example:\n  dlsolve compare problems/000-4b-arch1-5x5.json problems/000-4b-arch2-1x1-bottleneck.json");
    builders[compare] = {[](auto& p, auto& a, auto& o) { return compare_worksheet(*p[0], *a[0], *p[1], *a[1], chosen_type(o)); }, true, {"compare", false}};

    CheckOptions check_options;
    std::string check_format = "text";
    CLI::App* convert = app.add_subcommand("convert", "write the JSON problem that Python model code (Keras or PyTorch) builds");
    convert->add_option("file", files, "Python model code (.py), or - with --from python")->required()->expected(1);
    add_code_options(convert);
    convert->footer("Example:\n  dlsolve convert problems/code/004-gap-classifier-64x64.py");

    CLI::App* check = app.add_subcommand("check", "compare every problem's answers with its \"expect\" answer key");
    check->add_option("paths", check_options.paths, "problem files or directories (searched for *.json)")->required();
    add_choice(check, "--format,-f", check_format, {"text", "json"}, "output format (default text)");
    check->add_option("--junit", check_options.junit, "also write a JUnit XML report to FILE (each problem a test case)")->type_name("FILE");
    check->add_flag("--quiet,-q", check_options.quiet, "print only the failures and the totals line");
    check->add_option("--jobs,-j", check_options.jobs, "files checked at once (default: every core)")->check(CLI::Range(1, 1024));
    add_budget(check);
    check->footer("Examples:\n  dlsolve check problems/\n  dlsolve check --quiet --format json problems/\n\n"
                  "Prints one line per problem and ends with \"N passed, N failed\".\n"
                  "Exit status: 0 all pass, 1 an answer differs, 2 a file cannot be read or is invalid, 70 an internal error.");

    std::string export_to, export_out;
    std::vector<std::string> export_paths;
    CLI::App* exporter = app.add_subcommand("export", "problem files with an answer key as numerical questions: Moodle XML, QTI 2.1 or PrairieLearn");
    exporter->add_option("paths", export_paths, "problem files or directories (searched for *.json)")->required();
    add_choice(exporter, "--to", export_to, {"moodle-xml", "qti", "prairielearn"}, "the format (required)")->required();
    exporter->add_option("--out,-o", export_out, "moodle-xml: a file (default standard output); qti, prairielearn: a folder");
    exporter->footer("Example:\n  dlsolve export --to moodle-xml problems/001-6-backpropagation.json\n\n"
                     "Answers are dlsolve's for the keys in \"expect\"; a real answer accepts the file's \"tolerance\" (relative,\n"
                     "default 0.01, at least 1e-8 absolute), an integer only itself.");

    VaryOptions vary_options;
    CLI::App* vary = app.add_subcommand("vary", "draw variants of a problem within its \"vary\" ranges, each solved, with its answer key");
    vary->add_option("file", vary_options.file, "a problem file with a \"vary\" object")->required();
    vary->add_option("--n", vary_options.count, "how many variants (default 10)")->check(CLI::Range(int64_t{1}, int64_t{10000}));
    vary->add_option("--seed", vary_options.seed, "the seed of dlsolve's SplitMix64 generator (default 1): the same seed writes the same files");
    vary->add_option("--out", vary_options.out_dir, "the directory to write the variants and index.tsv to")->required();
    add_budget(vary);
    vary->footer("Example:\n  dlsolve vary problems/001-6-backpropagation.json --n 30 --seed 7 --out /tmp/variants");

    // An unknown first word is a misspelt command: name it and suggest the nearest.
    if (!args.empty() && !args[0].empty() && args[0][0] != '-') {
        std::vector<std::string> names;
        for (const auto* sub : app.get_subcommands({})) names.push_back(sub->get_name());
        if (std::find(names.begin(), names.end(), args[0]) == names.end()) {
            err << printable_line(unknown_command(args[0], names)) << "\n";
            return 2;
        }
    }
    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        const int status = app.exit(e, out, err);
        return status == 0 ? 0 : 2;
    }
    if (vary->parsed()) {
        vary_options.max_elements = options.max_elements;
        return run_vary(vary_options, in, out, err);
    }
    if (app.got_subcommand("graph") && format_word == "text") format_word = "dot";
    options.format = formats.at(format_word);
    if (check->parsed()) {
        check_options.json = check_format == "json";
        check_options.max_elements = options.max_elements;
        // Colour only on a terminal, and never with NO_COLOR set (https://no-color.org).
        const char* no_color = std::getenv("NO_COLOR");
        check_options.color = &out == &std::cout && isatty(STDOUT_FILENO) && !(no_color && *no_color);
        return run_check(check_options, in, out, err);
    }
    if (convert->parsed()) return run_convert(files[0], options.read, in, out, err);
    if (exporter->parsed()) return run_export(export_paths, export_to, export_out, in, out, err);
    for (const auto& [sub, command] : builders)
        if (sub->parsed()) {
            set_real_precision(options.precision);
            options.numeric.states = options.format == Format::Json;  // only JSON prints the per-step states
            // A Newton's-method file ("newton") is a problem of its own kind (report/newton_report.h).
            std::optional<std::string> stdin_text;
            if (auto status = answer_newton(files, command.command.name, options.format, options.standalone, options.quiet, in, out, err, stdin_text))
                return *status;
            std::istringstream replay(stdin_text.value_or(""));
            std::istream& source = stdin_text ? replay : in;
            if (sub == compare) return answer(files, options, command.costs, command.command, source, out, err, command.build);
            return answer_each(files, options, command.costs, command.command, source, out, err, command.build);
        }
    return 2;
}

}  // namespace dlsolve
