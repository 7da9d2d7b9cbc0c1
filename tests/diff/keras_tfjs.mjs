#!/usr/bin/env node
// Differential test: dlsolve against TensorFlow.js layers (Keras conventions).
//
//   node tests/diff/keras_tfjs.mjs DLSOLVE_BINARY PROBLEMS_DIR [more dirs/files]
//   node tests/diff/keras_tfjs.mjs --self-test [DLSOLVE_BINARY PROBLEMS_DIR ...]
//   node tests/diff/keras_tfjs.mjs --print FILE...      (framework numbers only)
//
// Options: --execute  also run a forward pass on zeros and take shapes from the
//                     real tensors (slow for big models; default: symbolic shapes).
//          --verbose  print every compared value.
//
// For every problem file whose framework is "keras" (the default) the network
// is built with tf.layers (functional API), every layer named as dlsolve names
// it, and its per-layer output shape and parameter count, and the totals with
// the trainable / non-trainable split, are compared with the answers of
// `DLSOLVE params --format json FILE` and `DLSOLVE shapes --format json FILE`.
// See README.md in this directory.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import * as tf from '@tensorflow/tfjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));

await tf.setBackend('cpu');
// The CPU backend prints a banner recommending tfjs-node on its first write.
tf.backend().firstUse = false;

// ---------------------------------------------------------------- outcomes

/** The framework cannot express this file exactly: it is skipped, not compared. */
class Skip extends Error {}
/** The framework refuses this network: dlsolve should have refused it too. */
class Reject extends Error {}

// ---------------------------------------------------------------- helpers

/** Integer or [h, w] → [h, w]. */
function pair(v) {
  if (Array.isArray(v)) {
    if (v.length !== 2) throw new Reject(`expected an int or [h, w], got ${JSON.stringify(v)}`);
    return v;
  }
  return [v, v];
}

/** Default for an optional key that has no default value. */
const OPTIONAL = Symbol('optional');

/**
 * Read a layer's options: `allowed` maps each key this builder understands to
 * its default (undefined = required, OPTIONAL = may be absent).  Any other key
 * makes the file a Skip, so that an option this script does not model can
 * never pass silently.
 */
function opts(spec, allowed) {
  const common = ['type', 'name', 'inputs', 'trainable'];
  for (const k of Object.keys(spec)) {
    if (!common.includes(k) && !(k in allowed)) {
      throw new Skip(`layer type '${spec.type}': key '${k}' is not modelled for Keras`);
    }
  }
  const out = {};
  for (const [k, dflt] of Object.entries(allowed)) {
    const v = spec[k] === undefined ? dflt : spec[k];
    if (v === undefined) throw new Reject(`layer type '${spec.type}': '${k}' is required`);
    out[k] = v === OPTIONAL ? undefined : v;
  }
  return out;
}

/** Keras padding: only 'valid' or 'same' (integers are PyTorch-only). */
function kerasPadding(p) {
  if (p === 'valid' || p === 'same') return p;
  throw new Reject(`Keras padding must be 'valid' or 'same', got ${JSON.stringify(p)}`);
}

/**
 * Activation word → tfjs activation identifier.  tfjs has no leaky_relu or
 * hard_threshold activation *function*; both are element-wise, so 'linear' has
 * the same shape and no parameters: an exact substitute for this comparison.
 */
const ACTIVATION = {
  relu: 'relu', sigmoid: 'sigmoid', tanh: 'tanh', softmax: 'softmax', linear: 'linear',
  leaky_relu: 'linear', hard_threshold: 'linear',
};
function activationId(word) {
  if (word == null) return 'linear';
  if (!(word in ACTIVATION)) throw new Reject(`unknown activation '${word}'`);
  return ACTIVATION[word];
}

/** Common constructor arguments every layer gets. */
function base(spec, name) {
  return { name, trainable: spec.trainable === undefined ? true : spec.trainable };
}

