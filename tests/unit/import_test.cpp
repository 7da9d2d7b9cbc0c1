// The Python reader: what a listing becomes as a JSON problem, and where it refuses.
// Counts here are worked by hand from the layers' formulas; the differential suites
// (tests/import) compare the same reading with torch and with the JSON forms.
#include <catch2/catch.hpp>

#include <sstream>

#include "cli/commands.h"
#include "import/import.h"

namespace {

using dlsolve::Json;

Json read(const std::string& code, const std::string& framework = "", std::vector<int64_t> input = {}) {
    dlsolve::ReadOptions options;
    options.framework = framework;
    options.input = std::move(input);
    return dlsolve::code::read_python(code, options, "t");
}

std::string refusal(const std::string& code, const std::string& framework = "") {
    try {
        read(code, framework);
    } catch (const dlsolve::ProblemError& e) {
        return e.what();
    }
    return "(read)";
}

int run(const std::vector<std::string>& args, const std::string& stdin_text, std::string& out, std::string& err) {
    std::istringstream in(stdin_text);
    std::ostringstream o, e;
    const int status = dlsolve::run_cli(args, in, o, e);
    out = o.str();
    err = e.str();
    return status;
}

}  // namespace

TEST_CASE("variables, arithmetic, tuples and continued lines become layer keys") {
    const Json doc = read(
        "from keras.models import Sequential\n"
        "from keras.layers import Conv2D, MaxPooling2D, Dense, Flatten\n"
        "nb = 8  # filters\n"
        "size = (2,\n"
        "        2)\n"
        "model = Sequential()\n"
        "model.add(Conv2D(nb*2 + 1, (3, 3), input_shape=(16, 16, 3), \\\n"
        "                 padding='same'))\n"
        "model.add(MaxPooling2D(pool_size=size))\n"
        "model.add(Flatten())\n"
        "model.add(Dense(10 // 3, activation='softmax'))\n");
    CHECK(doc["framework"] == "keras");
    CHECK(doc["input"]["shape"] == Json::array({16, 16, 3}));
    REQUIRE(doc["layers"].size() == 4);
    CHECK(doc["layers"][0]["name"] == "conv2d");
    CHECK(doc["layers"][0]["filters"] == 17);
    CHECK(doc["layers"][0]["kernel"] == Json::array({3, 3}));
    CHECK(doc["layers"][0]["padding"] == "same");
    CHECK(doc["layers"][1]["name"] == "max_pooling2d");
    CHECK(doc["layers"][1]["pool"] == Json::array({2, 2}));
    CHECK(doc["layers"][3]["units"] == 3);  // Python's floor division
}

TEST_CASE("positional arguments bind in the framework's signature order") {
    // Conv2d(in_channels, out_channels, kernel_size, stride, padding)
    const Json doc = read("import torch.nn as nn\nmodel = nn.Sequential(nn.Conv2d(3, 16, 5, 2, 1), nn.MaxPool2d(3, 2))\n", "", {3, 32, 32});
    CHECK(doc["framework"] == "pytorch");
    const Json& conv = doc["layers"][0];
    CHECK(conv["name"] == "0");
    CHECK(conv["filters"] == 16);
    CHECK(conv["in_channels"] == 3);
    CHECK(conv["kernel"] == 5);
    CHECK(conv["stride"] == 2);
    CHECK(conv["padding"] == 1);
    CHECK(doc["layers"][1]["pool"] == 3);
    CHECK(doc["layers"][1]["stride"] == 2);
}

TEST_CASE("a functional graph names the inputs of a layer that does not read the previous one") {
    const Json doc = read(
        "import tensorflow as tf\ntfkl = tf.keras.layers\n"
        "inp = tfkl.Input(shape=(8, 8, 3))\n"
        "a = tfkl.Conv2D(4, 3, padding='same', name='a')(inp)\n"
        "b = tfkl.Conv2D(4, 1, name='b')(inp)\n"
        "c = tfkl.Add()([a, b])\n"
        "out = tfkl.concatenate([c, a])\n"
        "model = tf.keras.Model(inp, out)\n");
    REQUIRE(doc["layers"].size() == 4);
    CHECK_FALSE(doc["layers"][0].contains("inputs"));
    CHECK(doc["layers"][1]["inputs"] == Json::array({"input"}));
    CHECK(doc["layers"][2]["inputs"] == Json::array({"a", "b"}));
    CHECK(doc["layers"][3]["type"] == "concat");
    CHECK(doc["layers"][3]["inputs"] == Json::array({"add", "a"}));
}

