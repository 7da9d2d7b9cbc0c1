#include "import/import.h"

#include <filesystem>

#include "import/reader_impl.h"

namespace dlsolve {

namespace code {
Json read_python(const std::string& source, const ReadOptions& options, const std::string& title, std::vector<Place>* places) {
    const auto module = parse_module(source);
    Reader reader(options);
    Json body = reader.read(module);
    Json doc{{"title", title}};
    for (auto& [key, value] : body.items()) doc[key] = value;
    if (places) *places = reader.layer_places;
    return doc;
}
}  // namespace code

namespace {

std::string title_of(const std::string& file) {
    if (file == "-") return "model read from Python code";
    return std::filesystem::path(file).filename().string();
}

}  // namespace

bool is_python(const std::string& file, const ReadOptions& options) {
    if (options.from == "python") return true;
    if (options.from == "json") return false;
    return file.size() > 3 && file.compare(file.size() - 3, 3, ".py") == 0;
}

std::string problem_document(const std::string& file, std::istream& in, const ReadOptions& options) {
    const std::string text = read_problem_text(file, in);
    if (!is_python(file, options)) return text;
    const Json doc = code::read_python(text, options, title_of(file));
    std::string out = "{\n";
    bool first = true;
    for (const auto& [key, value] : doc.items()) {
        out += first ? "" : ",\n";
        first = false;
        if (key == "layers") {
            out += "  \"layers\": [\n";
            for (size_t i = 0; i < value.size(); ++i) out += "    " + value[i].dump() + (i + 1 < value.size() ? ",\n" : "\n");
            out += "  ]";
        } else {
            out += "  " + Json(key).dump() + ": " + value.dump();
        }
    }
    return out + "\n}\n";
}

Problem load_problem(const std::string& file, std::istream& in, const ReadOptions& options) {
    if (!is_python(file, options)) return parse_problem(read_problem_text(file, in));
    std::vector<code::Place> places;
    const Json doc = code::read_python(read_problem_text(file, in), options, title_of(file), &places);
    try {
        return parse_problem(doc.dump());
    } catch (const code::CodeError&) {
        throw;
    } catch (const ProblemError& e) {
        // "/layers/3/kernel" → the line that made layer 3
        const std::string& where = e.where();
        const std::string prefix = "/layers/";
        if (where.rfind(prefix, 0) != 0) throw;
        const size_t end = where.find('/', prefix.size());
        const std::string index = where.substr(prefix.size(), end == std::string::npos ? std::string::npos : end - prefix.size());
        size_t i = 0;
        try {
            i = std::stoul(index);
        } catch (const std::exception&) {
            throw e;
        }
        if (i >= places.size()) throw;
        const std::string what = std::string(e.what()).substr(where.size() + 2);
        const std::string key = end == std::string::npos ? "" : where.substr(end + 1);
        throw code::CodeError(places[i], "the layer " + doc["layers"][i].value("name", "") + (key.empty() ? "" : ", " + key) + ": " + what);
    }
}

std::string error_line(const std::string& shown_file, const ProblemError& e) {
    if (dynamic_cast<const code::CodeError*>(&e)) return shown_file + ":" + e.what();
    return shown_file + ": " + e.what();
}

}  // namespace dlsolve
