// The inference worker's parts, without a chain: every model backend (fastText language identification, an ONNX model
// this test builds, an OpenAI-compatible endpoint served here, tesseract on bad input), fetching inputs under the
// operator's limits, the canonical output and its hash, and the role's configuration errors.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import onnxProto from "onnx-proto";
import { type Hex, toHex } from "viem";
import { ConfigError, loadInferenceConfig } from "../src/config.ts";
import { fetchInput, type InputPolicy, InputUnreachable } from "../src/inference/input.ts";
import { loadModel } from "../src/inference/models/index.ts";
import { EndpointError } from "../src/inference/models/openai.ts";
import { encodeOutput, InputError } from "../src/inference/output.ts";

const { onnx } = onnxProto;
const sha256 = (bytes: Uint8Array | string): Hex => `0x${createHash("sha256").update(bytes).digest("hex")}`;
const text = (value: string) => new TextEncoder().encode(value);
const env = {};

async function rejects(promise: Promise<unknown>, reason: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof InputError, `an InputError, not ${error}`);
    assert.equal(error.reason, reason);
    assert.match(error.message, message);
    return true;
  });
}

/** A 4-feature, 3-class linear classifier (logits = x · W), in ONNX, as bytes. */
function linearClassifier(): Uint8Array {
  const weights = [1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1]; // 4 x 3: feature i votes for class i; the 4th for all
  const tensorType = (dims: number[]) => ({
    tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((dimValue) => ({ dimValue })) } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: "fourfold-test",
    opsetImport: [{ domain: "", version: 13 }],
    graph: {
      name: "linear",
      node: [{ opType: "MatMul", input: ["x", "W"], output: ["logits"], name: "matmul" }],
      initializer: [{ name: "W", dims: [4, 3], dataType: onnx.TensorProto.DataType.FLOAT, floatData: weights }],
      input: [{ name: "x", type: tensorType([1, 4]) }],
      output: [{ name: "logits", type: tensorType([1, 3]) }],
    },
  });
  return onnx.ModelProto.encode(model).finish();
}

describe("canonical outputs", () => {
  it("hashes the RFC 8785 form: key order and spacing do not matter, the bytes are the sha256 preimage", () => {
    const a = encodeOutput({ text: "Hello", lines: [1, 2], meta: { b: true, a: null } });
    const b = encodeOutput({ meta: { a: null, b: true }, lines: [1, 2], text: "Hello" });
    assert.equal(new TextDecoder().decode(a.bytes), '{"lines":[1,2],"meta":{"a":null,"b":true},"text":"Hello"}');
    assert.equal(a.hash, b.hash);
    assert.equal(a.hash, sha256(a.bytes));
  });

  it("refuses floats anywhere in an output (they differ in their last bits between CPUs)", () => {
    assert.throws(() => encodeOutput({ scores: [1, 0.25] }), /output\.scores\[1\] is 0\.25/);
    assert.throws(() => encodeOutput({ x: Number.NaN }), /output\.x is NaN/);
  });
});

