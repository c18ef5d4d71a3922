// The contract reference (docs/reference.md), generated from the contracts' NatSpec: solc (the `solc` npm package,
// the compiler Hardhat uses) reads contracts/ with only `userdoc`, `devdoc` and `abi` asked for, so nothing is
// compiled to bytecode; each deployable contract then gets its notice and details, and every external function, event
// and error with its parameters, in the order of the ABI (interfaces' docs come through `@inheritdoc`).
import { readFileSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";

const require = createRequire(import.meta.url);

/** The contracts the reference covers: those the Ignition module deploys, then the example consumer. */
export const REFERENCE_CONTRACTS = [
  "FoldToken",
  "IdentityRegistry",
  "ReputationRegistry",
  "NodeRegistry",
  "FarmingRewards",
  "LeaseMarket",
  "DataMarket",
  "JobMarket",
  "DocumentVerifier",
] as const;

interface AbiParameter {
  name: string;
  type: string;
  internalType?: string;
  components?: AbiParameter[];
}
interface AbiItem {
  type: string;
  name?: string;
  inputs?: AbiParameter[];
  outputs?: AbiParameter[];
  stateMutability?: string;
}
interface MethodDoc {
  notice?: string;
  details?: string;
  params?: Record<string, string>;
  returns?: Record<string, string>;
}
interface ContractDocs {
  abi: AbiItem[];
  userdoc: {
    notice?: string;
    methods?: Record<string, MethodDoc>;
    events?: Record<string, MethodDoc>;
    errors?: Record<string, MethodDoc[]>;
  };
  devdoc: {
    title?: string;
    details?: string;
    methods?: Record<string, MethodDoc>;
    events?: Record<string, MethodDoc>;
    errors?: Record<string, MethodDoc[]>;
  };
}

/** Every .sol file under `dir`, as paths relative to `root`. */
async function solidityFiles(root: string, dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...(await solidityFiles(root, relative)));
    else if (entry.name.endsWith(".sol")) found.push(relative);
  }
  return found.sort();
}

/** solc's NatSpec and ABI of every contract under `root`/contracts. */
export async function readNatspec(root: string): Promise<Record<string, ContractDocs & { file: string }>> {
  const solc = require("solc") as { compile(input: string, callbacks: object): string };
  const files = await solidityFiles(root, "contracts");
  const sources: Record<string, { content: string }> = {};
  for (const file of files) sources[file] = { content: await readFile(path.join(root, file), "utf8") };
  const input = {
    language: "Solidity",
    sources,
    settings: { evmVersion: "prague", outputSelection: { "*": { "*": ["abi", "userdoc", "devdoc"] } } },
  };
  // Only the documentation is asked for, but solc still wants every file a source imports: OpenZeppelin's come from
  // node_modules, as Hardhat resolves them.
  const findImports = (name: string) => {
    try {
      return { contents: readFileSync(path.join(root, "node_modules", name), "utf8") };
    } catch {
      return { error: `not found: ${name}` };
    }
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input), { import: findImports })) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, ContractDocs>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) throw new Error(errors.map((e) => e.formattedMessage).join("\n"));
  const result: Record<string, ContractDocs & { file: string }> = {};
  for (const [file, contracts] of Object.entries(output.contracts ?? {})) {
    if (!file.startsWith("contracts/")) continue; // OpenZeppelin's
    for (const [name, docs] of Object.entries(contracts)) result[name] = { ...docs, file };
  }
  return result;
}

/** `uint256`, or the struct's or enum's own name (`Resources` for `struct INodeRegistry.Resources`). */
function typeName(p: AbiParameter): string {
  const internal = p.internalType ?? p.type;
  const match = internal.match(/^(?:struct|enum|contract) (?:\w+\.)?(\w+)(\[\d*\])*$/);
  return match ? internal.replace(/^(?:struct|enum|contract) (?:\w+\.)?/, "") : internal;
}

