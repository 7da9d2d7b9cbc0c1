#!/usr/bin/env node
// Differential test: dlsolve's Keras optimizer rules ("framework": "keras") against
// TensorFlow.js's tf.train.* optimizers and against Keras's own update formulas.
//
//   node tests/diff/keras_optimizers.mjs DLSOLVE_BINARY [--count N] [--seed S] [--verbose]
//   node tests/diff/keras_optimizers.mjs --self-test DLSOLVE_BINARY
//
// For every rule below, N (default 100) generated problems: a dense layer (1-3 units,
// with bias) on a 2-4 element input, MSE against a random target, 3 optimizer steps.
// `dlsolve train --format json` gives, per step, every parameter's value before, its
// gradient, the rule's state and the value after. Two references replay the steps
// from the same initial values with dlsolve's gradient of each step (the gradients
// themselves are checked against PyTorch by torch_numeric.py; this test is about the
// update rules):
//
//  1. Keras's update_step, transcribed below in float64 from keras/src/optimizers/
//     sgd.py, rmsprop.py, adam.py, adamw.py, adagrad.py and base_optimizer.py
//     (_apply_weight_decay: w ← w − w·λ·lr before the step): every value and state
//     must agree to a relative 1e-9.
//  2. TensorFlow.js's optimizers, where they implement the same rule: tf.train.sgd,
//     tf.train.momentum (its accumulator a ← μ·a + g, w ← w − lr·a is Keras's
//     v ← μ·v − lr·g, w ← w + v with v = −lr·a at a constant lr; Nesterov likewise),
//     tf.train.rmsprop (ε inside the root, lr inside the momentum, as Keras) and
//     tf.train.adagrad (accumulator from initialAccumulatorValue, ε = the backend's
//     1e-7 inside the root, as Keras). TF.js computes in float32 only, so these agree
//     to a relative 1e-6 (absolute 1e-6 near 0). tf.train.adam adds ε after the bias
//     correction (torch.optim's form, not Keras's ε̂): it is compared only on the
//     problems generated with ε = 0, where both forms coincide; AdamW has no TF.js
//     optimizer, and Keras's weight decay is applied to the TF.js variable by hand,
//     as base_optimizer.py does, before tf.train's step.
//
// --self-test: the float64 reference is run with torch.optim's rules instead (ε after
// the bias correction, ε outside the roots, the accumulator from 0, no decoupled
// decay); each must be caught as a mismatch on some problem, so the comparison can fail.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import * as tf from '@tensorflow/tfjs';

await tf.setBackend('cpu');
tf.backend().firstUse = false;

const args = process.argv.slice(2);
const selfTest = args.includes('--self-test');
const verbose = args.includes('--verbose');
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};
const count = option('--count', 100);
const seed = option('--seed', 15);
const binary = args.find((a, i) => !a.startsWith('--') && !['--count', '--seed'].includes(args[i - 1]));
if (!binary) {
  console.error('usage: keras_optimizers.mjs [--self-test] DLSOLVE_BINARY [--count N] [--seed S]');
  process.exit(2);
}

// ------------------------------------------------------------------ generation

