#include "check/expect.h"

#include "problem/error.h"
#include "problem/fields.h"

namespace dlsolve {

Json read_expect(const Json& expect, std::map<std::string, Tolerance>& key_tolerances,
                 const std::function<void(const std::string& key, const Json& value)>& accept) {
    if (!expect.is_object()) throw ProblemError("/expect", "expected an object of answer keys, found " + describe(expect));
    Json keys = Json::object();
    for (const auto& [key, given] : expect.items()) {
        const Json* value = &given;
        if (given.is_object() && given.contains("value")) {
            Fields k(given, "/expect/" + key);
            value = k.raw("value");
            if (const Json* t = k.raw("tolerance")) key_tolerances[key] = read_tolerance(*t, "/expect/" + key + "/tolerance");
            k.finish();
        }
        accept(key, *value);
        keys[key] = *value;
    }
    return keys;
}

}  // namespace dlsolve
