// `node scripts/test-totals.ts <log>`: prints "N passed, N failed" for a log of `npm test` (used by .ci/run).
import { readFile } from "node:fs/promises";
import { testTotals } from "./lib/test-totals.ts";

const file = process.argv[2];
if (file === undefined) {
  console.error("usage: node scripts/test-totals.ts <npm test log>");
  process.exit(2);
}
const { passed, failed } = testTotals(await readFile(file, "utf8"));
console.log(`${passed} passed, ${failed} failed`);
