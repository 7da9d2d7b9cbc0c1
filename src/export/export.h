// `dlsolve export --to moodle-xml|qti|prairielearn PATHS… [--out PATH]`: problem files with
// an answer key become numerical questions whose correct answers are dlsolve's computed
// answers for the key's names, with the worked solution as feedback.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace dlsolve {

// Relative tolerance of a real answer when the file states none (PrairieLearn's default
// rtol); integer answers (counts, sizes) must be exact.
inline constexpr double kExportRelativeTolerance = 0.01;
// Absolute floor, so that an answer of 0 accepts round-off (PrairieLearn's default atol).
inline constexpr double kExportAbsoluteTolerance = 1e-8;

struct ExportAnswer {
    std::string key;   // the answer key's name: grad.w11
    std::string id;    // an identifier made of it for the formats: grad_w11
    double value = 0;
    bool integer = false;
    double rtol = 0;   // relative tolerance (0: exact)
    double atol = 0;   // absolute tolerance (0: exact)
};

struct ExportQuestion {
    std::string file;   // as given
    std::string name;   // the file's stem, unique among the questions: 001-6-backpropagation
    std::string title;
    std::string uuid;   // from the file's bytes
    std::vector<ExportAnswer> answers;
    std::string solution;  // the worked solution, as `dlsolve solve` prints it
};

// Exit status: 0 written, 2 bad input or usage (one line per problem on `err`).
int run_export(const std::vector<std::string>& paths, const std::string& to, const std::string& out_path, std::istream& in,
               std::ostream& out, std::ostream& err);

// The formats; each returns the files to write as (relative path, contents), or one
// file with an empty path for standard output.
struct ExportFile {
    std::string path;
    std::string contents;
};
std::vector<ExportFile> moodle_xml(const std::vector<ExportQuestion>& questions);
std::vector<ExportFile> qti_items(const std::vector<ExportQuestion>& questions);
std::vector<ExportFile> prairielearn_questions(const std::vector<ExportQuestion>& questions);

std::string xml_escape(const std::string& text);

}  // namespace dlsolve