function mulberry32(a) {
  return () => {
    a |= 0; a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rng = mulberry32(seed);
const pick = (list) => list[Math.floor(rng() * list.length)];
// Multiples of 1/32 in [−2, 2] other than 0: exact in float32, so TF.js starts from the
// same numbers; no zero input, so that no weight's gradient is exactly 0 (with ε = 0,
// Adam's m/√v is then 0/0: NaN in Keras, an error in dlsolve).
const value = () => {
  for (;;) {
    const v = Math.round((rng() * 4 - 2) * 32) / 32;
    if (v !== 0) return v;
  }
};
const values = (n) => Array.from({ length: n }, value);

// Each rule: the optimizer object of the problem file (lr and the settings drawn).
const RULES = [
  ['sgd', () => ({ type: 'sgd', lr: pick([0.01, 0.05, 0.1]) })],
  ['sgd+momentum', () => ({ type: 'sgd', lr: pick([0.01, 0.05]), momentum: pick([0.5, 0.9]) })],
  ['sgd+nesterov', () => ({ type: 'sgd', lr: pick([0.01, 0.05]), momentum: pick([0.5, 0.9]), nesterov: true })],
  ['sgd+weight_decay', () => ({ type: 'sgd', lr: pick([0.01, 0.05]), momentum: 0.9, weight_decay: pick([0.01, 0.1]) })],
  ['rmsprop', () => ({ type: 'rmsprop', lr: pick([0.001, 0.01]) })],
  ['rmsprop+momentum', () => ({ type: 'rmsprop', lr: pick([0.001, 0.01]), beta: pick([0.8, 0.95]), momentum: pick([0.5, 0.9]) })],
  ['adam', () => ({ type: 'adam', lr: pick([0.001, 0.01, 0.1]) })],
  ['adam+eps0', () => ({ type: 'adam', lr: pick([0.001, 0.01]), beta1: pick([0.8, 0.9]), beta2: pick([0.99, 0.999]), eps: 0 })],
  ['adamw', () => ({ type: 'adamw', lr: pick([0.001, 0.01, 0.1]), weight_decay: pick([0.004, 0.05]) })],
  ['adagrad', () => ({ type: 'adagrad', lr: pick([0.01, 0.1]) })],
  ['adagrad+initial', () => ({ type: 'adagrad', lr: pick([0.01, 0.1]), initial_accumulator: pick([0, 0.5, 1]) })],
];

function problem(label, index, optimizer) {
  const inputs = 2 + Math.floor(rng() * 3), units = 1 + Math.floor(rng() * 3);
  const weights = Array.from({ length: inputs }, () => values(units));
  return {
    title: `keras_optimizers seed ${seed} #${index}: ${label}`,
    framework: 'keras',
    input: { name: 'x', shape: [inputs], values: values(inputs) },
    layers: [{ name: 'd', type: 'dense', units, weights, bias: values(units) }],
    target: values(units),
    loss: 'mse',
    optimizer,
    steps: 3,
  };
}

// ------------------------------------------------------------------ references

const DEFAULTS = { eps: 1e-7, rho: 0.9, adagrad_initial: 0.1, adamw_decay: 0.004 };

/** Keras's update_step for one element, float64; `torchLike` swaps in torch.optim's rules (self-test). */
function kerasReference(o, torchLike) {
  const eps = o.eps ?? DEFAULTS.eps, rho = o.beta ?? DEFAULTS.rho, mu = o.momentum ?? 0;
  const b1 = o.beta1 ?? 0.9, b2 = o.beta2 ?? 0.999;
  const decay = o.weight_decay ?? (o.type === 'adamw' ? DEFAULTS.adamw_decay : 0);
  const initial = torchLike ? 0 : (o.initial_accumulator ?? DEFAULTS.adagrad_initial);
  const state = { m: 0, v: 0, s: o.type === 'adagrad' ? initial : 0, b: 0 };
  return {
    state,
    step(w, g, t) {
      if (decay !== 0) w = torchLike && o.type !== 'adamw' ? w : w - w * decay * o.lr;  // base_optimizer._apply_weight_decay
      if (o.type === 'sgd') {
        if (mu === 0) return w - g * o.lr;
        state.v = state.v * mu - g * o.lr;                                         // sgd.py
        return o.nesterov ? w + (state.v * mu - g * o.lr) : w + state.v;
      }
      if (o.type === 'rmsprop') {
        state.s = rho * state.s + (1 - rho) * g * g;                               // rmsprop.py
        const increment = torchLike ? (o.lr * g) / (Math.sqrt(state.s) + eps) : (o.lr * g) / Math.sqrt(state.s + eps);
        if (mu > 0) { state.b = mu * state.b + increment; return w - state.b; }
        return w - increment;
      }
      if (o.type === 'adagrad') {
        state.s += g * g;                                                          // adagrad.py
        return torchLike ? w - (o.lr * g) / (Math.sqrt(state.s) + eps) : w - (o.lr * g) / Math.sqrt(state.s + eps);
      }
      state.m += (g - state.m) * (1 - b1);                                         // adam.py, adamw.py
      state.v += (g * g - state.v) * (1 - b2);
      const p1 = Math.pow(b1, t), p2 = Math.pow(b2, t);
      if (torchLike) return w - (o.lr * (state.m / (1 - p1))) / (Math.sqrt(state.v / (1 - p2)) + eps);
      const alpha = (o.lr * Math.sqrt(1 - p2)) / (1 - p1);
      state.alpha_t = alpha;
      return w - (state.m * alpha) / (Math.sqrt(state.v) + eps);
    },
  };
}

/** The TF.js optimizer of the same rule, or null where TF.js has none (see the header). */
function tfjsOptimizer(o) {
  const eps = o.eps ?? DEFAULTS.eps, mu = o.momentum ?? 0;
  if (o.type === 'sgd') return mu === 0 ? tf.train.sgd(o.lr) : tf.train.momentum(o.lr, mu, !!o.nesterov);
  if (o.type === 'rmsprop') return tf.train.rmsprop(o.lr, o.beta ?? DEFAULTS.rho, mu, eps);
  if (o.type === 'adagrad') return eps === tf.backend().epsilon() ? tf.train.adagrad(o.lr, o.initial_accumulator ?? DEFAULTS.adagrad_initial) : null;
  if (o.type === 'adam' && eps === 0) return tf.train.adam(o.lr, o.beta1 ?? 0.9, o.beta2 ?? 0.999, 0);
  return null;
}

// ------------------------------------------------------------------ comparison

const close = (a, b, rel, abs) => Math.abs(a - b) <= Math.max(rel * Math.max(Math.abs(a), Math.abs(b)), abs);

function runDlsolve(file) {
  const r = spawnSync(binary, ['train', '--format', 'json', file], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dlsolve exit ${r.status}: ${(r.stderr || '').trim().split('\n')[0]}`);
  return JSON.parse(r.stdout).training;
}

const STATE_KEYS = { sgd: ['v'], rmsprop: ['s', 'b'], adam: ['m', 'v', 'alpha_t'], adamw: ['m', 'v', 'alpha_t'], adagrad: ['s'] };

/** Mismatches of one problem's trace against the references. */
function compare(o, trace, torchLike) {
  const bad = [];
  const names = Object.keys(trace[0].params);
  const refs = names.map(() => kerasReference(o, torchLike));
  const w64 = names.map((n) => trace[0].params[n].before);
  const tfOpt = torchLike ? null : tfjsOptimizer(o);
  const vars = tfOpt ? names.map((n, i) => tf.variable(tf.scalar(w64[i]), true, `w${i}`)) : [];
  for (const entry of trace) {
    const t = entry.step;
    if (tfOpt && o.weight_decay) for (const v of vars) v.assign(tf.sub(v, tf.mul(v, o.weight_decay * o.lr)));  // Keras's decay, by hand
    if (tfOpt) tfOpt.applyGradients(Object.fromEntries(names.map((n, i) => [`w${i}`, tf.scalar(entry.params[n].grad)])));
    names.forEach((n, i) => {
      const got = entry.params[n];
      w64[i] = refs[i].step(w64[i], got.grad, t);
      if (!close(got.after, w64[i], 1e-9, 1e-12)) bad.push(`step ${t} ${n}: dlsolve ${got.after}, Keras's formula ${w64[i]}`);
      for (const key of STATE_KEYS[o.type]) {
        if (!(key in got) || torchLike) continue;
        const ref = key === 's' ? refs[i].state.s : key === 'b' ? refs[i].state.b : key === 'alpha_t' ? refs[i].state.alpha_t
                  : key === 'm' ? refs[i].state.m : refs[i].state.v;
        if (!close(got[key], ref, 1e-9, 1e-12)) bad.push(`step ${t} ${n}.${key}: dlsolve ${got[key]}, Keras's formula ${ref}`);
      }
      if (tfOpt) {
        const tfValue = vars[i].dataSync()[0];
        if (!close(got.after, tfValue, 1e-6, 1e-6)) bad.push(`step ${t} ${n}: dlsolve ${got.after}, TF.js (float32) ${tfValue}`);
      }
    });
  }
  if (tfOpt) { vars.forEach((v) => v.dispose()); tfOpt.dispose(); }
  return { bad, tfjs: !!tfOpt };
}

