// The command line: exit statuses, one-line errors with nothing on stdout, stdin,
// formats, check's report and its exit status.
#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "cli/commands.h"

namespace fs = std::filesystem;

namespace {

struct Run {
    int status;
    std::string out;
    std::string err;
};

Run cli(std::vector<std::string> args, const std::string& stdin_text = "") {
    std::istringstream in(stdin_text);
    std::ostringstream out, err;
    const int status = dlsolve::run_cli(args, in, out, err);
    return {status, out.str(), err.str()};
}

class TempDir {
public:
    TempDir() : path_(fs::temp_directory_path() / fs::path("dlsolve-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++))) {
        fs::create_directories(path_);
    }
    ~TempDir() { fs::remove_all(path_); }
    std::string write(const std::string& name, const std::string& text) const {
        const auto file = path_ / name;
        std::ofstream(file) << text;
        return file.string();
    }
    std::string path() const { return path_.string(); }

private:
    static inline int counter_ = 0;
    fs::path path_;
};

const std::string kDense = R"({"title": "tiny", "input": {"shape": [3]}, "layers": [{"name": "d", "type": "dense", "units": 2}])";

}  // namespace

TEST_CASE("params prints a Keras-style table with formulas and totals", "[cli]") {
    TempDir dir;
    const auto file = dir.write("tiny.json", kDense + "}");
    const Run r = cli({"params", file});
    CHECK(r.status == 0);
    CHECK(r.err.empty());
    CHECK(r.out.find("d (Dense)") != std::string::npos);
    CHECK(r.out.find("2 × (3 + 1) = 8") != std::string::npos);
    CHECK(r.out.find("Total params: 2 × (3 + 1) = 8") != std::string::npos);
    CHECK(cli({"params", file}).out == r.out);  // deterministic
}

TEST_CASE("json output has answers and steps, and markdown is a table", "[cli]") {
    TempDir dir;
    const auto file = dir.write("tiny.json", kDense + "}");
    const Run json = cli({"params", "--format", "json", file});
    CHECK(json.status == 0);
    CHECK(json.out.find("\"params.d\": 8") != std::string::npos);
    CHECK(json.out.find("\"formula\": \"2 × (3 + 1)\"") != std::string::npos);
    CHECK(json.out.find("\"symbolic\": \"units × (n_in + 1)\"") != std::string::npos);
    const Run md = cli({"params", "--format", "markdown", file});
    CHECK(md.out.find("| d (Dense) | (None, 2) | 8 | 2 × (3 + 1) = 8 |") != std::string::npos);
    const Run bad = cli({"params", "--format", "pdf", file});
    CHECK(bad.status == 2);
}

TEST_CASE("a problem on standard input", "[cli]") {
    const Run r = cli({"shapes", "-"}, kDense + "}");
    CHECK(r.status == 0);
    CHECK(r.out.find("(None, 2)") != std::string::npos);
    const Run bad = cli({"shapes", "-"}, "{");
    CHECK(bad.status == 2);
    CHECK(bad.out.empty());
    CHECK(bad.err == "<stdin>: line 1, column 2: invalid JSON: unexpected end of input; expected string literal\n");
}

TEST_CASE("bad input: exit 2, one line on stderr, nothing on stdout", "[cli]") {
    TempDir dir;
    const auto file = dir.write("bad.json", R"({"title": "t", "input": {"shape": [3]}, "layers": [{"type": "dense", "unit": 2}]})");
    const Run r = cli({"params", file});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err == file + ": /layers/0/unit: unknown key \"unit\" (did you mean \"units\"?)\n");
    const Run missing = cli({"params", dir.path() + "/nope.json"});
    CHECK(missing.status == 2);
    CHECK(missing.err == dir.path() + "/nope.json: cannot open the file: No such file or directory\n");
    CHECK(cli({"params", dir.path()}).err == dir.path() + ": cannot read a directory as a problem file\n");
}

