// Builds the @fourfold/contracts workspace (generated/src) from what Hardhat and Ignition wrote: the ABI of every
// deployable contract under contracts/, per chain id the address and deployment block of every contract an Ignition
// deployment under deploy/deployments/ deployed, and every custom error the contracts can raise with its NatSpec (so a
// revert from any depth of a call is decoded and told in words). Pure functions over directories, so tests can give
// them their own; scripts/codegen.ts is the command.
import { existsSync } from "node:fs";
import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { readNatspec } from "./natspec.ts";

export interface ContractAbi {
  contractName: string;
  sourceName: string;
  abi: unknown[];
}

export interface DeployedContract {
  address: string;
  startBlock: number;
}

/** chain id -> contract name -> deployment */
export type Deployments = Record<number, Record<string, DeployedContract>>;

/** What an error's NatSpec says: its notice (or its @dev, for OpenZeppelin's, which document errors so), and what
 * each parameter is. */
export interface ErrorDoc {
  notice?: string;
  params?: Record<string, string>;
}

export class CodegenError extends Error {
  override name = "CodegenError";
}

async function walk(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files = await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      return entry.isDirectory() ? walk(full) : Promise.resolve([full]);
    }),
  );
  return files.flat();
}

/**
 * The ABIs of the deployable contracts compiled from `contracts/` (interfaces and abstract contracts have no
 * bytecode and are left out: every function and event they declare is in the contracts that implement them).
 */
export async function collectAbis(artifactsDir: string): Promise<ContractAbi[]> {
  const contractsDir = path.join(artifactsDir, "contracts");
  if (!existsSync(contractsDir)) {
    throw new CodegenError(`no compiled contracts in ${contractsDir}: run \`npm run build\` first`);
  }
  const found = new Map<string, ContractAbi>();
  for (const file of (await walk(contractsDir)).sort()) {
    if (!file.endsWith(".json") || file.endsWith(".dbg.json")) continue;
    const artifact = JSON.parse(await readFile(file, "utf8"));
    if (typeof artifact.contractName !== "string" || !Array.isArray(artifact.abi)) continue;
    if (artifact.bytecode === "0x" || artifact.bytecode === undefined) continue;
    const previous = found.get(artifact.contractName);
    if (previous !== undefined) {
      throw new CodegenError(
        `two contracts are named ${artifact.contractName} (${previous.sourceName} and ${artifact.sourceName}); ` +
          "generated/ keys ABIs by contract name, so rename one",
      );
    }
    found.set(artifact.contractName, {
      contractName: artifact.contractName,
      sourceName: artifact.sourceName,
      abi: artifact.abi,
    });
  }
  if (found.size === 0) throw new CodegenError(`no deployable contract artifacts under ${contractsDir}`);
  return [...found.values()].sort((a, b) => a.contractName.localeCompare(b.contractName));
}

interface JournalMessage {
  type: string;
  chainId?: number;
  futureId?: string;
  futureType?: string;
  contractName?: string;
  receipt?: { blockNumber: number; contractAddress?: string; status: string };
  result?: { type: string; address?: string };
}

/**
 * Reads one Ignition deployment's journal: the chain id, and for every contract deployment that completed, its
 * address and the block of its creation receipt (where an indexer starts). Contracts are keyed by the future's
 * name within its module (`Fourfold#FoldToken` -> `FoldToken`).
 */
export async function readDeployment(
  deploymentDir: string,
): Promise<{ chainId: number; contracts: Record<string, DeployedContract> }> {
  const journalPath = path.join(deploymentDir, "journal.jsonl");
  const text = await readFile(journalPath, "utf8");
  let chainId: number | undefined;
  const created = new Map<string, DeployedContract>();
  const deploymentFutures = new Set<string>();
  const completed = new Map<string, string>();
  for (const [index, line] of text.split("\n").entries()) {
    if (line.trim() === "") continue;
    let message: JournalMessage;
    try {
      message = JSON.parse(line);
    } catch {
      throw new CodegenError(`${journalPath}:${index + 1} is not JSON; the deployment journal is damaged`);
    }
    if (message.type === "DEPLOYMENT_INITIALIZE") chainId = message.chainId;
    const futureId = message.futureId;
    if (futureId === undefined) continue;
    if (
      message.type === "DEPLOYMENT_EXECUTION_STATE_INITIALIZE" &&
      (message.futureType?.endsWith("CONTRACT_DEPLOYMENT") || message.futureType?.endsWith("LIBRARY_DEPLOYMENT"))
    ) {
      deploymentFutures.add(futureId);
    }
    const receipt = message.receipt;
    if (message.type === "TRANSACTION_CONFIRM" && receipt?.status === "SUCCESS" && receipt.contractAddress) {
      created.set(futureId, { address: receipt.contractAddress, startBlock: receipt.blockNumber });
    }
    if (message.type === "DEPLOYMENT_EXECUTION_STATE_COMPLETE" && message.result?.type === "SUCCESS") {
      if (message.result.address !== undefined) completed.set(futureId, message.result.address);
    }
  }
  if (chainId === undefined) throw new CodegenError(`${journalPath} does not say which chain it deployed to`);

  const contracts: Record<string, DeployedContract> = {};
  for (const futureId of [...deploymentFutures].sort()) {
    const address = completed.get(futureId);
    if (address === undefined) continue; // not finished: Ignition resumes it on the next deploy
    const creation = created.get(futureId);
    if (creation === undefined || creation.address.toLowerCase() !== address.toLowerCase()) {
      throw new CodegenError(`${journalPath}: ${futureId} completed at ${address} without its creation receipt`);
    }
    const name = futureId.slice(futureId.indexOf("#") + 1);
    if (contracts[name] !== undefined) {
      throw new CodegenError(`${journalPath}: two futures are named ${name}; give each deployment its own id`);
    }
    contracts[name] = { address, startBlock: creation.startBlock };
  }
  return { chainId, contracts };
}

