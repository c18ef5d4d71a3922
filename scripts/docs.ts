// `npm run docs`: writes docs/reference.md, the contract reference, from the contracts' NatSpec (scripts/lib/natspec.ts).
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { REFERENCE_CONTRACTS, readNatspec, renderReference } from "./lib/natspec.ts";

const ROOT = path.resolve(import.meta.dirname, "..");
const out = path.join(ROOT, "docs", "reference.md");
await writeFile(out, renderReference(await readNatspec(ROOT), REFERENCE_CONTRACTS));
console.log(`wrote ${path.relative(process.cwd(), out)}`);