// ------------------------------------------------------------------ main

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'keras-optimizers-'));
let failures = 0;
const summary = [];
for (const [label, make] of RULES) {
  let pass = 0, tfjs = 0, caught = 0;
  for (let index = 0; index < count; ++index) {
    const o = make();
    const p = problem(label, index, o);
    const file = path.join(dir, `${label}-${index}.json`);
    fs.writeFileSync(file, JSON.stringify(p));
    let trace;
    try {
      trace = runDlsolve(file);
    } catch (e) {
      // ε = 0 and an output equal to its target: a gradient of exactly 0 makes Adam's
      // m/√v 0/0 (NaN in Keras); dlsolve refuses it. Draw another problem.
      if (o.eps === 0 && e.message.includes('division of 0 by zero')) { --index; continue; }
      ++failures;
      console.log(`FAIL ${label} #${index} (${file}): ${e.message}`);
      continue;
    }
    if (selfTest) {
      if (compare(o, trace, true).bad.length > 0) ++caught;
      continue;
    }
    const { bad, tfjs: withTfjs } = compare(o, trace, false);
    if (withTfjs) ++tfjs;
    if (bad.length === 0) {
      ++pass;
      fs.unlinkSync(file);
      if (verbose) console.log(`ok ${label} #${index}`);
    } else {
      ++failures;
      console.log(`FAIL ${label} #${index} (${file}):\n  ${bad.slice(0, 6).join('\n  ')}`);
    }
  }
  if (selfTest) {
    // SGD without momentum and without weight decay is the same in both libraries.
    const same = label === 'sgd' || label === 'sgd+momentum' || label === 'sgd+nesterov' || label === 'adam+eps0';
    const ok = same ? true : caught > 0;
    if (!ok) ++failures;
    summary.push(`${label}: torch.optim's rule caught on ${caught}/${count}${same ? ' (the same rule: not required)' : ''}`);
  } else {
    summary.push(`${label}: ${pass}/${count} agree (${tfjs} also against TF.js)`);
  }
}
console.log(summary.join('\n'));
if (failures === 0) fs.rmSync(dir, { recursive: true, force: true });
console.log(failures === 0 ? (selfTest ? 'self-test passed: the comparison detects torch.optim\'s rules' : 'all agree')
                           : `${failures} failure(s); files kept in ${dir}`);
process.exit(failures === 0 ? 0 : 1);