/** Every Ignition deployment under `deploymentsDir`, by chain id. One deployment per chain. */
export async function collectDeployments(deploymentsDir: string): Promise<Deployments> {
  const deployments: Deployments = {};
  if (!existsSync(deploymentsDir)) return deployments;
  const seen = new Map<number, string>();
  const entries = (await readdir(deploymentsDir, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name));
  for (const entry of entries) {
    const dir = path.join(deploymentsDir, entry.name);
    if (!entry.isDirectory() || !existsSync(path.join(dir, "journal.jsonl"))) continue;
    const { chainId, contracts } = await readDeployment(dir);
    const other = seen.get(chainId);
    if (other !== undefined) {
      throw new CodegenError(
        `deployments ${other} and ${entry.name} are both on chain ${chainId}; keep one per chain in ${deploymentsDir}`,
      );
    }
    seen.set(chainId, entry.name);
    if (Object.keys(contracts).length > 0) deployments[chainId] = contracts;
  }
  return deployments;
}

const HEADER = "// Written by scripts/codegen.ts from Hardhat's artifacts and Ignition's deployments. Do not edit.\n";

/** `deployments` as a TypeScript literal with numeric chain ids, so `keyof typeof deployments` is a number type. */
function deploymentsLiteral(deployments: Deployments): string {
  const chains = Object.entries(deployments).map(([chainId, contracts]) => {
    const lines = Object.entries(contracts).map(
      ([name, { address, startBlock }]) => `    ${name}: { address: "${address}", startBlock: ${startBlock} },
`,
    );
    return `  ${chainId}: {
${lines.join("")}  },
`;
  });
  return `{
${chains.join("")}}`;
}

function abiConstName(contractName: string): string {
  return `${contractName[0]?.toLowerCase()}${contractName.slice(1)}Abi`;
}

interface AbiError {
  type: "error";
  name: string;
  inputs: { type: string; name: string; components?: unknown[] }[];
}

/** The canonical signature of an ABI item: `Name(type,...)`, tuples spelled out, as solc keys NatSpec. */
function signatureOf(item: AbiError): string {
  const typeOf = (p: { type: string; components?: unknown[] }): string =>
    p.type.startsWith("tuple")
      ? `(${(p.components as { type: string; components?: unknown[] }[]).map(typeOf).join(",")})${p.type.slice(5)}`
      : p.type;
  return `${item.name}(${item.inputs.map(typeOf).join(",")})`;
}

/** Every error in the ABIs, once each, by name; two different errors of one name cannot both be told apart by name,
 * and are refused. */
export function collectErrors(abis: ContractAbi[]): AbiError[] {
  const found = new Map<string, { item: AbiError; signature: string; contract: string }>();
  for (const { contractName, abi } of abis) {
    for (const item of abi as AbiError[]) {
      if (item.type !== "error") continue;
      const signature = signatureOf(item);
      const previous = found.get(item.name);
      if (previous !== undefined && previous.signature !== signature) {
        throw new CodegenError(
          `two errors are named ${item.name} (${previous.signature} in ${previous.contract}, ${signature} in ` +
            `${contractName}); generated/ keys errors by name, so rename one`,
        );
      }
      if (previous === undefined) found.set(item.name, { item, signature, contract: contractName });
    }
  }
  return [...found.values()].map((f) => f.item).sort((a, b) => a.name.localeCompare(b.name));
}

/** Each error's NatSpec, by name, from solc's userdoc and devdoc of the contracts under `root`/contracts. */
export async function readErrorDocs(root: string, errors: AbiError[]): Promise<Record<string, ErrorDoc>> {
  const natspec = await readNatspec(root);
  const docs: Record<string, ErrorDoc> = {};
  for (const error of errors) {
    const signature = signatureOf(error);
    for (const contract of Object.values(natspec)) {
      const user = contract.userdoc.errors?.[signature]?.[0];
      const dev = contract.devdoc.errors?.[signature]?.[0];
      const notice = (user?.notice ?? dev?.details)?.replace(/\s+/g, " ").trim();
      if (notice === undefined && dev?.params === undefined) continue;
      docs[error.name] = { notice, params: dev?.params };
      break;
    }
  }
  return docs;
}