function one(inputs, spec) {
  if (inputs.length !== 1) throw new Reject(`layer type '${spec.type}' takes one input, got ${inputs.length}`);
  return inputs[0];
}

function checkChannels(x, expected, what) {
  if (expected === undefined) return;
  const got = x.shape[x.shape.length - 1];
  if (got !== expected) throw new Reject(`${what} ${expected} but the input has ${got}`);
}

// ---------------------------------------------------------------- builders
// One function per layer kind: (spec, inputs: SymbolicTensor[], name, warn) →
// SymbolicTensor; warn(message) reports something about the file that does not
// make it fail.

function buildConv2d(spec, inputs, name, warn) {
  const o = opts(spec, { filters: undefined, kernel: undefined, stride: 1, padding: 'valid', dilation: 1,
    groups: 1, use_bias: true, activation: null, in_channels: OPTIONAL });
  const x = one(inputs, spec);
  checkChannels(x, spec.in_channels, 'in_channels');
  if (o.groups !== 1) throw new Skip('conv2d groups > 1: tfjs Conv2D has no groups (the parameter count would differ)');
  const strides = pair(o.stride), dilationRate = pair(o.dilation);
  // tf.keras 2 (the Keras of the exams) refuses this; so does tfjs when it runs the layer.
  if (strides.some(s => s !== 1) && dilationRate.some(d => d !== 1)) {
    throw new Reject(`layer '${name}': tf.keras 2 refuses strides > 1 with dilation_rate > 1`);
  }
  return tf.layers.conv2d({ ...base(spec, name), filters: o.filters, kernelSize: pair(o.kernel), strides,
    padding: kerasPadding(o.padding), dilationRate, useBias: o.use_bias, activation: activationId(o.activation),
  }).apply(x);
}

function buildConv2dTranspose(spec, inputs, name) {
  const o = opts(spec, { filters: undefined, kernel: undefined, stride: 1, padding: 'valid', output_padding: 0,
    dilation: 1, use_bias: true, activation: null, in_channels: OPTIONAL });
  const x = one(inputs, spec);
  checkChannels(x, spec.in_channels, 'in_channels');
  // tfjs Conv2DTranspose ignores dilation and has no output_padding: its
  // shapes would be wrong, so these files cannot be checked here.
  if (pair(o.output_padding).some(v => v !== 0)) throw new Skip('conv2d_transpose output_padding: tfjs Conv2DTranspose has none');
  if (pair(o.dilation).some(v => v !== 1)) throw new Skip('conv2d_transpose dilation: tfjs Conv2DTranspose ignores it');
  return tf.layers.conv2dTranspose({ ...base(spec, name), filters: o.filters, kernelSize: pair(o.kernel),
    strides: pair(o.stride), padding: kerasPadding(o.padding), useBias: o.use_bias,
    activation: activationId(o.activation),
  }).apply(x);
}

function poolArgs(spec) {
  const o = opts(spec, { pool: 2, stride: null, padding: 'valid' });
  const poolSize = pair(o.pool);
  return { poolSize, strides: o.stride == null ? poolSize : pair(o.stride), padding: kerasPadding(o.padding) };
}

function buildMaxPool2d(spec, inputs, name) {
  return tf.layers.maxPooling2d({ ...base(spec, name), ...poolArgs(spec) }).apply(one(inputs, spec));
}

function buildAvgPool2d(spec, inputs, name) {
  return tf.layers.averagePooling2d({ ...base(spec, name), ...poolArgs(spec) }).apply(one(inputs, spec));
}

function buildPool1d(spec, inputs, name) {
  const o = opts(spec, { pool: 2, stride: null, padding: 'valid' });
  const x = one(inputs, spec);
  if (x.shape.length !== 3) throw new Reject(`${spec.type} needs a sequence [T, C], got [${x.shape.slice(1)}]`);
  const args = { ...base(spec, name), poolSize: o.pool, strides: o.stride == null ? o.pool : o.stride, padding: kerasPadding(o.padding) };
  return (spec.type === 'maxpool1d' ? tf.layers.maxPooling1d(args) : tf.layers.averagePooling1d(args)).apply(x);
}

