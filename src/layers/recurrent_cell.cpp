#include "layers/recurrent_cell.h"

#include <cmath>

namespace dlsolve {

double cell_activation(const std::string& name, double z) {
    if (name == "tanh") return std::tanh(z);
    if (name == "sigmoid") return 1.0 / (1.0 + std::exp(-z));
    if (name == "relu") return z > 0 ? z : 0.0;
    return z;
}

double cell_slope(const std::string& name, double a) {
    if (name == "tanh") return 1.0 - a * a;
    if (name == "sigmoid") return a * (1.0 - a);
    if (name == "relu") return a > 0 ? 1.0 : 0.0;
    return 1.0;
}

namespace {

CellVector activate(const std::string& name, const CellVector& z) {
    CellVector a(z.size());
    for (Eigen::Index k = 0; k < z.size(); ++k) a[k] = cell_activation(name, z[k]);
    return a;
}

CellVector slope(const std::string& name, const CellVector& a) {
    CellVector s(a.size());
    for (Eigen::Index k = 0; k < a.size(); ++k) s[k] = cell_slope(name, a[k]);
    return s;
}

}  // namespace

CellTrace cell_forward(const CellSpec& spec, const CellWeights& w, const CellMatrix& x, const CellState& initial) {
    const Eigen::Index u = spec.units, steps = x.rows();
    CellTrace t;
    t.h.push_back(initial.h.size() == u ? initial.h : CellVector::Zero(u));
    if (spec.kind == CellKind::Lstm) t.c.push_back(initial.c.size() == u ? initial.c : CellVector::Zero(u));
    for (Eigen::Index s = 0; s < steps; ++s) {
        const CellVector& h = t.h.back();
        const CellVector input = w.wx * x.row(s).transpose() + w.bx;
        switch (spec.kind) {
            case CellKind::Simple: {
                t.gates.push_back(activate(spec.activation, input + w.wh * h + w.bh));
                t.h.push_back(t.gates.back());
                break;
            }
            case CellKind::Lstm: {
                const CellVector z = input + w.wh * h + w.bh;
                CellVector g(4 * u);
                g.segment(0, u) = activate(spec.recurrent_activation, z.segment(0, u));
                g.segment(u, u) = activate(spec.recurrent_activation, z.segment(u, u));
                g.segment(2 * u, u) = activate(spec.activation, z.segment(2 * u, u));
                g.segment(3 * u, u) = activate(spec.recurrent_activation, z.segment(3 * u, u));
                const CellVector c = g.segment(u, u).cwiseProduct(t.c.back()) + g.segment(0, u).cwiseProduct(g.segment(2 * u, u));
                t.c.push_back(c);
                t.h.push_back(g.segment(3 * u, u).cwiseProduct(activate(spec.activation, c)));
                t.gates.push_back(std::move(g));
                break;
            }
            case CellKind::Gru: {
                CellVector g(3 * u);
                CellVector rec(3 * u);
                if (spec.reset_after) {
                    rec = w.wh * h + w.bh;
                    g.segment(0, 2 * u) = activate(spec.recurrent_activation, input.segment(0, 2 * u) + rec.segment(0, 2 * u));
                    g.segment(2 * u, u) = activate(spec.activation, input.segment(2 * u, u) + g.segment(u, u).cwiseProduct(rec.segment(2 * u, u)));
                } else {
                    rec.segment(0, 2 * u) = w.wh.topRows(2 * u) * h;
                    g.segment(0, 2 * u) = activate(spec.recurrent_activation, input.segment(0, 2 * u) + rec.segment(0, 2 * u));
                    rec.segment(2 * u, u) = w.wh.bottomRows(u) * g.segment(u, u).cwiseProduct(h);
                    g.segment(2 * u, u) = activate(spec.activation, input.segment(2 * u, u) + rec.segment(2 * u, u));
                }
                const CellVector z = g.segment(0, u);
                t.h.push_back(z.cwiseProduct(h) + (CellVector::Ones(u) - z).cwiseProduct(g.segment(2 * u, u)));
                t.gates.push_back(std::move(g));
                t.recurrent.push_back(std::move(rec));
                break;
            }
        }
    }
    return t;
}

void cell_backward(const CellSpec& spec, const CellWeights& w, const CellMatrix& x, const CellTrace& t,
                   const CellMatrix& grad_h, CellMatrix& grad_x, CellWeights& grads, CellGradients* record,
                   CellState* grad_initial) {
    const Eigen::Index u = spec.units, steps = x.rows();
    grad_x = CellMatrix::Zero(steps, x.cols());
    if (record) *record = {std::vector<CellVector>(static_cast<size_t>(steps)), std::vector<CellVector>(static_cast<size_t>(steps)),
                           std::vector<CellVector>(static_cast<size_t>(steps))};
    CellVector dh_next = CellVector::Zero(u), dc_next = CellVector::Zero(u);
    for (Eigen::Index s = steps; s-- > 0;) {
        const CellVector dh = grad_h.row(s).transpose() + dh_next;
        const CellVector& h_prev = t.h[static_cast<size_t>(s)];
        const CellVector& g = t.gates[static_cast<size_t>(s)];
        CellVector d_input;      // ∂L/∂(W_x·x + b_x)
        CellVector d_recurrent;  // ∂L/∂(W_h·h + b_h), where the cell adds it whole
        switch (spec.kind) {
            case CellKind::Simple: {
                d_input = dh.cwiseProduct(slope(spec.activation, g));
                d_recurrent = d_input;
                dh_next = w.wh.transpose() * d_recurrent;
                break;
            }
            case CellKind::Lstm: {
                const CellVector& c = t.c[static_cast<size_t>(s) + 1];
                const CellVector& c_prev = t.c[static_cast<size_t>(s)];
                const CellVector i = g.segment(0, u), f = g.segment(u, u), cand = g.segment(2 * u, u), o = g.segment(3 * u, u);
                const CellVector act_c = activate(spec.activation, c);
                const CellVector dc = dc_next + dh.cwiseProduct(o).cwiseProduct(slope(spec.activation, act_c));
                if (record) record->dc[static_cast<size_t>(s)] = dc;
                d_input.resize(4 * u);
                d_input.segment(0, u) = dc.cwiseProduct(cand).cwiseProduct(slope(spec.recurrent_activation, i));
                d_input.segment(u, u) = dc.cwiseProduct(c_prev).cwiseProduct(slope(spec.recurrent_activation, f));
                d_input.segment(2 * u, u) = dc.cwiseProduct(i).cwiseProduct(slope(spec.activation, cand));
                d_input.segment(3 * u, u) = dh.cwiseProduct(act_c).cwiseProduct(slope(spec.recurrent_activation, o));
                dc_next = dc.cwiseProduct(f);
                d_recurrent = d_input;
                dh_next = w.wh.transpose() * d_recurrent;
                break;
            }
            case CellKind::Gru: {
                const CellVector z = g.segment(0, u), r = g.segment(u, u), n = g.segment(2 * u, u);
                const CellVector& rec = t.recurrent[static_cast<size_t>(s)];
                const CellVector dz = dh.cwiseProduct(h_prev - n);
                const CellVector dn = dh.cwiseProduct(CellVector::Ones(u) - z).cwiseProduct(slope(spec.activation, n));
                dh_next = dh.cwiseProduct(z);
                d_input.resize(3 * u);
                d_input.segment(0, u) = dz.cwiseProduct(slope(spec.recurrent_activation, z));
                d_input.segment(2 * u, u) = dn;
                if (spec.reset_after) {
                    d_input.segment(u, u) = dn.cwiseProduct(rec.segment(2 * u, u)).cwiseProduct(slope(spec.recurrent_activation, r));
                    d_recurrent = d_input;
                    d_recurrent.segment(2 * u, u) = dn.cwiseProduct(r);
                    dh_next += w.wh.transpose() * d_recurrent;
                } else {
                    // n = f(x_h + W_hh·(r ⊙ h_{t−1})): the reset gate acts before the product.
                    const CellVector d_reset_h = w.wh.bottomRows(u).transpose() * dn;
                    d_input.segment(u, u) = d_reset_h.cwiseProduct(h_prev).cwiseProduct(slope(spec.recurrent_activation, r));
                    dh_next += d_reset_h.cwiseProduct(r) + w.wh.topRows(2 * u).transpose() * d_input.segment(0, 2 * u);
                    grads.wh.topRows(2 * u) += d_input.segment(0, 2 * u) * h_prev.transpose();
                    grads.wh.bottomRows(u) += dn * r.cwiseProduct(h_prev).transpose();
                }
                break;
            }
        }
        if (record) {
            record->dh[static_cast<size_t>(s)] = dh;
            record->da[static_cast<size_t>(s)] = d_input;
        }
        grads.wx += d_input * x.row(s);
        grads.bx += d_input;
        grad_x.row(s) = (w.wx.transpose() * d_input).transpose();
        if (d_recurrent.size() > 0) {
            grads.wh += d_recurrent * h_prev.transpose();
            grads.bh += d_recurrent;
        }
    }
    if (grad_initial) *grad_initial = {dh_next, dc_next};
}

}  // namespace dlsolve
