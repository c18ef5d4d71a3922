// Loading a configured model. Each backend is imported only when a worker serves it (onnxruntime-node's native
// library, tesseract's worker threads and fastText's WASM stay unloaded otherwise).
import type { InferenceModel, ModelSpec } from "./spec.ts";

export type { InferenceModel, ModelSpec } from "./spec.ts";

/** Loads the model a spec names. `concurrency` bounds how many inputs it runs at once. */
export async function loadModel(
  spec: ModelSpec,
  options: { concurrency: number; env: Readonly<Record<string, string | undefined>> },
): Promise<InferenceModel> {
  switch (spec.backend) {
    case "tesseract":
      return (await import("./tesseract.ts")).TesseractModel.load(options.concurrency);
    case "fasttext":
      return (await import("./fasttext.ts")).FastTextModel.load();
    case "onnx":
      return (await import("./onnx.ts")).OnnxModel.load(spec.path, spec.labels);
    case "openai": {
      const { OpenAiModel } = await import("./openai.ts");
      return new OpenAiModel(spec, spec.apiKeyEnv === undefined ? undefined : options.env[spec.apiKeyEnv]);
    }
  }
}