describe("inputs", () => {
  let dir: string;
  let server: http.Server;
  let base: string;
  let policy: InputPolicy;
  const body = text("the input the job names");

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-inputs-"));
    await mkdir(path.join(dir, "inputs"));
    await writeFile(path.join(dir, "inputs", "doc.txt"), body);
    await writeFile(path.join(dir, "secret.txt"), "outside");
    await symlink(path.join(dir, "secret.txt"), path.join(dir, "inputs", "link.txt"));
    server = http.createServer((req, res) => {
      if (req.url === "/doc.txt") res.writeHead(200).end(body);
      else if (req.url === "/big") res.writeHead(200).end(Buffer.alloc(2_048));
      else if (req.url === "/busy") res.writeHead(503).end();
      else res.writeHead(404).end();
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    policy = { inputDirs: [path.join(dir, "inputs")], allowedHosts: [], maxBytes: 1_024, timeoutMs: 5_000 };
  });

  after(async () => {
    server.close();
    await rm(dir, { recursive: true, force: true });
  });

  const job = (inputURI: string, inputHash: Hex = sha256(body), input: Hex | null = null) => ({
    input,
    inputURI,
    inputHash,
  });

  it("takes inline input, file: inside an input directory and http(s) on loopback, each checked against its hash", async () => {
    assert.deepEqual(await fetchInput(job("", sha256(body), toHex(body)), policy), body);
    const fileUrl = pathToFileURL(path.join(dir, "inputs", "doc.txt")).href;
    assert.deepEqual(await fetchInput(job(fileUrl), policy), body);
    assert.deepEqual(await fetchInput(job(`${base}/doc.txt`), policy), body);
    await rejects(
      fetchInput(job(`${base}/doc.txt`, sha256("other")), policy),
      "InputHashMismatch",
      /not the requested/,
    );
    await rejects(fetchInput(job("", sha256("x"), toHex(body)), policy), "InputHashMismatch", /sha256/);
  });

  it("refuses files outside the input directories (symlinks followed), other hosts and schemes", async () => {
    const outside = pathToFileURL(path.join(dir, "secret.txt")).href;
    await rejects(fetchInput(job(outside), policy), "InputUnavailable", /outside this worker's input directories/);
    const link = pathToFileURL(path.join(dir, "inputs", "link.txt")).href;
    await rejects(fetchInput(job(link), policy), "InputUnavailable", /outside/);
    const missing = pathToFileURL(path.join(dir, "inputs", "gone.txt")).href;
    await rejects(fetchInput(job(missing), policy), "InputUnavailable", /ENOENT/);
    await rejects(fetchInput(job("http://example.com/doc.txt"), policy), "InputUnavailable", /not a host/);
    await rejects(fetchInput(job("ipfs://bafy/doc"), policy), "InputUnavailable", /not ipfs:/);
    await rejects(fetchInput(job("not a url"), policy), "InputUnavailable", /not a URL/);
    await rejects(fetchInput(job(`${base}/nothing`), policy), "InputUnavailable", /answered 404/);
  });

  it("refuses inputs over the size limit, and tells a busy host (try again) from a bad input", async () => {
    await rejects(fetchInput(job(`${base}/big`), policy), "InputTooLarge", /1024 bytes/);
    await writeFile(path.join(dir, "inputs", "big.bin"), Buffer.alloc(2_048));
    const big = pathToFileURL(path.join(dir, "inputs", "big.bin")).href;
    await rejects(fetchInput(job(big), policy), "InputTooLarge", /exceeds 1024 bytes/);
    await assert.rejects(fetchInput(job(`${base}/busy`), policy), InputUnreachable);
    await assert.rejects(fetchInput(job("http://127.0.0.1:1/doc.txt"), policy), InputUnreachable);
  });
});

describe("models", { timeout: 120_000 }, () => {
  it("fastText identifies languages, with its weights' hash; refuses what is not text", async () => {
    const model = await loadModel({ backend: "fasttext" }, { concurrency: 1, env });
    try {
      assert.match(model.modelHash, /^0x[0-9a-f]{64}$/);
      assert.deepEqual(await model.run(text("The quick brown fox jumps over the lazy dog.")), { language: "en" });
      assert.deepEqual(await model.run(text("Le renard brun saute par-dessus le chien paresseux.")), {
        language: "fr",
      });
      assert.deepEqual(await model.run(text("Der schnelle braune Fuchs springt\nüber den faulen Hund.")), {
        language: "de",
      });
      await rejects(model.run(Uint8Array.of(0xff, 0xfe, 0x00)), "InputMalformed", /not UTF-8/);
      await rejects(model.run(text("   ")), "InputMalformed", /empty/);
    } finally {
      await model.close();
    }
  });

  it("runs an ONNX model the test builds: argmax of float outputs, labels, one thread; bad tensors refused", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-onnx-"));
    try {
      const file = path.join(dir, "linear.onnx");
      const bytes = linearClassifier();
      await writeFile(file, bytes);
      const model = await loadModel(
        { backend: "onnx", path: file, labels: ["cat", "dog", "bird"] },
        { concurrency: 1, env },
      );
      try {
        assert.equal(model.modelHash, sha256(bytes));
        assert.equal(model.runtime.threads, 1);
        const input = (data: number[]) => text(JSON.stringify({ x: { type: "float32", dims: [1, 4], data } }));
        assert.deepEqual(await model.run(input([0, 5, 1, 0])), { outputs: { logits: { dims: [1], argmax: ["dog"] } } });
        assert.deepEqual(await model.run(input([0.1, 0, 0.3, 2])), {
          outputs: { logits: { dims: [1], argmax: ["bird"] } },
        });
        await rejects(model.run(text("not json")), "InputMalformed", /not JSON/);
        await rejects(model.run(text("{}")), "InputMalformed", /no tensor named x/);
        await rejects(
          model.run(text(JSON.stringify({ x: { type: "float32", dims: [1, 4], data: [1, 2] } }))),
          "InputMalformed",
          /hold 4 values, not 2/,
        );
        await rejects(
          model.run(text(JSON.stringify({ x: { type: "float32", dims: [1, 3], data: [1, 2, 3] } }))),
          "InputMalformed",
          /the model refused the input/,
        );
      } finally {
        await model.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("asks an OpenAI-compatible endpoint with greedy decoding; its failures are retried, a refused prompt rejected", async () => {
    const seen: { body: Record<string, unknown>; authorization: string | undefined }[] = [];
    let status = 200;
    const server = http.createServer(async (req, res) => {
      let raw = "";
      for await (const chunk of req) raw += chunk;
      seen.push({ body: JSON.parse(raw), authorization: req.headers.authorization });
      if (status !== 200) {
        res.writeHead(status).end('{"error":{"message":"nope"}}');
        return;
      }
      const prompt = (JSON.parse(raw).messages as { content: string }[])[0]?.content ?? "";
      res.writeHead(200, { "content-type": "application/json" });
      res.end(
        JSON.stringify({ choices: [{ index: 0, message: { role: "assistant", content: prompt.toUpperCase() } }] }),
      );
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
    try {
      const modelHash = sha256("weights the endpoint serves");
      const model = await loadModel(
        {
          backend: "openai",
          url,
          model: "tiny",
          modelHash,
          apiKeyEnv: "TEST_API_KEY",
          maxTokens: 16,
          seed: 7,
          timeoutMs: 5_000,
        },
        { concurrency: 1, env: { TEST_API_KEY: "sk-test" } },
      );
      assert.equal(model.modelHash, modelHash);
      assert.deepEqual(await model.run(text("hello")), { text: "HELLO" });
      assert.equal(seen[0]?.authorization, "Bearer sk-test");
      assert.deepEqual(
        { ...seen[0]?.body, messages: undefined },
        { model: "tiny", messages: undefined, temperature: 0, top_p: 1, n: 1, seed: 7, max_tokens: 16, stream: false },
      );
      status = 503;
      await assert.rejects(model.run(text("hello")), EndpointError);
      status = 400;
      await rejects(model.run(text("hello")), "InputMalformed", /refused the prompt/);
    } finally {
      server.close();
    }
  });

  it("tesseract refuses input that is not an image, or an image it cannot read", async () => {
    const model = await loadModel({ backend: "tesseract", language: "eng" }, { concurrency: 1, env });
    try {
      await rejects(model.run(text("plain text")), "InputMalformed", /not an image/);
      const truncated = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0);
      await rejects(model.run(truncated), "InputMalformed", /png image cannot be read/);
    } finally {
      await model.close();
    }
  });
});

describe("inference config", () => {
  let dir: string;
  let keyFile: string;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-inference-config-"));
    keyFile = path.join(dir, "worker.key");
    await writeFile(keyFile, `0x${"11".repeat(32)}\n`);
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const load = (argv: string[], file?: unknown) =>
    (async () => {
      const args = ["--key-file", keyFile, "--state-dir", path.join(dir, "state"), ...argv];
      if (file !== undefined) {
        await writeFile(path.join(dir, "inference.json"), JSON.stringify(file));
        args.push("--config", path.join(dir, "inference.json"));
      }
      return loadInferenceConfig(args, {});
    })();

  it("serves OCR by default; flags override the file", async () => {
    const config = await load(["--concurrency", "3", "--models", "tesseract,fasttext"], { concurrency: 2, port: 0 });
    assert.equal(config.file.concurrency, 3);
    assert.equal(config.file.port, 0);
    assert.deepEqual(config.file.models, [{ backend: "tesseract", language: "eng" }, { backend: "fasttext" }]);
    assert.deepEqual(config.file.inputDirs, [path.join(dir, "state", "inputs")]);
    const defaults = await load([]);
    assert.deepEqual(defaults.file.models, [{ backend: "tesseract", language: "eng" }]);
    assert.equal(defaults.file.concurrency, 1);
    assert.equal(defaults.file.port, 9470);
  });

  it("names the setting at fault", async () => {
    const fails = (promise: Promise<unknown>, message: RegExp) =>
      assert.rejects(promise, (error: unknown) => error instanceof ConfigError && message.test(error.message));
    await fails(loadInferenceConfig([], {}), /--key-file is required/);
    await fails(load(["--concurrency", "0"]), /--concurrency 0: expected a whole number from 1 to 64/);
    await fails(load(["--models", "llama"]), /flags: models\.0\.backend/);
    await fails(load([], { models: [{ backend: "onnx" }] }), /models\.0\.path/);
    await fails(load([], { maxInputBytes: -1 }), /maxInputBytes/);
    await fails(load([], { unknown: true }), /unrecognized key/i);
    await fails(
      load([], { models: [{ backend: "openai", url: "ftp://x", model: "m", modelHash: "0x1" }] }),
      /models\.0/,
    );
    await fails(load(["--bogus"]), /Unknown option '--bogus'/);
  });
});