/** The files of generated/src, as text: one module per contract's ABI (abi/<Name>.ts), so a bundle takes only the
 * ABIs it imports, abis.ts re-exporting them (and `abis`, all of them by name), deployments.ts, errors.ts (every error,
 * with its NatSpec) and index.ts. */
export function render(
  abis: ContractAbi[],
  deployments: Deployments,
  errorDocs: Record<string, ErrorDoc> = {},
): Record<string, string> {
  const abiModules = Object.fromEntries(
    abis.map(({ contractName, sourceName, abi }) => [
      `abi/${contractName}.ts`,
      `${HEADER}\n/** ${contractName} (${sourceName}) */\nexport const ${abiConstName(contractName)} = ${JSON.stringify(abi, null, 2)} as const;\n`,
    ]),
  );
  const abiFile =
    HEADER +
    abis
      .map(({ contractName }) => `import { ${abiConstName(contractName)} } from "./abi/${contractName}.ts";\n`)
      .join("") +
    "\n" +
    abis
      .map(({ contractName }) => `export { ${abiConstName(contractName)} } from "./abi/${contractName}.ts";\n`)
      .join("") +
    `\nexport const abis = {\n${abis.map(({ contractName }) => `  ${contractName}: ${abiConstName(contractName)},\n`).join("")}} as const;\n\n` +
    "export type ContractName = keyof typeof abis;\n";

  const deploymentsFile =
    HEADER +
    'import type { ContractName } from "./abis.ts";\n\n' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is the generated module's own template literal type
    "export interface Deployment {\n  readonly address: `0x${string}`;\n  /** The block of the contract's creation: where an indexer starts. */\n  readonly startBlock: number;\n}\n\n" +
    "/** chain id -> contract name -> address and start block. */\n" +
    `export const deployments = ${deploymentsLiteral(deployments)} as const satisfies Record<number, Partial<Record<ContractName, Deployment>>>;\n\n` +
    "export type DeployedChainId = keyof typeof deployments;\n\n" +
    "/** The deployment of every contract on `chainId`, or an error that says which chains have one. */\n" +
    "export function deploymentsOn(chainId: number): Partial<Record<ContractName, Deployment>> {\n" +
    "  const found = (deployments as Record<number, Partial<Record<ContractName, Deployment>>>)[chainId];\n" +
    "  if (found === undefined) {\n" +
    '    const known = Object.keys(deployments).join(", ") || "none";\n' +
    // biome-ignore lint/suspicious/noTemplateCurlyInString: this is the generated module's own template literal
    "    throw new Error(`Fourfold is not deployed on chain ${chainId} (deployed on: ${known}); run \\`npm start\\` for the local chain`);\n" +
    "  }\n" +
    "  return found;\n" +
    "}\n";

  const errors = collectErrors(abis);
  const errorsFile =
    HEADER +
    "\n/** Every custom error the contracts declare or raise (OpenZeppelin's among them), once each: a revert from any\n" +
    " * depth of a call (a market calling the registry) decodes against it. */\n" +
    `export const errorsAbi = ${JSON.stringify(errors, null, 2)} as const;\n\n` +
    "/** What an error's NatSpec says: its notice, and what each parameter is. */\n" +
    "export interface ErrorDoc {\n  readonly notice?: string;\n  readonly params?: Readonly<Record<string, string>>;\n}\n\n" +
    "/** Each error's NatSpec, by name. */\n" +
    `export const errorDocs: Readonly<Record<string, ErrorDoc>> = ${JSON.stringify(
      Object.fromEntries(errors.filter((e) => errorDocs[e.name]).map((e) => [e.name, errorDocs[e.name]])),
      null,
      2,
    )};\n`;
  const indexFile = `${HEADER}export * from "./abis.ts";\nexport * from "./deployments.ts";\nexport * from "./errors.ts";\n`;
  return {
    ...abiModules,
    "abis.ts": abiFile,
    "deployments.ts": deploymentsFile,
    "errors.ts": errorsFile,
    "index.ts": indexFile,
  };
}

/** Writes the files atomically (each to a temporary name, then renamed), so a reader never sees half a file. */
export async function writeGenerated(outDir: string, files: Record<string, string>): Promise<void> {
  for (const [name, text] of Object.entries(files)) {
    const target = path.join(outDir, name);
    await mkdir(path.dirname(target), { recursive: true });
    const temporary = `${target}.${process.pid}.tmp`;
    await writeFile(temporary, text);
    await rename(temporary, target);
  }
}

/** `sourcesRoot`: the repository whose contracts/ the artifacts were compiled from, for the errors' NatSpec. */
export async function codegen(options: {
  artifactsDir: string;
  deploymentsDir: string;
  outDir: string;
  sourcesRoot: string;
}) {
  const abis = await collectAbis(options.artifactsDir);
  const deployments = await collectDeployments(options.deploymentsDir);
  const errorDocs = await readErrorDocs(options.sourcesRoot, collectErrors(abis));
  await writeGenerated(options.outDir, render(abis, deployments, errorDocs));
  return { abis, deployments, errorDocs };
}