function buildGlobalPool1d(spec, inputs, name) {
  opts(spec, {});
  const x = one(inputs, spec);
  if (x.shape.length !== 3) throw new Reject(`${spec.type} needs a sequence [T, C], got [${x.shape.slice(1)}]`);
  const layer = spec.type === 'global_maxpool1d' ? tf.layers.globalMaxPooling1d : tf.layers.globalAveragePooling1d;
  return layer({ ...base(spec, name) }).apply(x);
}

function buildGlobalAvgPool2d(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.globalAveragePooling2d({ ...base(spec, name) }).apply(one(inputs, spec));
}

function buildGlobalMaxPool2d(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.globalMaxPooling2d({ ...base(spec, name) }).apply(one(inputs, spec));
}

function buildAdaptiveAvgPool2d() {
  throw new Reject('adaptive_avgpool2d is PyTorch only: Keras has no adaptive pooling');
}

function buildUpSampling2d(spec, inputs, name) {
  const o = opts(spec, { size: 2, interpolation: 'nearest' });
  return tf.layers.upSampling2d({ ...base(spec, name), size: pair(o.size), interpolation: o.interpolation })
    .apply(one(inputs, spec));
}

function buildZeroPadding2d(spec, inputs, name) {
  const o = opts(spec, { padding: 1 });
  const p = o.padding;
  let padding;
  if (Array.isArray(p) && p.length === 4) padding = [[p[0], p[1]], [p[2], p[3]]]; // top, bottom, left, right
  else { const [h, w] = pair(p); padding = [[h, h], [w, w]]; }
  return tf.layers.zeroPadding2d({ ...base(spec, name), padding }).apply(one(inputs, spec));
}

function buildFlatten(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.flatten({ ...base(spec, name) }).apply(one(inputs, spec));
}

function buildReshape(spec, inputs, name) {
  const o = opts(spec, { target_shape: undefined });
  return tf.layers.reshape({ ...base(spec, name), targetShape: o.target_shape }).apply(one(inputs, spec));
}

function buildDense(spec, inputs, name) {
  const o = opts(spec, { units: undefined, use_bias: true, activation: null, in_features: OPTIONAL });
  const x = one(inputs, spec);
  checkChannels(x, spec.in_features, 'in_features');
  return tf.layers.dense({ ...base(spec, name), units: o.units, useBias: o.use_bias,
    activation: activationId(o.activation) }).apply(x);
}

function buildBatchNorm(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.batchNormalization({ ...base(spec, name) }).apply(one(inputs, spec));
}

function buildLayerNorm(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.layerNormalization({ ...base(spec, name) }).apply(one(inputs, spec));
}

function buildDropout(spec, inputs, name) {
  const o = opts(spec, { rate: undefined });
  return tf.layers.dropout({ ...base(spec, name), rate: o.rate }).apply(one(inputs, spec));
}

/** `activation` layer and the plain activation types sigmoid / tanh / linear / hard_threshold. */
function buildActivation(spec, inputs, name) {
  const word = spec.type === 'activation' ? opts(spec, { activation: undefined }).activation
    : spec.type === 'hard_threshold' ? (opts(spec, { threshold: 0 }), 'hard_threshold')
      : (opts(spec, {}), spec.type);
  return tf.layers.activation({ ...base(spec, name), activation: activationId(word) }).apply(one(inputs, spec));
}

function buildReLU(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.reLU({ ...base(spec, name) }).apply(one(inputs, spec));
}

function buildLeakyReLU(spec, inputs, name) {
  const o = opts(spec, { alpha: 0.3 });
  return tf.layers.leakyReLU({ ...base(spec, name), alpha: o.alpha }).apply(one(inputs, spec));
}

function buildSoftmax(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.softmax({ ...base(spec, name) }).apply(one(inputs, spec));
}

