// The three formats an export writes. The rules each relies on are cited beside the
// test that checks them (tests/export/check_export.py).
#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "export/export.h"
#include "problem/fields.h"

namespace dlsolve {
namespace {

// The shortest text that reads back as the same double (fmt's default): 1.5, -0.65, 1216.
std::string number(double x) { return fmt::format("{}", x); }

std::string solution_html(const ExportQuestion& q) { return "<pre>" + xml_escape(q.solution) + "</pre>"; }

std::string prompt_html(const ExportQuestion& q, const ExportAnswer& a) {
    return fmt::format("<p>{}</p><p>Compute <code>{}</code>.</p>", xml_escape(q.title), xml_escape(a.key));
}

}  // namespace

// Moodle XML: one numerical question per answer, in a category per problem file; the
// tolerance is absolute (answer ± tolerance), so a relative one is multiplied out.
std::vector<ExportFile> moodle_xml(const std::vector<ExportQuestion>& questions) {
    std::string out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<quiz>\n";
    for (const auto& q : questions) {
        out += fmt::format("  <question type=\"category\">\n    <category><text>$course$/dlsolve/{}</text></category>\n  </question>\n",
                           xml_escape(q.name));
        for (const auto& a : q.answers) {
            const double tolerance = a.integer ? 0.0 : std::max(a.rtol * std::abs(a.value), a.atol);
            out += "  <question type=\"numerical\">\n";
            out += fmt::format("    <name><text>{} {}</text></name>\n", xml_escape(q.name), xml_escape(a.key));
            out += fmt::format("    <questiontext format=\"html\"><text><![CDATA[{}]]></text></questiontext>\n", prompt_html(q, a));
            out += fmt::format("    <generalfeedback format=\"html\"><text><![CDATA[{}]]></text></generalfeedback>\n", solution_html(q));
            out += "    <defaultgrade>1</defaultgrade>\n    <penalty>0</penalty>\n    <hidden>0</hidden>\n";
            out += fmt::format("    <answer fraction=\"100\" format=\"moodle_auto_format\">\n      <text>{}</text>\n"
                               "      <tolerance>{}</tolerance>\n      <feedback format=\"html\"><text></text></feedback>\n    </answer>\n",
                               number(a.value), number(tolerance));
            out += "  </question>\n";
        }
    }
    return {{"", out + "</quiz>\n"}};
}

// QTI 2.1: one assessmentItem per problem, a textEntryInteraction and a float
// responseDeclaration per answer, scored by `equal` (relative tolerance in percent), and
// the solution as modalFeedback; imsmanifest.xml lists the items (IMS Content Packaging 1.1).
std::vector<ExportFile> qti_items(const std::vector<ExportQuestion>& questions) {
    std::vector<ExportFile> files;
    std::string resources;
    for (const auto& q : questions) {
        const std::string item = "item-" + q.name;
        std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
        x += fmt::format("<assessmentItem xmlns=\"http://www.imsglobal.org/xsd/imsqti_v2p1\" "
                         "xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\" "
                         "xsi:schemaLocation=\"http://www.imsglobal.org/xsd/imsqti_v2p1 http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd\" "
                         "identifier=\"{}\" title=\"{}\" adaptive=\"false\" timeDependent=\"false\">\n",
                         item, xml_escape(q.title));
        for (const auto& a : q.answers)
            x += fmt::format("  <responseDeclaration identifier=\"{}\" cardinality=\"single\" baseType=\"float\">\n"
                             "    <correctResponse><value>{}</value></correctResponse>\n  </responseDeclaration>\n",
                             a.id, number(a.value));
        x += "  <outcomeDeclaration identifier=\"SCORE\" cardinality=\"single\" baseType=\"float\">\n"
             "    <defaultValue><value>0</value></defaultValue>\n  </outcomeDeclaration>\n"
             "  <outcomeDeclaration identifier=\"FEEDBACK\" cardinality=\"single\" baseType=\"identifier\"/>\n";
        x += fmt::format("  <itemBody>\n    <p>{}</p>\n", xml_escape(q.title));
        for (const auto& a : q.answers)
            x += fmt::format("    <p><code>{}</code> = <textEntryInteraction responseIdentifier=\"{}\" expectedLength=\"12\"/></p>\n",
                             xml_escape(a.key), a.id);
        x += "  </itemBody>\n  <responseProcessing>\n";
        for (const auto& a : q.answers) {
            const std::string mode = a.integer            ? "toleranceMode=\"exact\""
                                     : a.rtol == 0 ? fmt::format("toleranceMode=\"absolute\" tolerance=\"{}\"", number(a.atol))
                                                   : fmt::format("toleranceMode=\"relative\" tolerance=\"{}\"", number(a.rtol * 100));
            x += fmt::format("    <responseCondition>\n      <responseIf>\n        <equal {}>\n"
                             "          <variable identifier=\"{}\"/>\n          <correct identifier=\"{}\"/>\n        </equal>\n"
                             "        <setOutcomeValue identifier=\"SCORE\">\n          <sum>\n            <variable identifier=\"SCORE\"/>\n"
                             "            <baseValue baseType=\"float\">1</baseValue>\n          </sum>\n        </setOutcomeValue>\n"
                             "      </responseIf>\n    </responseCondition>\n",
                             mode, a.id, a.id);
        }
        x += "    <setOutcomeValue identifier=\"FEEDBACK\">\n      <baseValue baseType=\"identifier\">SOLUTION</baseValue>\n"
             "    </setOutcomeValue>\n  </responseProcessing>\n";
        x += fmt::format("  <modalFeedback outcomeIdentifier=\"FEEDBACK\" showHide=\"show\" identifier=\"SOLUTION\" title=\"Worked solution\">"
                         "{}</modalFeedback>\n</assessmentItem>\n",
                         solution_html(q));
        files.push_back({item + ".xml", x});
        resources += fmt::format("    <resource identifier=\"{0}\" type=\"imsqti_item_xmlv2p1\" href=\"{0}.xml\">\n"
                                 "      <file href=\"{0}.xml\"/>\n    </resource>\n",
                                 item);
    }
    files.push_back({"imsmanifest.xml",
                     "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
                     "<manifest xmlns=\"http://www.imsglobal.org/xsd/imscp_v1p1\" identifier=\"dlsolve-export\">\n"
                     "  <organizations/>\n  <resources>\n" + resources + "  </resources>\n</manifest>\n"});
    return files;
}

// PrairieLearn: a folder per problem with info.json (uuid, title, topic, type v3),
// question.html (pl-number-input per answer, the solution in pl-answer-panel) and
// server.py, whose generate() sets data["correct_answers"].
std::vector<ExportFile> prairielearn_questions(const std::vector<ExportQuestion>& questions) {
    std::vector<ExportFile> files;
    for (const auto& q : questions) {
        Json info = Json::object();
        info["uuid"] = q.uuid;
        info["title"] = q.title;
        info["topic"] = "dlsolve";
        info["tags"] = Json::array({"dlsolve"});
        info["type"] = "v3";
        files.push_back({q.name + "/info.json", info.dump(2) + "\n"});
        std::string html = fmt::format("<pl-question-panel>\n  <p>{}</p>\n</pl-question-panel>\n\n", xml_escape(q.title));
        for (const auto& a : q.answers)
            html += fmt::format("<pl-number-input answers-name=\"{}\" label=\"{} =\" comparison=\"relabs\" rtol=\"{}\" atol=\"{}\"></pl-number-input>\n",
                                a.id, xml_escape(a.key), number(a.rtol), number(a.atol));
        html += "\n<pl-answer-panel>\n" + solution_html(q) + "\n</pl-answer-panel>\n";
        files.push_back({q.name + "/question.html", html});
        std::string py = fmt::format("# Written by dlsolve export from {}: the answers are dlsolve's.\n\n\ndef generate(data):\n",
                                     q.file);
        for (const auto& a : q.answers) py += fmt::format("    data[\"correct_answers\"][\"{}\"] = {}\n", a.id, number(a.value));
        files.push_back({q.name + "/server.py", py});
    }
    return files;
}

}  // namespace dlsolve
