// Building the dApp (`next build` in app/) only when what it is built from changed: its own sources, and the code it
// bundles from the other workspaces (the generated ABIs, the worker's crypto and identity helpers, the indexer's
// enums). A content hash of all of them is kept beside the build; `npm run build:app` and `npm start` build only when
// it differs, so a second start does not wait for a build that would produce the same thing.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");
export const APP = path.join(ROOT, "app");
const NEXT = path.join(ROOT, "node_modules", "next", "dist", "bin", "next");
const STAMP = path.join(APP, ".next", "fourfold-sources.sha256");

/** What the build is made from: directories (walked) and files, relative to the repository root. */
const SOURCES = [
  "app/app",
  "app/components",
  "app/lib",
  "app/next.config.ts",
  "app/package.json",
  "app/tsconfig.json",
  "generated/src",
  "worker/src/crypto",
  "worker/src/identity.ts",
  "worker/src/dev-accounts.ts",
  "worker/src/manifest.ts",
  "worker/src/permit.ts",
  "worker/src/inference/job-result.ts",
  "indexer/lib/enums.ts",
  "package-lock.json",
];

async function files(entry: string): Promise<string[]> {
  const full = path.join(ROOT, entry);
  const dirents = await readdir(full, { withFileTypes: true }).catch(() => undefined);
  if (dirents === undefined) return existsSync(full) ? [entry] : [];
  const nested = await Promise.all(
    dirents.map((d) => (d.isDirectory() ? files(path.join(entry, d.name)) : [path.join(entry, d.name)])),
  );
  return nested.flat();
}

/** The sha256 over every source file's path and content. */
export async function appSourcesHash(): Promise<string> {
  const hash = createHash("sha256");
  for (const file of (await Promise.all(SOURCES.map(files))).flat().sort()) {
    hash.update(`${file}\0`);
    hash.update(await readFile(path.join(ROOT, file)));
    hash.update("\0");
  }
  return hash.digest("hex");
}

/** Whether app/.next is a build of the current sources. */
export async function appBuildIsCurrent(): Promise<boolean> {
  if (!existsSync(path.join(APP, ".next", "BUILD_ID"))) return false;
  const stamp = await readFile(STAMP, "utf8").catch(() => "");
  return stamp.trim() === (await appSourcesHash());
}

/** `next build`'s command line. */
export const nextBuild = { command: process.execPath, args: [NEXT, "build"], cwd: APP };
/** `next start`'s command line on 127.0.0.1:`port`. */
export const nextStart = (port: number) => ({
  command: process.execPath,
  args: [NEXT, "start", "--hostname", "127.0.0.1", "--port", String(port)],
  cwd: APP,
});

/** Records that app/.next is a build of the sources as they are now (call it after a successful build). */
export async function stampAppBuild(): Promise<void> {
  await writeFile(STAMP, `${await appSourcesHash()}\n`);
}