function buildConcat(spec, inputs, name) {
  const o = opts(spec, { axis: -1 });
  // tfjs executes any negative axis as -1 (its symbolic shape is right):
  // give it the same axis counted from the front (batch axis included).
  const axis = o.axis < 0 ? o.axis + inputs[0].shape.length : o.axis;
  return tf.layers.concatenate({ ...base(spec, name), axis }).apply(inputs);
}

function buildAdd(spec, inputs, name) {
  opts(spec, {});
  return tf.layers.add({ ...base(spec, name) }).apply(inputs);
}

/**
 * SimpleRNN / LSTM / GRU, in a Bidirectional wrapper (merge_mode 'concat') when
 * asked.  tfjs's GRU has only reset_after=False: a GRU with Keras's default
 * reset_after=True is skipped (its second bias makes the count differ).  Given
 * weights change no shape or count and are ignored.
 */
const RECURRENT = { simple_rnn: 'simpleRNN', lstm: 'lstm', gru: 'gru' };
function buildRecurrent(spec, inputs, name) {
  const kind = spec.type;
  const allowed = { units: undefined, return_sequences: false, bidirectional: false, use_bias: true,
    activation: 'tanh', symbols: OPTIONAL };
  if (kind !== 'simple_rnn') allowed.recurrent_activation = 'sigmoid';
  if (kind === 'gru') allowed.reset_after = true;
  for (const key of ['kernel', 'recurrent_kernel', 'bias']) {
    allowed[key] = OPTIONAL;
    allowed[`backward_${key}`] = OPTIONAL;
  }
  const o = opts(spec, allowed);
  if (kind === 'gru' && o.reset_after) throw new Skip("tfjs's GRU has only reset_after=False");
  const x = one(inputs, spec);
  if (x.shape.length !== 3) throw new Reject(`${kind} needs a sequence [T, features], got [${x.shape.slice(1)}]`);
  // Zero initializers: tfjs's default orthogonal one is slow on large matrices and no
  // initializer changes a shape or a count.
  const args = { units: o.units, returnSequences: o.return_sequences, useBias: o.use_bias,
    activation: activationId(o.activation), kernelInitializer: 'zeros', recurrentInitializer: 'zeros' };
  if (kind !== 'simple_rnn') args.recurrentActivation = activationId(o.recurrent_activation);
  const make = tf.layers[RECURRENT[kind]];
  if (!o.bidirectional) return make({ ...base(spec, name), ...args }).apply(x);
  return tf.layers.bidirectional({ ...base(spec, name), layer: make(args), mergeMode: 'concat' }).apply(x);
}

function buildEmbedding(spec, inputs, name) {
  const o = opts(spec, { input_dim: undefined, output_dim: undefined, weights: OPTIONAL, symbols: OPTIONAL });
  return tf.layers.embedding({ ...base(spec, name), inputDim: o.input_dim, outputDim: o.output_dim })
    .apply(one(inputs, spec));
}

function buildConv1d(spec, inputs, name) {
  const o = opts(spec, { filters: undefined, kernel: undefined, stride: 1, padding: 'valid', dilation: 1,
    use_bias: true, activation: null, in_channels: OPTIONAL });
  const x = one(inputs, spec);
  if (x.shape.length !== 3) throw new Reject(`conv1d needs a sequence [T, C], got [${x.shape.slice(1)}]`);
  checkChannels(x, spec.in_channels, 'in_channels');
  if (o.stride > 1 && o.dilation > 1) throw new Reject('tf.keras 2 refuses strides > 1 with dilation_rate > 1');
  return tf.layers.conv1d({ ...base(spec, name), filters: o.filters, kernelSize: o.kernel, strides: o.stride,
    padding: kerasPadding(o.padding), dilationRate: o.dilation, useBias: o.use_bias,
    activation: activationId(o.activation) }).apply(x);
}

const recurrentPrefix = (cls) => spec => (spec.bidirectional ? 'bidirectional' : cls);