TEST_CASE("an nn.Module's forward: submodules by attribute path, residual +, view") {
    const Json doc = read(
        "import torch\nimport torch.nn as nn\nimport torch.nn.functional as F\n"
        "class Block(nn.Module):\n"
        "    def __init__(self, c):\n"
        "        super().__init__()\n"
        "        self.conv = nn.Conv2d(c, c, 3, padding=1)\n"
        "    def forward(self, x):\n"
        "        return F.relu(self.conv(x) + x)\n"
        "class Net(nn.Module):\n"
        "    def __init__(self):\n"
        "        super(Net, self).__init__()\n"
        "        self.block = Block(4)\n"
        "        self.fc = nn.Linear(4 * 2 * 2, 3)\n"
        "    def forward(self, x):\n"
        "        x = self.block(x)\n"
        "        x = x.view(x.size(0), -1)\n"
        "        return self.fc(x)\n"
        "example_input = torch.randn(1, 4, 2, 2)\n");
    REQUIRE(doc["layers"].size() == 5);
    CHECK(doc["input"]["shape"] == Json::array({4, 2, 2}));
    CHECK(doc["layers"][0]["name"] == "block.conv");
    CHECK(doc["layers"][1]["type"] == "add");
    CHECK(doc["layers"][1]["inputs"] == Json::array({"block.conv", "input"}));
    CHECK(doc["layers"][2]["type"] == "relu");
    CHECK(doc["layers"][3]["type"] == "flatten");
    CHECK(doc["layers"][4]["name"] == "fc");
    CHECK(doc["layers"][4]["in_features"] == 16);
}

TEST_CASE("code outside the subset is refused at its line and column") {
    CHECK(refusal("import torch.nn as nn\nx = 1\nwhile x:\n    x = 0\n") ==
          "3:1: a loop (while): straight-line code (imports, assignments, calls, class and def with return) is supported");
    CHECK(refusal("from keras.layers import Dense\ny = Dense(units)\n") ==
          "2:11: the name units, which nothing above defines: assign a variable before its use, or import the layer");
    CHECK(refusal("from keras.layers import Dense\ny = Dense(3, 4, 5, 6)\n") ==
          "2:20: Dense with 4 positional arguments: it takes at most 3 (units, activation, use_bias)");
    CHECK(refusal("from keras.layers import Dense\ny = Dense(3, units=4)\n") == "2:20: units= given twice to Dense: give each argument once");
    CHECK(refusal("x = [i for i in (1, 2)]\n", "keras") == "1:8: a comprehension (for inside brackets): write the elements out");
    CHECK(refusal("n = 2 ** 70\n", "keras") == "1:7: an integer beyond 64 bits: smaller sizes are supported");
    CHECK(refusal("model = Sequential()\n") == "1:1: an empty Sequential: add layers to it");
    CHECK(refusal("model = Sequential([Dense(3)])\n") ==
          "1:21: a Sequential whose first layer has no input_shape: give input_shape=(...) to the first layer, or start with Input(shape=(...))");
}

TEST_CASE("the command line reads .py files, stdin with --from python, and convert writes the document") {
    std::string out, err;
    const std::string code = "from keras.layers import Dense, Input\nx = Input(shape=(4,))\ny = Dense(3)(x)\n";
    REQUIRE(run({"params", "--from", "python", "--format", "json", "-"}, code, out, err) == 0);
    CHECK(out.find("\"params.dense\": 15") != std::string::npos);  // 3 × (4 + 1)
    REQUIRE(run({"convert", "-"}, code, out, err) == 0);
    CHECK(out.find("{\"name\":\"dense\",\"type\":\"dense\",\"units\":3}") != std::string::npos);
    REQUIRE(run({"params", "--from", "python", "-"}, "y = Dense(0)(Input(shape=(4,)))\n", out, err) == 2);
    CHECK(out.empty());
    CHECK(err == "<stdin>:1:5: the layer dense, units: expected a positive integer, found 0\n");
}

TEST_CASE("attention and transformer layers from code") {
    // Keras Attention is called on [query, value, key]; dlsolve's attention takes [query, key, value]
    const Json keras = read(
        "from keras.layers import Input, Attention\n"
        "q = Input(shape=(3, 4))\nv = Input(shape=(5, 6), name='v')\nk = Input(shape=(5, 4), name='k')\n"
        "o = Attention()([q, v, k])\n");
    REQUIRE(keras["layers"].size() == 3);
    CHECK(keras["layers"][2]["type"] == "attention");
    CHECK(keras["layers"][2]["scale"] == "none");
    CHECK(keras["layers"][2]["inputs"] == Json::array({"input", "k", "v"}));
    // TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True): torch counts 2,224 parameters (sum of numel over nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True).parameters())
    std::string out, err;
    REQUIRE(run({"params", "--from", "python", "--format", "json", "-"},
                "import torch.nn as nn\nmodel = nn.Sequential(nn.TransformerEncoderLayer(16, 2, dim_feedforward=32, batch_first=True))\n"
                "x = torch.randn(1, 7, 16)\n",
                out, err) == 0);
    CHECK(out.find("\"params.total\": 2224") != std::string::npos);
    CHECK(refusal("import torch.nn as nn\nmodel = nn.Sequential(nn.TransformerEncoderLayer(16, 2))\n") ==
          "2:23: TransformerEncoderLayer without batch_first=True: sequences [batch, T, d_model] (batch_first=True) are supported");
}