TEST_CASE("usage: help exits 0, unknown commands exit 2", "[cli]") {
    const Run help = cli({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.find("dlsolve check problems/") != std::string::npos);
    const Run sub_help = cli({"params", "--help"});
    CHECK(sub_help.status == 0);
    CHECK(sub_help.out.find("Example:") != std::string::npos);
    CHECK(cli({"frobnicate"}).status == 2);
    CHECK(cli({}).status == 2);
}

TEST_CASE("solve answers what ask lists", "[cli]") {
    TempDir dir;
    const auto file = dir.write("ask.json", kDense + R"(, "ask": [{"params": "d"}]})");
    const Run r = cli({"solve", "--format", "json", file});
    CHECK(r.status == 0);
    CHECK(r.out.find("\"params.d\": 8") != std::string::npos);
    CHECK(r.out.find("shapes.d") == std::string::npos);
}

TEST_CASE("check: pass, a differing key, an invalid file", "[cli][check]") {
    TempDir dir;
    dir.write("a-good.json", kDense + R"(, "expect": {"params.d": 8, "shapes.d": [2], "params.total": 8}})");
    dir.write("b-wrong.json", kDense + R"(, "expect": {"params.d": 9, "shapes.d": [2]}})");
    dir.write("c-none.json", kDense + "}");
    dir.write("notes.md", "not a problem");
    Run r = cli({"check", dir.path()});
    CHECK(r.status == 1);
    CHECK(r.out.find("pass  " + dir.path() + "/a-good.json (3 answers)") != std::string::npos);
    CHECK(r.out.find("FAIL  " + dir.path() + "/b-wrong.json: params.d: expected 9, computed 8\n") != std::string::npos);
    CHECK(r.out.find("skip  " + dir.path() + "/c-none.json") != std::string::npos);
    CHECK(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1) == "1 passed, 1 failed, 1 skipped\n");

    dir.write("d-invalid.json", "[]");
    r = cli({"check", dir.path()});
    CHECK(r.status == 2);
    CHECK(r.err.find("d-invalid.json: /: expected an object, found []") != std::string::npos);
    CHECK(r.out.find("1 passed, 2 failed, 1 skipped") != std::string::npos);
}

TEST_CASE("check: every path is reported, and a folder without problems is an error", "[cli][check]") {
    TempDir dir;
    dir.write("a-good.json", kDense + R"(, "expect": {"params.d": 8}})");
    fs::create_symlink(dir.path() + "/gone.json", dir.path() + "/b-broken.json");
    fs::create_directories(dir.path() + "/sub");
    dir.write("sub/c-good.json", kDense + R"(, "expect": {"params.d": 8}})");
    Run r = cli({"check", dir.path()});
    CHECK(r.status == 2);
    CHECK(r.err == dir.path() + "/b-broken.json: a broken symbolic link\n");
    CHECK(r.out.find("pass  " + dir.path() + "/sub/c-good.json") != std::string::npos);
    CHECK(r.out.substr(r.out.rfind('\n', r.out.size() - 2) + 1) == "2 passed, 1 failed\n");

    TempDir empty;
    empty.write("notes.md", "no problems here");
    r = cli({"check", empty.path()});
    CHECK(r.status == 2);
    CHECK(r.err == empty.path() + ": no problem files (*.json) in this directory\n");
    CHECK(r.out == "0 passed, 1 failed\n");
}

