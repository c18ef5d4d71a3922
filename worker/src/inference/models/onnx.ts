// A local ONNX model run by onnxruntime-node on the CPU with one thread and sequential execution, so that the same
// input gives the same result on every run. The input is JSON naming each of the model's inputs:
//   { "<input name>": { "type": "float32" | "int64" | ..., "dims": [1, 4], "data": [ ...numbers ] } }
// Only discrete values are hashed: a float output becomes the argmax of its last axis (a class index, or a label
// from the spec), an integer or boolean output its values.
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import ort from "onnxruntime-node";
import { z } from "zod";
import { InputError, type OutputValue } from "../output.ts";
import { hashFiles, type InferenceModel, textInput } from "./spec.ts";

const require = createRequire(import.meta.url);
const MAX_INPUT_CHARS = 16 * 1024 * 1024;
const MAX_ELEMENTS = 16 * 1024 * 1024;

const FLOATS = new Set(["float32", "float64", "float16"]);
const INTEGERS = new Set(["int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64"]);
const ARRAYS = {
  float32: Float32Array,
  float64: Float64Array,
  int8: Int8Array,
  uint8: Uint8Array,
  int16: Int16Array,
  uint16: Uint16Array,
  int32: Int32Array,
  uint32: Uint32Array,
} as const;
const BIG_ARRAYS = { int64: BigInt64Array, uint64: BigUint64Array } as const;

const tensorSchema = z.strictObject({
  type: z.enum(["bool", ...Object.keys(ARRAYS), ...Object.keys(BIG_ARRAYS)] as ["bool", ...string[]]),
  dims: z.array(z.int().min(0).max(MAX_ELEMENTS)).max(8),
  data: z.array(z.union([z.number(), z.boolean()])).max(MAX_ELEMENTS),
});

export class OnnxModel implements InferenceModel {
  readonly backend = "onnx";
  readonly modelHash: `0x${string}`;
  readonly runtime: Readonly<Record<string, string | number>>;
  private readonly session: ort.InferenceSession;
  private readonly labels: readonly string[] | undefined;

  private constructor(modelHash: `0x${string}`, session: ort.InferenceSession, file: string, labels?: string[]) {
    this.modelHash = modelHash;
    this.session = session;
    this.labels = labels;
    this.runtime = {
      backend: "onnxruntime-node",
      version: require("onnxruntime-node/package.json").version,
      executionProvider: "cpu",
      threads: 1,
      file: path.basename(file),
    };
  }

  static async load(file: string, labels?: string[]): Promise<OnnxModel> {
    const resolved = path.resolve(file);
    const modelHash = await hashFiles([resolved]);
    const session = await ort.InferenceSession.create(await readFile(resolved), {
      executionProviders: ["cpu"],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: "sequential",
    });
    return new OnnxModel(modelHash, session, resolved, labels);
  }

  async run(input: Uint8Array): Promise<OutputValue> {
    const feeds = this.feeds(input);
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await this.session.run(feeds);
    } catch (error) {
      throw new InputError("InputMalformed", `the model refused the input: ${(error as Error).message}`);
    }
    const outputs: Record<string, OutputValue> = {};
    for (const name of this.session.outputNames) {
      const tensor = results[name];
      if (tensor !== undefined) outputs[name] = this.discrete(tensor);
    }
    return { outputs };
  }

  private feeds(input: Uint8Array): Record<string, ort.Tensor> {
    let json: unknown;
    try {
      json = JSON.parse(textInput(input, MAX_INPUT_CHARS));
    } catch (error) {
      if (error instanceof InputError) throw error;
      throw new InputError("InputMalformed", "the input is not JSON");
    }
    const parsed = z.record(z.string(), tensorSchema).safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new InputError("InputMalformed", `input ${issue?.path.join(".")}: ${issue?.message}`);
    }
    const feeds: Record<string, ort.Tensor> = {};
    for (const name of this.session.inputNames) {
      const spec = parsed.data[name];
      if (spec === undefined) throw new InputError("InputMalformed", `the input has no tensor named ${name}`);
      const size = spec.dims.reduce((a, b) => a * b, 1);
      if (size !== spec.data.length) {
        throw new InputError(
          "InputMalformed",
          `${name}: dims [${spec.dims}] hold ${size} values, not ${spec.data.length}`,
        );
      }
      feeds[name] = new ort.Tensor(spec.type as "float32", typedArray(spec.type, spec.data, name), spec.dims);
    }
    return feeds;
  }

  private discrete(tensor: ort.Tensor): OutputValue {
    const dims = [...tensor.dims];
    if (FLOATS.has(tensor.type)) {
      const classes = dims.pop() ?? 1;
      const data = tensor.data as Float32Array | Float64Array;
      const argmax: OutputValue[] = [];
      for (let row = 0; row * classes < data.length; row++) {
        let best = 0;
        for (let i = 1; i < classes; i++) if (data[row * classes + i] > data[row * classes + best]) best = i;
        argmax.push(this.labels?.[best] ?? best);
      }
      return { dims, argmax };
    }
    if (INTEGERS.has(tensor.type) || tensor.type === "bool") {
      const values = Array.from(tensor.data as ArrayLike<number | bigint | boolean>, (value) =>
        typeof value === "bigint" ? value.toString() : value,
      );
      return { dims, values };
    }
    if (tensor.type === "string") return { dims, values: [...(tensor.data as string[])] };
    throw new Error(`output type ${tensor.type} is not supported`);
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}

function typedArray(type: string, data: readonly (number | boolean)[], name: string) {
  if (type === "bool") return Uint8Array.from(data, (value) => (value ? 1 : 0));
  if (data.some((value) => typeof value !== "number")) {
    throw new InputError("InputMalformed", `${name}: a ${type} tensor holds numbers`);
  }
  const numbers = data as number[];
  if (type in BIG_ARRAYS) {
    if (numbers.some((value) => !Number.isSafeInteger(value))) {
      throw new InputError("InputMalformed", `${name}: a ${type} tensor holds integers`);
    }
    return BIG_ARRAYS[type as keyof typeof BIG_ARRAYS].from(numbers.map((value) => BigInt(value)));
  }
  return ARRAYS[type as keyof typeof ARRAYS].from(numbers);
}