/**
 * Per problem type: the builder and the snake-case Keras class name used for
 * default names (Keras: to_snake_case(ClassName) + per-prefix counter).
 */
const LAYERS = {
  conv2d: [buildConv2d, 'conv2d'],
  conv2d_transpose: [buildConv2dTranspose, 'conv2d_transpose'],
  maxpool2d: [buildMaxPool2d, 'max_pooling2d'],
  avgpool2d: [buildAvgPool2d, 'average_pooling2d'],
  global_avgpool2d: [buildGlobalAvgPool2d, 'global_average_pooling2d'],
  global_maxpool2d: [buildGlobalMaxPool2d, 'global_max_pooling2d'],
  adaptive_avgpool2d: [buildAdaptiveAvgPool2d, 'adaptive_average_pooling2d'],
  upsampling2d: [buildUpSampling2d, 'up_sampling2d'],
  zeropadding2d: [buildZeroPadding2d, 'zero_padding2d'],
  flatten: [buildFlatten, 'flatten'],
  reshape: [buildReshape, 'reshape'],
  dense: [buildDense, 'dense'],
  batchnorm: [buildBatchNorm, 'batch_normalization'],
  layernorm: [buildLayerNorm, 'layer_normalization'],
  dropout: [buildDropout, 'dropout'],
  activation: [buildActivation, 'activation'],
  sigmoid: [buildActivation, 'activation'],
  tanh: [buildActivation, 'activation'],
  linear: [buildActivation, 'activation'],
  hard_threshold: [buildActivation, 'activation'],
  relu: [buildReLU, 're_lu'],
  leaky_relu: [buildLeakyReLU, 'leaky_re_lu'],
  softmax: [buildSoftmax, 'softmax'],
  concat: [buildConcat, 'concatenate'],
  add: [buildAdd, 'add'],
  simple_rnn: [buildRecurrent, recurrentPrefix('simple_rnn')],
  lstm: [buildRecurrent, recurrentPrefix('lstm')],
  gru: [buildRecurrent, recurrentPrefix('gru')],
  embedding: [buildEmbedding, 'embedding'],
  conv1d: [buildConv1d, 'conv1d'],
  maxpool1d: [buildPool1d, 'max_pooling1d'],
  avgpool1d: [buildPool1d, 'average_pooling1d'],
  global_maxpool1d: [buildGlobalPool1d, 'global_max_pooling1d'],
  global_avgpool1d: [buildGlobalPool1d, 'global_average_pooling1d'],
};

// ---------------------------------------------------------------- network

/** Keras default naming: first 'conv2d', then 'conv2d_1', …; inputs 'input_1', 'input_2', … */
function makeNamer() {
  const seen = {};
  return prefix => {
    const n = seen[prefix] === undefined ? 0 : seen[prefix];
    seen[prefix] = n + 1;
    if (prefix === 'input') return `input_${n + 1}`;
    return n === 0 ? prefix : `${prefix}_${n}`;
  };
}

/**
 * The batch axis is always fixed (`batch`, else 1): tfjs Reshape cannot
 * resolve a -1 when the batch dimension is unknown.  Answers drop it again
 * when the problem has no `batch`.
 */
function makeInput(shape, name, batch) {
  return tf.input({ batchShape: [batch === undefined ? 1 : batch, ...shape], name });
}

/**
 * Build the problem's network; returns { layers: [{name, layer, output}], inputs, outputs }.
 * Throws Skip / Reject.
 */