/** The canonical type of a parameter, tuples spelled out, as NatSpec keys use it. */
function canonical(p: AbiParameter): string {
  if (p.type.startsWith("tuple")) return `(${(p.components ?? []).map(canonical).join(",")})${p.type.slice(5)}`;
  return p.type;
}

const signature = (item: AbiItem) => `${item.name}(${(item.inputs ?? []).map(canonical).join(",")})`;
const shown = (item: AbiItem) =>
  `${item.name}(${(item.inputs ?? []).map((p) => `${typeName(p)}${p.name ? ` ${p.name}` : ""}`).join(", ")})`;
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, " ").trim();

function describe(item: AbiItem, docs: MethodDoc[]): string[] {
  const lines: string[] = [];
  for (const doc of docs) {
    if (doc.notice) lines.push(oneLine(doc.notice));
    if (doc.details) lines.push(oneLine(doc.details));
  }
  const params = Object.assign({}, ...docs.map((d) => d.params ?? {})) as Record<string, string>;
  const returns = Object.assign({}, ...docs.map((d) => d.returns ?? {})) as Record<string, string>;
  const paramLines = (item.inputs ?? [])
    .filter((p) => params[p.name] !== undefined)
    .map((p) => `- \`${p.name}\`: ${oneLine(params[p.name] as string)}`);
  if (paramLines.length > 0) lines.push(...paramLines);
  const returnLines = Object.entries(returns).map(([name, text]) => `- returns \`${name}\`: ${oneLine(text)}`);
  if (returnLines.length > 0) lines.push(...returnLines);
  return lines;
}

/** The reference as Markdown: the contracts deployed by the Ignition module, then the example consumer. */
export function renderReference(docs: Awaited<ReturnType<typeof readNatspec>>, contracts: readonly string[]): string {
  const out = [
    "# Contract reference",
    "",
    "Generated from the contracts' NatSpec by `npm run docs` (scripts/lib/natspec.ts); a test fails when it is out of",
    "date. The design and its choices are in [contracts.md](contracts.md); gas figures in",
    "[bench/results/gas.json](../bench/results/gas.json).",
    "",
  ];
  for (const name of contracts) {
    const contract = docs[name];
    if (contract === undefined) throw new Error(`no NatSpec for ${name}`);
    const { abi, userdoc, devdoc } = contract;
    out.push(`## ${name}`, "", `\`${contract.file}\``, "");
    if (devdoc.title) out.push(`**${oneLine(devdoc.title)}**`, "");
    if (userdoc.notice) out.push(oneLine(userdoc.notice), "");
    if (devdoc.details) out.push(oneLine(devdoc.details), "");
    const sections: [string, AbiItem[], (item: AbiItem) => MethodDoc[]][] = [
      [
        "Functions",
        abi.filter((i) => i.type === "function").sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")),
        (i) => [userdoc.methods?.[signature(i)] ?? {}, devdoc.methods?.[signature(i)] ?? {}],
      ],
      [
        "Events",
        abi.filter((i) => i.type === "event").sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")),
        (i) => [userdoc.events?.[signature(i)] ?? {}, devdoc.events?.[signature(i)] ?? {}],
      ],
      [
        "Errors",
        abi.filter((i) => i.type === "error").sort((a, b) => (a.name ?? "").localeCompare(b.name ?? "")),
        (i) => [...(userdoc.errors?.[signature(i)] ?? []), ...(devdoc.errors?.[signature(i)] ?? [])],
      ],
    ];
    for (const [title, items, docsOf] of sections) {
      if (items.length === 0) continue;
      out.push(`### ${title}`, "");
      for (const item of items) {
        const view = item.stateMutability === "view" || item.stateMutability === "pure" ? " (view)" : "";
        out.push(`- \`${shown(item)}\`${view}`);
        for (const line of describe(item, docsOf(item))) out.push(`  ${line.startsWith("- ") ? `  ${line}` : line}`);
      }
      out.push("");
    }
  }
  return `${out.join("\n").trimEnd()}\n`;
}
