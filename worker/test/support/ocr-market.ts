// An OCR market on the local chain for the inference tests and the worker benchmark: documents rendered to PNG, the
// tesseract model registered with the hash of the weights the workers load, two staked workers, a requester with FOLD
// and the example consumer.
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { createCanvas, GlobalFonts } from "@napi-rs/canvas";
import { parseEther } from "viem";
import { freePort, type Running, runNode } from "../../../scripts/test/support.ts";
import { TesseractModel } from "../../src/inference/models/tesseract.ts";
import { type Grid, ROOT } from "./grid.ts";

const FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf";
export const PRICE = parseEther("2");
export const MAX_FEE = parseEther("3");

/** A scanned-looking document: black text on white, in DejaVu Sans (Debian's fonts-dejavu-core); a page of A4 at
 * 150 dpi is 1240 px wide. */
export function renderDocument(lines: readonly string[], options: { width?: number; fontPx?: number } = {}): Buffer {
  const width = options.width ?? 900;
  const fontPx = options.fontPx ?? 32;
  const lineHeight = Math.round(fontPx * 2.2);
  GlobalFonts.registerFromPath(FONT, "DejaVu Sans");
  const canvas = createCanvas(width, lineHeight * (lines.length + 1));
  const context = canvas.getContext("2d");
  context.fillStyle = "white";
  context.fillRect(0, 0, canvas.width, canvas.height);
  context.fillStyle = "black";
  context.font = `${fontPx}px 'DejaVu Sans'`;
  lines.forEach((line, i) => {
    context.fillText(line, fontPx, lineHeight * (i + 1));
  });
  return canvas.toBuffer("image/png");
}

/** The OCR model, two staked workers with their Worker keys in files, a requester with FOLD, the example consumer. */
export async function setUpOcrMarket(grid: Grid, dir: string) {
  const { contracts, call, client } = grid;
  // The OCR model, registered by its owner with the hash of the weights the workers load; a 10% owner fee.
  const modelOwner = grid.wallet(1);
  const ownerId = await grid.register(modelOwner, "ocr-models");
  const modelHash = await TesseractModel.hash();
  const modelId = await call<bigint>(modelOwner, contracts.jobs, "registerModel", [
    ownerId,
    modelHash,
    "tesseract eng",
    "npm:@tesseract.js-data/eng@1.0.0",
    1_000n,
  ]);
  // Two staked workers, each with its own Worker key (in a file the worker program reads).
  const minStake = await client.readContract({ ...contracts.jobs, functionName: "minStake" });
  const alice = grid.wallet(3);
  const bob = grid.wallet(4);
  const a = await grid.registerWorker(alice, "worker-alice", [modelId], PRICE, 3n * minStake);
  const b = await grid.registerWorker(bob, "worker-bob", [modelId], PRICE, 3n * minStake);
  const keyFiles = [path.join(dir, "alice.key"), path.join(dir, "bob.key")];
  await writeFile(keyFiles[0], a.key.key, { mode: 0o600 });
  await writeFile(keyFiles[1], b.key.key, { mode: 0o600 });
  // The requester, with FOLD, and the example consumer.
  const requester = grid.wallet(2);
  const requesterId = await grid.register(requester, "claims-desk");
  await grid.fundFold(requester, parseEther("100"), contracts.jobs.address);
  const verifier = await grid.deployArtifact(requester, "contracts/examples/DocumentVerifier.sol", "DocumentVerifier", [
    contracts.jobs.address,
    modelId,
  ]);

  return { modelId, modelHash, minStake, a, b, alice, bob, keyFiles, requester, requesterId, verifier, modelOwner };
}
export type OcrMarket = Awaited<ReturnType<typeof setUpOcrMarket>>;

/** Spawns the worker program's inference role with `keyFile` on `stateDir` (its config written there, on a free
 * port); the caller keeps the process (to stop it) and waits for /inference role running/ when it needs it ready. */
export async function spawnInferenceWorker(options: {
  stateDir: string;
  keyFile: string;
  rpcUrl: string;
  concurrency?: number;
  pollIntervalMs?: number;
  logLevel?: string;
  /** Run the lying worker (./lying-worker.ts: the real role with forged outputs) instead of the worker program. */
  lying?: boolean;
}): Promise<Running> {
  const { stateDir } = options;
  await mkdir(stateDir, { recursive: true });
  const config = path.join(stateDir, "inference.json");
  await writeFile(
    config,
    JSON.stringify({
      pollIntervalMs: options.pollIntervalMs ?? 200,
      port: await freePort(),
      concurrency: options.concurrency ?? 1,
    }),
  );
  const args = [
    "--key-file",
    options.keyFile,
    "--config",
    config,
    "--state-dir",
    stateDir,
    "--rpc-url",
    options.rpcUrl,
  ];
  const program = options.lying
    ? [path.join(import.meta.dirname, "lying-worker.ts")]
    : [path.join(ROOT, "worker", "src", "main.ts"), "inference"];
  return runNode([...program, ...args], {
    cwd: ROOT,
    env: { LOG_LEVEL: options.logLevel ?? "info" },
  });
}