function buildNetwork(problem, warn) {
  const nameOf = makeNamer();
  const tensors = new Map(); // name → SymbolicTensor
  const entries = [];
  const addInput = (shape, name) => {
    const t = makeInput(shape, name, problem.batch);
    tensors.set(name, t);
    entries.push({ name, output: t, layer: t.sourceLayer });
    return t;
  };
  const inputName = problem.input.name !== undefined ? problem.input.name : nameOf('input');
  let prev = addInput(problem.input.shape, inputName);

  for (const spec of problem.layers) {
    if (spec.type === 'input') {
      opts(spec, { shape: undefined });
      prev = addInput(spec.shape, spec.name !== undefined ? spec.name : nameOf('input'));
      continue;
    }
    if (!(spec.type in LAYERS)) throw new Skip(`layer type '${spec.type}' is not modelled`);
    const [builder, prefixOf] = LAYERS[spec.type];
    const prefix = typeof prefixOf === 'function' ? prefixOf(spec) : prefixOf;
    const name = spec.name !== undefined ? spec.name : nameOf(prefix);
    if (tensors.has(name)) throw new Reject(`duplicate layer name '${name}'`);
    const inputs = !spec.inputs ? [prev] : spec.inputs.map(n => {
      if (!tensors.has(n)) throw new Reject(`layer '${name}': unknown input '${n}'`);
      return tensors.get(n);
    });
    let out;
    try {
      out = builder(spec, inputs, name, warn);
    } catch (e) {
      if (e instanceof Skip || e instanceof Reject) throw e;
      throw new Reject(`layer '${name}': tfjs refuses it: ${e.message}`);
    }
    tensors.set(name, out);
    entries.push({ name, output: out, layer: out.sourceLayer });
    prev = out;
  }
  return { entries, inputs: entries.filter(e => e.layer.getClassName() === 'InputLayer').map(e => e.output) };
}

const size = w => w.shape.reduce((a, b) => a * b, 1);
const sum = ws => ws.reduce((a, w) => a + size(w), 0);

/** Framework answers in dlsolve's key format; warn(message) gets remarks. */
function frameworkAnswers(problem, { execute = false } = {}, warn = () => {}) {
  const net = buildNetwork(problem, warn);
  const answers = {};
  let realShapes = null;
  if (execute) realShapes = executeShapes(problem, net);
  let trainable = 0, nonTrainable = 0;
  for (const [i, { name, output, layer }] of net.entries.entries()) {
    const shape = realShapes ? realShapes[i] : output.shape;
    answers[`shapes.${name}`] = problem.batch === undefined ? shape.slice(1) : shape.slice();
    answers[`params.${name}`] = layer.countParams();
    trainable += sum(layer.trainableWeights);
    nonTrainable += sum(layer.nonTrainableWeights);
  }
  answers['params.total'] = trainable + nonTrainable;
  answers['params.trainable'] = trainable;
  answers['params.non_trainable'] = nonTrainable;
  return answers;
}

/** Forward pass on zeros; returns each entry's real output shape, batch axis included. */
function executeShapes(problem, net) {
  const model = tf.model({ inputs: net.inputs, outputs: net.entries.map(e => e.output) });
  const feeds = net.inputs.map(t => tf.zeros(t.shape));
  const outs = model.predict(feeds.length === 1 ? feeds[0] : feeds);
  const shapes = (Array.isArray(outs) ? outs : [outs]).map(t => t.shape);
  tf.dispose([feeds, outs]);
  return shapes;
}

// ---------------------------------------------------------------- dlsolve

function runDlsolve(binary, file) {
  const answers = {};
  for (const cmd of ['params', 'shapes']) {
    const r = spawnSync(binary, [cmd, '--format', 'json', file], { encoding: 'utf8' });
    if (r.error) throw new Error(`cannot run ${binary}: ${r.error.message}`);
    if (r.status !== 0) {
      return { error: `dlsolve ${cmd} exited ${r.status}: ${(r.stderr || r.stdout).trim().split('\n')[0]}` };
    }
    let doc;
    try { doc = JSON.parse(r.stdout); } catch (e) { return { error: `dlsolve ${cmd}: output is not JSON: ${e.message}` }; }
    Object.assign(answers, doc.answers);
  }
  return { answers };
}

// ---------------------------------------------------------------- comparison

const COMPARED = /^(shapes|params|buffers)\./;
const show = v => JSON.stringify(v);

