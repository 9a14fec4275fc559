// SPDX-License-Identifier: LGPL-2.1-or-later
// Runs an ONNX model with ONNX Runtime (onnxruntime-node) on the inputs of a
// JSON file, {name: {type: "float32"|"string", dims: [...], data: [...]}},
// and prints the output `outputs` as JSON: {dims, data}.
//   node onnx_run.js ORT_MODULE_DIR MODEL.onnx INPUTS.json
'use strict';
const fs = require('fs');
const ort = require(process.argv[2]);

async function main () {
  const session = await ort.InferenceSession.create(process.argv[3]);
  const spec = JSON.parse(fs.readFileSync(process.argv[4], 'utf8'));
  const feeds = {};
  for (const [name, t] of Object.entries(spec)) {
    // JSON has no NaN: null stands for a missing number.
    const data = t.type === 'float32'
      ? Float32Array.from(t.data, (v) => (v === null ? NaN : v))
      : t.data;
    feeds[name] = new ort.Tensor(t.type, data, t.dims);
  }
  const out = (await session.run(feeds)).outputs;
  process.stdout.write(JSON.stringify({ dims: out.dims, data: Array.from(out.data) }));
}

main().catch((e) => { console.error(e.message); process.exit(1); });