TEST_CASE("check: a numeric problem over the budget is an error for that file, and the others are checked", "[cli][check]") {
    TempDir dir;
    dir.write("a-big.json", R"({"title": "t", "input": {"shape": [2, 2, 1], "values": [[[1], [2]], [[3], [4]]]},
                               "layers": [{"type": "upsampling2d", "size": 4}], "ask": ["forward"], "expect": {"forward.up_sampling2d": 1}})");
    dir.write("b-good.json", kDense + R"(, "expect": {"params.d": 8}})");
    Run r = cli({"check", "--max-elements", "40", dir.path()});
    CHECK(r.status == 2);
    CHECK(r.err.find("a-big.json: layer \"up_sampling2d\" (/layers/0): its output [8, 8, 1] for a batch of 1 has 64 elements, "
                     "above the numeric engine's budget of 40 tensor elements") != std::string::npos);
    CHECK(r.out.find("pass  " + dir.path() + "/b-good.json") != std::string::npos);
    // The same file within a raised budget gets as far as its answer key.
    r = cli({"check", "--max-elements", "100", dir.path() + "/a-big.json"});
    CHECK(r.err.find("budget") == std::string::npos);
}

TEST_CASE("check: a key dlsolve does not answer is a failure, reals use the tolerance", "[cli][check]") {
    TempDir dir;
    const auto typo = dir.write("typo.json", kDense + R"(, "expect": {"param.d": 8}})");
    Run r = cli({"check", typo});
    CHECK(r.status == 1);
    CHECK(r.out.find("param.d: expected 8, computed nothing") != std::string::npos);
    const auto real = dir.write("real.json", kDense + R"(, "tolerance": 0.01, "expect": {"params.d": 8.05}})");
    CHECK(cli({"check", real}).status == 0);
    const auto strict = dir.write("strict.json", kDense + R"(, "expect": {"params.d": 8.05}})");
    CHECK(cli({"check", strict}).status == 1);
}

TEST_CASE("rf, flops, summary and compare", "[cli][analysis]") {
    TempDir dir;
    const auto a = dir.write("a.json", R"({"title": "one 5x5", "input": {"shape": [28, 28, 8]},
        "layers": [{"name": "c", "type": "conv2d", "filters": 8, "kernel": 5, "padding": "same"}]})");
    const auto b = dir.write("b.json", R"({"title": "two 3x3", "input": {"shape": [28, 28, 8]},
        "layers": [{"name": "c1", "type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"},
                   {"name": "c2", "type": "conv2d", "filters": 8, "kernel": 3, "padding": "same"}]})");
    Run r = cli({"rf", b});
    CHECK(r.status == 0);
    CHECK(r.out.find("r = 3 + (3 − 1) × 1 = 5") != std::string::npos);
    r = cli({"rf", "--layer", "c3", b});
    CHECK(r.status == 2);
    CHECK(r.out.empty());
    CHECK(r.err == b + ": --layer: unknown layer \"c3\" (did you mean \"c1\"?)\n");
    r = cli({"rf", "--layer", "c2", "--format", "json", b});
    CHECK(r.out.find("\"receptive_field.c2\": 5") != std::string::npos);
    r = cli({"flops", "--format", "json", a});
    CHECK(r.out.find("\"macs.c\": 1254400") != std::string::npos);  // 5·5·8·8·28·28
    r = cli({"summary", "--dtype", "float16", a});
    CHECK(r.status == 0);
    CHECK(r.out.find("Input size (bytes, float16, batch 1): 1 × 28 × 28 × 8 × 2 = 12544") != std::string::npos);
    CHECK(cli({"summary", "--dtype", "float128", a}).status == 2);
    r = cli({"compare", "--format", "json", a, b});
    CHECK(r.status == 0);
    CHECK(r.out.find("\"delta.params.total\": -440") != std::string::npos);  // 2·8·(9·8 + 1) − 8·(25·8 + 1) = 1168 − 1608
    CHECK(r.out.find("\"a.receptive_field.features\": 5") != std::string::npos);
    CHECK(cli({"compare", a}).status == 2);
    const auto mlp = dir.write("mlp.json", R"({"title": "mlp", "input": {"shape": [4]}, "layers": [{"type": "dense", "units": 2}]})");
    r = cli({"rf", mlp});
    CHECK(r.status == 2);
    CHECK(r.err == mlp + ": /input/shape: receptive fields need an image input [H, W, C], found [4]\n");
    CHECK(cli({"summary", mlp}).status == 0);  // no RF column for a vector input
}