/**
 * Compare framework answers with dlsolve's.  Every framework key must be in
 * dlsolve's answers with the same value; every shapes/params/buffers key of
 * dlsolve's must be known to the framework (catches naming disagreements).
 * Returns a list of mismatch strings.
 */
function compare(fw, dl) {
  const bad = [];
  for (const [k, v] of Object.entries(fw)) {
    if (!(k in dl)) bad.push(`${k}: framework ${show(v)}, dlsolve has no such key`);
    else if (show(dl[k]) !== show(v)) bad.push(`${k}: framework ${show(v)}, dlsolve ${show(dl[k])}`);
  }
  for (const k of Object.keys(dl)) {
    if (COMPARED.test(k) && !(k in fw)) bad.push(`${k}: dlsolve ${show(dl[k])}, framework has no such key`);
  }
  return bad;
}

/** Answer-key cross-check: `expect` values the framework contradicts (informational). */
function expectWarnings(problem, fw) {
  const out = [];
  for (const [k, v] of Object.entries(problem.expect || {})) {
    if (k in fw && show(fw[k]) !== show(v)) out.push(`${k}: expect ${show(v)}, framework ${show(fw[k])}`);
  }
  return out;
}

// ---------------------------------------------------------------- files

function problemFiles(args) {
  const files = [];
  for (const a of args) {
    if (!fs.existsSync(a)) { console.log(`warn: ${a} does not exist`); continue; }
    if (fs.statSync(a).isDirectory()) {
      for (const f of fs.readdirSync(a, { recursive: true }).sort()) {
        if (String(f).endsWith('.json')) files.push(path.join(a, String(f)));
      }
    } else files.push(a);
  }
  return files;
}

function loadProblem(file) {
  try {
    const p = JSON.parse(fs.readFileSync(file, 'utf8'));
    return p && typeof p === 'object' && Array.isArray(p.layers) && p.input ? p : null;
  } catch { return null; }
}

const isKeras = p => (p.framework === undefined ? 'keras' : p.framework) === 'keras';

/** Check one file; returns 'pass' | 'fail' | 'skip' (and prints its lines). */
function checkFile(binary, file, problem, flags) {
  let fw, fwError = null;
  try {
    fw = frameworkAnswers(problem, flags, w => console.log(`  warn ${file}: ${w}`));
  } catch (e) {
    if (e instanceof Skip) { console.log(`skip ${file}: ${e.message}`); return 'skip'; }
    fwError = e instanceof Reject ? e.message : `${e.constructor.name}: ${e.message}`;
  } finally {
    tf.disposeVariables();
  }
  const dl = runDlsolve(binary, file);
  if (fwError !== null) {
    if (dl.error) { console.log(`skip ${file}: both reject (framework: ${fwError}; ${dl.error})`); return 'skip'; }
    console.log(`FAIL ${file}: framework rejects the network (${fwError}) but dlsolve answers it`);
    return 'fail';
  }
  if (dl.error) { console.log(`FAIL ${file}: ${dl.error}`); return 'fail'; }
  for (const w of expectWarnings(problem, fw)) console.log(`  warn ${file}: ${w}`);
  const bad = compare(fw, dl.answers);
  if (flags.verbose) for (const [k, v] of Object.entries(fw)) console.log(`  ${k} = ${show(v)}`);
  if (bad.length === 0) {
    console.log(`ok ${file} (${problem.layers.length} layers)`);
    return 'pass';
  }
  for (const b of bad) console.log(`FAIL ${file}: ${b}`);
  return 'fail';
}

// ---------------------------------------------------------------- self-test

/**
 * Perturb, in place, one layer's params count (the first non-zero one, else the
 * total) and one shape (the last layer's); return the two keys perturbed.
 */
function perturb(answers) {
  const p = Object.keys(answers).find(k => /^params\./.test(k) && !/^params\.(total|trainable|non_trainable)$/.test(k)
    && answers[k] > 0) || 'params.total';
  const s = Object.keys(answers).filter(k => /^shapes\./.test(k) && Array.isArray(answers[k]) && answers[k].length > 0).pop();
  answers[p] += 1;
  answers[s] = [answers[s][0] + 1, ...answers[s].slice(1)];
  return [p, s];
}

