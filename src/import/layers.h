// The layer classes the reader knows, per framework: each class's constructor
// signature (its parameters in the framework's order, so positional arguments bind as
// they do in Python) and how its arguments become dlsolve's JSON keys.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "import/value.h"

namespace dlsolve::code {

struct LayerClass {
    std::string name;
    std::vector<std::string> signature;
    std::function<Json(const Args&)> build;  // the layer object's JSON keys, "type" first
};

const LayerClass* keras_class(const std::string& name);
const LayerClass* torch_class(const std::string& name);

// Keywords that change no shape or count (initialisers, regularisers, constraints,
// devices): accepted and dropped.
const std::vector<std::string>& keras_ignored();
const std::vector<std::string>& torch_ignored();

// Keras's automatic layer name: the snake case of the class name (Conv2D → conv2d,
// MaxPooling2D → max_pooling2d), as keras.src.utils.naming.to_snake_case.
std::string keras_snake_name(const std::string& class_name);

// An activation word accepted by dlsolve ("relu", …), or a CodeError at `key`.
std::string activation_word(const Args& a, const std::string& key);

}  // namespace dlsolve::code
