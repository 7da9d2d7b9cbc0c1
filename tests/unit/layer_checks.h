// The numeric rules of a layer kind checked against each other on random values:
// (a) explain() gives forward()'s value for every element, (b) the gradient assembled
// from links() by the chain rule equals backward() for the inputs and the parameters,
// (c) backward() equals a central finite difference of forward().
#pragma once

#include <string>
#include <vector>

#include "helpers.h"

namespace dlsolve::test {

struct Discrepancy {
    double explain = 0;     // |explain − forward|, relative
    double links = 0;       // |chain rule from links − backward|, relative
    double difference = 0;  // |finite difference − backward|, relative
    size_t outputs = 0;     // elements checked
};

double relative(double a, double b);

// A layer fed random inputs (batch `batch`) and random values: L = Σ g·y for a random g.
Discrepancy check_layer(const Layer& layer, const std::vector<Dims>& input_shapes, const Convention& convention, bool training,
                        int64_t batch, unsigned seed);
// The last layer of a problem.
Discrepancy check_rules(const std::string& framework, const std::string& input_shape, const std::string& layers,
                        bool training = false, int64_t batch = 2, unsigned seed = 1);

struct Case {
    const char* label;
    const char* framework;
    const char* input_shape;
    const char* layers;
    bool training = false;
};
// Every case within 1e-12 (explain), 1e-10 (links) and 1e-6 (finite differences).
void check_cases(const std::vector<Case>& cases);

// Each element within 1e-12 of the hand-worked value.
void check_values(const Tensor& t, const std::vector<double>& expected);

// A problem file's text with the input's values given.
std::string problem(const std::string& framework, const std::string& input_values, const std::string& layers,
                    const std::string& extra = "");

}  // namespace dlsolve::test
