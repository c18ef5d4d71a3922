// The worker program with one change, for tests of challenges and re-execution rounds: every output its models
// produce is forged (the text replaced) before it is sealed. Everything else is the real inference role: it claims,
// commits, reveals and challenges as an honest worker would, believing its forged output.
import { ConfigError } from "../../src/config.ts";
import { loadModel } from "../../src/inference/models/index.ts";
import type { OutputValue } from "../../src/inference/output.ts";
import { runInference } from "../../src/inference/run.ts";

/** The lie: an OCR output's text replaced, any other output wrapped. */
export const FORGED_TEXT = "PAID IN FULL";

const forge = (output: OutputValue): OutputValue =>
  typeof output === "object" && output !== null && !Array.isArray(output) && typeof output.text === "string"
    ? { ...output, text: FORGED_TEXT }
    : { forged: output };

runInference(process.argv.slice(2), process.env, async (spec, options) => {
  const model = await loadModel(spec, options);
  return {
    backend: model.backend,
    modelHash: model.modelHash,
    runtime: model.runtime,
    run: async (input) => forge(await model.run(input)),
    close: () => model.close(),
  };
}).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error("lying worker failed:", error);
    process.exit(error instanceof ConfigError ? 2 : 1);
  },
);
