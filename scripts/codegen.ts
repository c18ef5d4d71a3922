// `npm run codegen`: writes generated/src (the @fourfold/contracts workspace) from artifacts/ and
// deploy/deployments/. `npm test` and `npm start` run it after compiling and deploying.
import path from "node:path";
import { CodegenError, codegen } from "./lib/codegen.ts";

const root = path.resolve(import.meta.dirname, "..");
try {
  const { abis, deployments } = await codegen({
    artifactsDir: path.join(root, "artifacts"),
    deploymentsDir: path.join(root, "deploy", "deployments"),
    outDir: path.join(root, "generated", "src"),
    sourcesRoot: root,
  });
  const chains = Object.keys(deployments);
  console.log(
    `codegen: ${abis.length} ABIs, deployments on ${chains.length === 0 ? "no chain" : `chain ${chains.join(", ")}`} -> generated/src`,
  );
} catch (error) {
  if (!(error instanceof CodegenError)) throw error;
  console.error(`codegen: ${error.message}`);
  process.exit(1);
}
