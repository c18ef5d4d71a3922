// `npm run bench:gas`: runs the fixed gas scenario on an in-process chain and writes bench/results/gas.json,
// mapping `Contract.function` to the gas its transaction used (from the receipt).
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { network } from "hardhat";
import { GAS_BUDGETS, measureGas } from "./gas-scenario.ts";

const connection = await network.create();
const gas = await measureGas(connection);
const out = path.resolve(import.meta.dirname, "results/gas.json");
await mkdir(path.dirname(out), { recursive: true });
await writeFile(out, `${JSON.stringify(gas, null, 2)}\n`);

for (const [name, used] of Object.entries(gas)) {
  const budget = GAS_BUDGETS[name];
  const verdict =
    budget === undefined ? "" : used <= budget ? `  (budget ${budget}: ok)` : `  (budget ${budget}: OVER)`;
  console.log(`${name.padEnd(40)} ${String(used).padStart(8)}${verdict}`);
}
console.log(`wrote ${path.relative(process.cwd(), out)}`);