/**
 * For each file: the comparison must accept the true answers (the framework's
 * own; with a binary, dlsolve's, less what dlsolve already gets wrong) and flag
 * the two perturbed keys and nothing else.
 */
function selfTest(binary, files, flags) {
  let passed = 0, failed = 0;
  for (const file of files) {
    const problem = loadProblem(file);
    if (!problem || !isKeras(problem)) continue;
    let fw;
    try { fw = frameworkAnswers(problem, flags); } catch (e) {
      console.log(`skip ${file}: ${e.message}`); continue;
    } finally { tf.disposeVariables(); }
    let truth = fw;
    if (binary) {
      const dl = runDlsolve(binary, file);
      if (dl.error) { console.log(`skip ${file}: ${dl.error}`); continue; }
      truth = dl.answers;
    }
    const wrong = structuredClone(truth);
    const keys = perturb(wrong);
    const keyOf = m => m.split(': ')[0];
    const baseline = compare(fw, truth).map(keyOf);
    const flagged = compare(fw, wrong).map(keyOf);
    const extra = flagged.filter(k => !keys.includes(k) && !baseline.includes(k));
    const ok = keys.every(k => flagged.includes(k)) && extra.length === 0 && (binary || baseline.length === 0);
    if (ok) passed++; else failed++;
    console.log(`${ok ? 'ok' : 'FAIL'} ${file}: perturbed ${keys.join(' and ')}; flagged ${flagged.join(', ') || 'nothing'}`);
    if (baseline.length) console.log(`  (${binary ? 'dlsolve already disagrees' : 'unperturbed answers flagged'}: ${baseline.join(', ')})`);
  }
  if (passed + failed === 0) { console.log('self-test: no keras problem file'); failed = 1; }
  return [passed, failed];
}

// ---------------------------------------------------------------- main

function main(argv) {
  const flags = { execute: argv.includes('--execute'), verbose: argv.includes('--verbose') };
  const mode = argv.includes('--self-test') ? 'self-test' : argv.includes('--print') ? 'print' : 'diff';
  const args = argv.filter(a => !a.startsWith('--'));
  let passed = 0, failed = 0, skipped = 0;

  if (mode === 'print') {
    for (const file of problemFiles(args)) {
      const problem = loadProblem(file);
      if (!problem || !isKeras(problem)) continue;
      console.log(file);
      try {
        for (const [k, v] of Object.entries(frameworkAnswers(problem, flags))) console.log(`  ${k} = ${show(v)}`);
      } catch (e) { console.log(`  ${e.constructor.name}: ${e.message}`); }
      finally { tf.disposeVariables(); }
    }
    return 0;
  }
  if (mode === 'self-test') {
    const binary = args.length >= 2 ? args[0] : null;
    const files = problemFiles(binary ? args.slice(1) : [path.join(HERE, 'fixtures')]);
    [passed, failed] = selfTest(binary, files, flags);
  } else {
    if (args.length < 2) {
      console.error('usage: node keras_tfjs.mjs [--execute] [--verbose] DLSOLVE_BINARY PROBLEMS_DIR|FILE...\n' +
        '       node keras_tfjs.mjs --self-test [DLSOLVE_BINARY PROBLEMS_DIR|FILE...]\n' +
        '       node keras_tfjs.mjs --print PROBLEMS_DIR|FILE...');
      return 2;
    }
    const [binary, ...rest] = args;
    for (const file of problemFiles(rest)) {
      const problem = loadProblem(file);
      if (!problem) { console.log(`skip ${file}: not a problem file`); skipped++; continue; }
      if (!isKeras(problem)) continue;
      const r = checkFile(binary, file, problem, flags);
      if (r === 'pass') passed++; else if (r === 'fail') failed++; else skipped++;
    }
  }
  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return failed > 0 ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
