// The worker-thread script tesseract.js runs OCR in, with its core pinned. tesseract.js would pick the relaxed-SIMD
// core wherever the runtime supports it, and relaxed-SIMD results may differ between CPU architectures; redundant
// workers must agree bit for bit, so this script always loads the plain SIMD LSTM core (see docs/inference.md).
"use strict";
const { parentPort } = require("node:worker_threads");
const worker = require("tesseract.js/src/worker-script");
const gunzip = require("tesseract.js/src/worker-script/node/gunzip");
const cache = require("tesseract.js/src/worker-script/node/cache");

/** The core every Fourfold OCR worker runs; the inference role records it in each result's metadata. */
const CORE = "tesseract.js-core/tesseract-core-simd-lstm";
let core;

parentPort.on("message", (packet) => {
  worker.dispatchHandlers(packet, (message) => parentPort.postMessage(message));
});

worker.setAdapter({
  getCore: async (_oem, _corePath, res) => {
    if (core === undefined) {
      res.progress({ status: "loading tesseract core", progress: 0 });
      core = require(CORE);
      res.progress({ status: "loading tesseract core", progress: 1 });
    }
    return core;
  },
  gunzip,
  fetch: globalThis.fetch,
  ...cache,
});
