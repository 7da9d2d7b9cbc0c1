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

TEST_CASE("json output has answers and steps; markdown is a table", "[cli]") {
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
