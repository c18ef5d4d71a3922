// OCR with tesseract.js and the eng 4.0.0_best_int weights from npm. Redundant workers must agree bit for bit, so
// every source of variation is pinned: the WASM core (./tesseract-worker.cjs loads the plain SIMD LSTM core, never
// the relaxed-SIMD one tesseract.js would pick where the runtime has it), the engine mode (LSTM only), the page
// segmentation mode, and the weights (their sha256 is the model's hash). WASM runs one thread per worker.
import { createRequire } from "node:module";
import path from "node:path";
import { createScheduler, createWorker, OEM, PSM, type Scheduler } from "tesseract.js";
import { InputError, type OutputValue } from "../output.ts";
import { hashFiles, type InferenceModel } from "./spec.ts";

const require = createRequire(import.meta.url);
const WORKER_SCRIPT = path.join(import.meta.dirname, "..", "tesseract-worker.cjs");
const LANG_DIR = path.join(path.dirname(require.resolve("@tesseract.js-data/eng/package.json")), "4.0.0_best_int");
const CORE = "tesseract-core-simd-lstm";

/** Image formats leptonica reads, by their first bytes. */
const IMAGE_MAGIC: readonly [string, number[]][] = [
  ["png", [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]],
  ["jpeg", [0xff, 0xd8, 0xff]],
  ["gif", [0x47, 0x49, 0x46, 0x38]],
  ["bmp", [0x42, 0x4d]],
  ["tiff", [0x49, 0x49, 0x2a, 0x00]],
  ["tiff", [0x4d, 0x4d, 0x00, 0x2a]],
  ["webp", [0x52, 0x49, 0x46, 0x46]],
];

export function imageFormat(input: Uint8Array): string | undefined {
  return IMAGE_MAGIC.find(([, magic]) => magic.every((byte, i) => input[i] === byte))?.[0];
}

export class TesseractModel implements InferenceModel {
  readonly backend = "tesseract";
  readonly modelHash: `0x${string}`;
  readonly runtime: Readonly<Record<string, string | number>>;
  private readonly scheduler: Scheduler;

  private constructor(modelHash: `0x${string}`, scheduler: Scheduler, workers: number) {
    this.modelHash = modelHash;
    this.scheduler = scheduler;
    this.runtime = {
      backend: "tesseract.js",
      version: require("tesseract.js/package.json").version,
      core: `tesseract.js-core@${require("tesseract.js-core/package.json").version}/${CORE}`,
      weights: "@tesseract.js-data/eng 4.0.0_best_int",
      oem: "LSTM_ONLY",
      psm: "AUTO",
      workers,
    };
  }

  /** The hash of the weights: the modelHash a tesseract OCR model is registered with. */
  static hash(): Promise<`0x${string}`> {
    return hashFiles([path.join(LANG_DIR, "eng.traineddata.gz")]);
  }

  /** Starts `workers` tesseract worker threads (one input each at a time). */
  static async load(workers: number): Promise<TesseractModel> {
    const modelHash = await TesseractModel.hash();
    const scheduler = createScheduler();
    try {
      for (let i = 0; i < workers; i++) {
        const worker = await createWorker("eng", OEM.LSTM_ONLY, {
          workerPath: WORKER_SCRIPT,
          langPath: LANG_DIR,
          gzip: true,
          cacheMethod: "none",
          // Without a handler, tesseract.js rethrows a failed job's error from its message listener, an uncaught
          // exception that would end the process; the job's own promise rejects with it anyway.
          errorHandler: () => {},
        });
        await worker.setParameters({ tessedit_pageseg_mode: PSM.AUTO });
        scheduler.addWorker(worker);
      }
    } catch (error) {
      await scheduler.terminate();
      throw error;
    }
    return new TesseractModel(modelHash, scheduler, workers);
  }

  async run(input: Uint8Array): Promise<OutputValue> {
    const format = imageFormat(input);
    if (format === undefined) {
      throw new InputError("InputMalformed", "the input is not an image (PNG, JPEG, GIF, BMP, TIFF or WebP)");
    }
    let text: string;
    try {
      const result = await this.scheduler.addJob("recognize", Buffer.from(input));
      text = result.data.text;
    } catch (error) {
      throw new InputError("InputMalformed", `the ${format} image cannot be read: ${String(error)}`);
    }
    return { text: text.trimEnd() };
  }

  async close(): Promise<void> {
    await this.scheduler.terminate();
  }
}
