// `npm run bench:worker`: the inference worker's latency and throughput on a local chain, written to
// bench/results/worker.json.
//
// - modelP50Ms / modelP95Ms: tesseract alone (in this process, one worker thread) on the benchmark's documents.
// - jobP50Ms / jobP95Ms: 50 OCR jobs one after another (k = 1, the worker program with concurrency 1), each from the
//   block that mined its request to the block that mined its result, timed by when each block appeared.
// - jobsPerMinuteConcurrency2: 20 jobs requested at once, served by the worker with concurrency 2.
// - blockMs: the chain's block interval in the run (interval mining, measured).
// - ratioP50 = jobP50Ms / (modelP50Ms + blockMs). Goal: <= 1.5.
// - goalP50Ms = 1.5 x modelP50Ms + 2 x blockMs: a sealed result takes two blocks (the claim with its commitment, then
//   the reveal). Goal: jobP50Ms <= goalP50Ms.
//
// The documents are A4 pages at 150 dpi with 20 lines of text (what OCR jobs are for); the chain mines a block every
// BLOCK_MS (1 s) once the market is set up.

import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { type Hex, zeroAddress } from "viem";
import { freePort, type Running, startChain } from "../scripts/test/support.ts";
import { TesseractModel } from "../worker/src/inference/models/tesseract.ts";
import { connectGrid, ROOT } from "../worker/test/support/grid.ts";
import { MAX_FEE, renderDocument, setUpOcrMarket, spawnInferenceWorker } from "../worker/test/support/ocr-market.ts";

const BLOCK_MS = 1_000;
const DOCUMENTS = 10;
const SEQUENTIAL_JOBS = 50;
const PARALLEL_JOBS = 20;

const sha256 = (bytes: Uint8Array): Hex => `0x${createHash("sha256").update(bytes).digest("hex")}`;
const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
};
const round = (value: number) => Math.round(value * 10) / 10;

/** A page of a claim file: numbered lines of words, different on each page. */
function page(n: number): Buffer {
  const words = ["invoice", "policy", "damage", "amount", "kitchen", "water", "repair", "insured", "claim", "total"];
  const lines = Array.from({ length: 20 }, (_, i) => {
    const line = Array.from({ length: 7 }, (_, j) => words[(n * 7 + i * 3 + j) % words.length]).join(" ");
    return `${n}.${i + 1} ${line} ${(n * 131 + i * 17) % 1000}`;
  });
  return renderDocument([`CLAIM FILE ${1000 + n}`, ...lines], { width: 1240, fontPx: 24 });
}

const dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-bench-worker-"));
const running: Running[] = [];
const port = await freePort();
const rpcUrl = `http://127.0.0.1:${port}`;
running.push(await startChain(port));
let files: http.Server | undefined;
try {
  const grid = await connectGrid(rpcUrl);
  const market = await setUpOcrMarket(grid, dir);
  // Every job locks minStake of the worker's stake until it is finalized, an hour later: stake enough for them all.
  const stake = BigInt(SEQUENTIAL_JOBS + PARALLEL_JOBS) * market.minStake;
  await grid.fundFold(market.alice, stake, grid.contracts.jobs.address);
  await grid.call(market.alice, grid.contracts.jobs, "addStake", [market.a.workerId, stake]);
  await grid.fundFold(market.requester, BigInt(SEQUENTIAL_JOBS + PARALLEL_JOBS) * MAX_FEE, grid.contracts.jobs.address);
  const documents = Array.from({ length: DOCUMENTS }, (_, n) => page(n));
  files = http.createServer((req, res) => {
    const body = documents[Number((req.url ?? "").slice(1))];
    if (body === undefined) res.writeHead(404).end();
    else res.writeHead(200, { "content-type": "image/png" }).end(body);
  });
  files.listen(0, "127.0.0.1");
  await once(files, "listening");
  const filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;

  // The model alone, on the same documents.
  console.log(`model alone: ${DOCUMENTS} pages x 5`);
  const model = await TesseractModel.load(1);
  await model.run(documents[0] as Buffer);
  const modelMs: number[] = [];
  for (let round = 0; round < 5; round++) {
    for (const document of documents) {
      const started = performance.now();
      await model.run(document);
      modelMs.push(performance.now() - started);
    }
  }
  await model.close();

  // From here the chain mines a block every BLOCK_MS; each block's arrival is timed.
  await grid.client.request({ method: "evm_setAutomine" as never, params: [false] as never });
  await grid.client.request({ method: "evm_setIntervalMining" as never, params: [BLOCK_MS] as never });
  const seen = new Map<bigint, number>();
  let watching = true;
  const watcher = (async () => {
    while (watching) {
      const number = await grid.client.getBlockNumber({ cacheTime: 0 }).catch(() => undefined);
      if (number !== undefined && !seen.has(number)) seen.set(number, performance.now());
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  })();

  const startWorker = async (concurrency: number) => {
    const worker = await spawnInferenceWorker({
      // One worker, restarted with another concurrency, keeps its store (a fresh store would run every job still
      // open again, to watch the proposals it could challenge).
      stateDir: path.join(dir, "worker"),
      keyFile: market.keyFiles[0] as string,
      rpcUrl,
      concurrency,
      pollIntervalMs: 100,
      logLevel: "warn",
    });
    running.push(worker);
    return worker;
  };
  /** Sends a request; resolves, once it is sent, to its receipt's promise (requests are sent one after another, so
   * their nonces follow each other). */
  const send = async (n: number) => {
    const document = documents[n % DOCUMENTS] as Buffer;
    const deadline = (await grid.client.getBlock()).timestamp + 7_200n;
    const hash = await market.requester.writeContract({
      ...grid.contracts.jobs,
      functionName: "requestJob",
      args: [
        {
          requesterId: market.requesterId,
          modelId: market.modelId,
          input: "0x",
          inputHash: sha256(document),
          inputURI: `${filesUrl}/${n % DOCUMENTS}`,
          grantIds: [],
          redundancy: 1,
          maxFeePerWorker: MAX_FEE,
          deadline: Number(deadline),
          callback: zeroAddress,
          callbackGasLimit: 0,
        },
      ],
    });
    return { mined: grid.client.waitForTransactionReceipt({ hash, pollingInterval: 20 }) };
  };
  const request = async (n: number) => (await send(n)).mined;
  const resultBlock = async (jobId: bigint, fromBlock: bigint): Promise<bigint> => {
    for (;;) {
      const events = await grid.client.getContractEvents({
        ...grid.contracts.jobs,
        eventName: "ResultRevealed",
        args: { jobId },
        fromBlock,
      });
      if (events[0] !== undefined) return events[0].blockNumber;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const jobIdOf = (receipt: Awaited<ReturnType<typeof request>>) => {
    const log = receipt.logs.find((l) => l.address.toLowerCase() === grid.contracts.jobs.address.toLowerCase());
    return BigInt(log?.topics[1] ?? 0);
  };
  const seenAt = async (block: bigint) => {
    while (!seen.has(block)) await new Promise((resolve) => setTimeout(resolve, 5));
    return seen.get(block) as number;
  };

  // 50 jobs, one after another, concurrency 1.
  console.log(`jobs: ${SEQUENTIAL_JOBS} one after another, concurrency 1, a block every ${BLOCK_MS} ms`);
  const single = await startWorker(1);
  const jobMs: number[] = [];
  for (let n = 0; n < SEQUENTIAL_JOBS; n++) {
    const receipt = await request(n);
    const mined = await resultBlock(jobIdOf(receipt), receipt.blockNumber);
    jobMs.push((await seenAt(mined)) - (await seenAt(receipt.blockNumber)));
  }
  single.child.kill("SIGINT");
  await single.exited;

  // 20 jobs at once, concurrency 2.
  console.log(`jobs: ${PARALLEL_JOBS} at once, concurrency 2`);
  const double = await startWorker(2);
  const sent = [];
  for (let n = 0; n < PARALLEL_JOBS; n++) sent.push(await send(n));
  const receipts = await Promise.all(sent.map((s) => s.mined));
  const firstBlock = receipts.map((r) => r.blockNumber).sort((a, b) => (a < b ? -1 : 1))[0] ?? 0n;
  const results = await Promise.all(receipts.map((r) => resultBlock(jobIdOf(r), r.blockNumber)));
  const lastResult = results.sort((a, b) => (a < b ? 1 : -1))[0] ?? 0n;
  const parallelMs = (await seenAt(lastResult)) - (await seenAt(firstBlock));
  double.child.kill("SIGINT");
  await double.exited;
  watching = false;
  await watcher;

  const blocks = [...seen.entries()].sort(([a], [b]) => (a < b ? -1 : 1));
  const intervals = blocks.slice(1).map(([, at], i) => at - (blocks[i]?.[1] ?? at));
  const blockMs = percentile(intervals, 50);
  const result = {
    modelP50Ms: round(percentile(modelMs, 50)),
    modelP95Ms: round(percentile(modelMs, 95)),
    jobP50Ms: round(percentile(jobMs, 50)),
    jobP95Ms: round(percentile(jobMs, 95)),
    jobsPerMinuteConcurrency2: round((PARALLEL_JOBS * 60_000) / parallelMs),
    blockMs: round(blockMs),
    ratioP50: Math.round((percentile(jobMs, 50) / (percentile(modelMs, 50) + blockMs)) * 100) / 100,
    // Issue 22's goal: the claim and the reveal are a block each, after the model has run.
    goalP50Ms: round(1.5 * percentile(modelMs, 50) + 2 * blockMs),
    documents: `${DOCUMENTS} A4 pages at 150 dpi, 21 lines of DejaVu Sans 24 px`,
    jobs: SEQUENTIAL_JOBS,
    parallelJobs: PARALLEL_JOBS,
    node: process.version,
    cpus: os.cpus().length,
  };
  const out = path.join(ROOT, "bench", "results", "worker.json");
  await writeFile(out, `${JSON.stringify(result, null, 2)}\n`);
  console.log(result);
  console.log(
    `wrote ${path.relative(process.cwd(), out)}; ratioP50 goal <= 1.5: ${result.ratioP50 <= 1.5 ? "met" : "NOT met"}; ` +
      `jobP50Ms goal <= 1.5 x model + 2 blocks (${result.goalP50Ms} ms): ${result.jobP50Ms <= result.goalP50Ms ? "met" : "NOT met"}`,
  );
} finally {
  files?.close();
  for (const child of running.reverse()) {
    if (child.child.exitCode === null && child.child.signalCode === null) {
      child.child.kill("SIGINT");
      await child.exited;
    }
  }
  await rm(dir, { recursive: true, force: true });
}
