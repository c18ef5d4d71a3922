// The inference role end to end, on a real local chain (scripts/start.ts on a port this test chose) with the real
// worker program: a requester asks for OCR of a PNG this test renders, two worker processes run tesseract, claim it
// with commitments to their signed results, and reveal results that agree bit for bit once both are committed; after
// the challenge window the job is finalized, both are paid and the example consumer (DocumentVerifier) acts on the
// text. Then the faults: a worker killed with SIGKILL before its reveal reached the chain, or after it was mined,
// completes the job exactly once after a restart; an RPC endpoint down for 20 s is ridden out without a crash;
// malformed input and input that fails its hash check are never claimed (the job is refunded when its commit phase
// closes). And batching: a worker with concurrency 2 claims two jobs in one multicall, and waits for stake it lacks.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { type Hex, parseTransaction, toFunctionSelector, toHex, zeroAddress } from "viem";
import { freePort, type Running, startChain } from "../../scripts/test/support.ts";
import { connectGrid, eventually, type Grid } from "./support/grid.ts";
import {
  MAX_FEE,
  type OcrMarket,
  PRICE,
  renderDocument,
  setUpOcrMarket,
  spawnInferenceWorker,
} from "./support/ocr-market.ts";
import { type HeldRequest, type RpcProxy, startRpcProxy } from "./support/rpc-proxy.ts";

const JobState = { Open: 1, Revealing: 2, Proposed: 3, Final: 5, Refunded: 7 } as const;
const CaseState = { Verified: 2 } as const;

const sha256 = (bytes: Uint8Array | string): Hex => `0x${createHash("sha256").update(bytes).digest("hex")}`;

describe("inference role (integration)", { timeout: 600_000 }, () => {
  let node: Running;
  let dir: string;
  let rpcUrl: string;
  let grid: Grid;
  let files: http.Server;
  let filesUrl: string;
  const documents = new Map<string, Buffer>();
  const workers: Running[] = [];
  let proxy: RpcProxy | undefined;
  let setup: OcrMarket;

  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "fourfold-inference-"));
    const port = await freePort();
    rpcUrl = `http://127.0.0.1:${port}`;
    node = await startChain(port);
    grid = await connectGrid(rpcUrl);
    files = http.createServer((req, res) => {
      const body = documents.get(req.url ?? "");
      if (body === undefined) res.writeHead(404).end();
      else res.writeHead(200, { "content-type": "image/png" }).end(body);
    });
    files.listen(0, "127.0.0.1");
    await once(files, "listening");
    filesUrl = `http://127.0.0.1:${(files.address() as { port: number }).port}`;
    setup = await setUpOcrMarket(grid, dir);
  });

  after(async () => {
    for (const worker of workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) {
        worker.child.kill("SIGKILL");
        await worker.exited;
      }
    }
    await proxy?.close();
    files?.close();
    if (node.child.exitCode === null) {
      node.child.kill("SIGINT");
      await node.exited;
    }
    await rm(dir, { recursive: true, force: true });
  });

  /** Starts the worker program's inference role with `keyFile`, on its own state directory and port. */
  async function startWorker(
    name: string,
    keyFile: string,
    options: { rpc?: string; concurrency?: number } = {},
  ): Promise<Running> {
    const worker = await spawnInferenceWorker({
      stateDir: path.join(dir, name),
      keyFile,
      rpcUrl: options.rpc ?? rpcUrl,
      concurrency: options.concurrency,
      logLevel: "debug",
    });
    workers.push(worker);
    await worker.until(/inference role running/, 60_000);
    return worker;
  }

  const healthUrl = (worker: Running) => {
    const match = worker.output().match(/"url":"(http:\/\/127\.0\.0\.1:\d+)"/);
    assert.ok(match?.[1], "the worker printed its URL");
    return match[1];
  };

  /** Requests a job of the OCR model (k = 1 unless said) and returns its id. */
  async function requestOcr(input: { uri?: string; inline?: Uint8Array; hash: Hex; redundancy?: number }) {
    const deadline = (await grid.client.getBlock()).timestamp + 7_200n;
    return grid.call<bigint>(setup.requester, grid.contracts.jobs, "requestJob", [
      {
        requesterId: setup.requesterId,
        modelId: setup.modelId,
        input: input.inline === undefined ? "0x" : toHex(input.inline),
        inputHash: input.hash,
        inputURI: input.uri ?? "",
        grantIds: [],
        redundancy: input.redundancy ?? 1,
        maxFeePerWorker: MAX_FEE,
        deadline: Number(deadline),
        callback: zeroAddress,
        callbackGasLimit: 0,
      },
    ]);
  }

  const jobOf = (jobId: bigint) =>
    grid.client.readContract({ ...grid.contracts.jobs, functionName: "job", args: [jobId] });
  const events = (eventName: "JobClaimed" | "ResultRevealed", jobId: bigint) =>
    grid.client.getContractEvents({ ...grid.contracts.jobs, eventName, args: { jobId }, fromBlock: 0n });
  const count = async (eventName: "JobClaimed" | "ResultRevealed", jobId: bigint) =>
    (await events(eventName, jobId)).length;
  const inState = (jobId: bigint, state: number, timeoutMs = 60_000) =>
    eventually(
      `job ${jobId} in state ${state}`,
      async () => ((await jobOf(jobId)).state === state ? true : undefined),
      timeoutMs,
    );
  const revealSelector = toFunctionSelector("revealResult(uint256,uint256,bytes32,bytes32,string,bytes,bytes)");
  const isReveal = (method: string, params: unknown[]) =>
    method === "eth_sendRawTransaction" && (parseTransaction(params[0] as Hex).data ?? "0x").startsWith(revealSelector);

  it("OCR end to end: two workers agree bit for bit, finalize pays them and the consumer acts on the text", async () => {
    const { contracts, call, client } = grid;
    const { modelId, modelHash, a, b, alice, bob, keyFiles, requester, requesterId, verifier, modelOwner } = setup;
    const workerA = await startWorker("alice", keyFiles[0]);
    const workerB = await startWorker("bob", keyFiles[1]);

    const png = renderDocument(["INVOICE 2026-0042", "Total due: 1,250.00 FOLD", "Pay to: Fourfold Grid"]);
    documents.set("/invoice.png", png);
    const deadline = (await client.getBlock()).timestamp + 7_200n;
    const requesterBefore = await client.readContract({
      ...contracts.token,
      functionName: "balanceOf",
      args: [requester.account.address],
    });
    const jobId = await call<bigint>(requester, contracts.jobs, "requestJob", [
      {
        requesterId,
        modelId,
        input: "0x",
        inputHash: sha256(png),
        inputURI: `${filesUrl}/invoice.png`,
        grantIds: [],
        redundancy: 2,
        maxFeePerWorker: MAX_FEE,
        deadline: Number(deadline),
        callback: verifier.address,
        callbackGasLimit: 300_000,
      },
    ]);
    await call(requester, verifier, "open", [jobId, toHex("INVOICE 2026-0042")]);

    // Both commitments, then both reveals, are in and agree: the job is proposed.
    const proposed = await eventually(
      "the result proposed",
      async () => {
        const job = await client.readContract({ ...contracts.jobs, functionName: "job", args: [jobId] });
        return job.state === JobState.Proposed ? job : undefined;
      },
      90_000,
    );
    assert.equal(proposed.revealed, 2);
    const submitted = await client.getContractEvents({
      ...contracts.jobs,
      eventName: "ResultRevealed",
      args: { jobId },
      fromBlock: 0n,
    });
    // No reveal came before both commitments: each reveal is in a later block than the second claim.
    const claims = await events("JobClaimed", jobId);
    let lastClaim = 0n;
    for (const claim of claims) if (claim.blockNumber > lastClaim) lastClaim = claim.blockNumber;
    for (const reveal of submitted) assert.ok(reveal.blockNumber > lastClaim, "revealed after every commitment");
    assert.equal(submitted.length, 2);
    assert.deepEqual(new Set(submitted.map((e) => e.args.workerId)), new Set([a.workerId, b.workerId]));
    const [first, second] = submitted.map((e) => e.args);
    assert.ok(first && second);
    assert.equal(first.outputHash, second.outputHash, "the workers agree");
    assert.equal(first.inlineOutput, second.inlineOutput, "bit for bit");
    const inline = Buffer.from((first.inlineOutput ?? "0x").slice(2), "hex");
    assert.equal(sha256(inline), first.outputHash);
    const output = JSON.parse(inline.toString("utf8")) as { text: string };
    assert.deepEqual(Object.keys(output), ["text"]);
    assert.match(output.text, /INVOICE 2026-0042/);
    assert.match(output.text, /Total due: 1,250\.00 FOLD/);
    // Each worker serves the output at the URI it put on-chain; the body hashes to the outputHash; the metadata
    // names the pinned core.
    for (const event of submitted) {
      const response = await fetch(event.args.outputURI ?? "");
      assert.equal(response.status, 200);
      assert.equal(sha256(new Uint8Array(await response.arrayBuffer())), first.outputHash);
      const metadata = (await (await fetch(`${event.args.outputURI}/metadata`)).json()) as {
        modelHash: Hex;
        runtime: { core: string };
      };
      assert.equal(metadata.modelHash, modelHash);
      assert.match(metadata.runtime.core, /tesseract-core-simd-lstm$/);
    }
    for (const worker of [workerA, workerB]) {
      const health = await fetch(`${healthUrl(worker)}/healthz`);
      assert.equal(health.status, 200);
      const metrics = await (await fetch(`${healthUrl(worker)}/metrics`)).text();
      assert.match(metrics, /^fourfold_results_revealed_total 1$/m);
      assert.match(metrics, /^fourfold_model_seconds_count\{backend="tesseract"\} 1$/m);
    }

    // After the window, a worker finalizes: both are paid, the model owner gets its fee, the requester the rest,
    // and the consumer acts on the text.
    await grid.advanceTime(3_601);
    const finalized = await eventually(
      "the job finalized by a worker",
      async () => {
        const events = await client.getContractEvents({
          ...contracts.jobs,
          eventName: "JobFinalized",
          args: { jobId },
          fromBlock: 0n,
        });
        return events[0];
      },
      30_000,
    );
    assert.equal(finalized.args.outputHash, first.outputHash);
    assert.equal(finalized.args.paid, 2n * PRICE);
    const fee = PRICE / 10n;
    for (const who of [alice, bob]) {
      const earned = await client.readContract({
        ...contracts.jobs,
        functionName: "earned",
        args: [who.account.address],
      });
      assert.equal(earned, PRICE - fee);
    }
    assert.equal(
      await client.readContract({ ...contracts.jobs, functionName: "earned", args: [modelOwner.account.address] }),
      2n * fee,
    );
    const requesterAfter = await client.readContract({
      ...contracts.token,
      functionName: "balanceOf",
      args: [requester.account.address],
    });
    assert.equal(requesterBefore - requesterAfter, 2n * PRICE, "escrowed 2 x 3 FOLD, refunded 2 x 1");
    const settled = (await client.readContract({
      address: verifier.address,
      abi: verifier.abi,
      functionName: "caseOf",
      args: [jobId],
    })) as { state: number; outputHash: Hex };
    assert.equal(settled.state, CaseState.Verified);
    assert.equal(settled.outputHash, first.outputHash);

    // Ctrl-C: both stop cleanly.
    workerA.child.kill("SIGINT");
    workerB.child.kill("SIGINT");
    assert.deepEqual(await workerA.exited, { code: 0, signal: null }, workerA.output());
    assert.deepEqual(await workerB.exited, { code: 0, signal: null }, workerB.output());
  });

  it("a worker killed (SIGKILL) between claim and reveal completes the job once after a restart", async () => {
    proxy = await startRpcProxy(rpcUrl, await freePort());
    const rpc = proxy.url;
    // 1. Killed while its reveal never reached the chain.
    proxy.hold = isReveal;
    const held = new Promise<HeldRequest>((resolve) => {
      if (proxy) proxy.onHold = resolve;
    });
    let worker = await startWorker("alice", setup.keyFiles[0], { rpc });
    const png = renderDocument(["CLAIM NUMBER 7781", "Water damage, kitchen"]);
    documents.set("/claim.png", png);
    const first = await requestOcr({ uri: `${filesUrl}/claim.png`, hash: sha256(png) });
    const request = await held;
    worker.child.kill("SIGKILL");
    assert.equal((await worker.exited).signal, "SIGKILL");
    request.drop();
    proxy.hold = undefined;
    const stalled = await jobOf(first);
    assert.equal(stalled.state, JobState.Revealing);
    assert.equal(stalled.committed, 1);
    assert.equal(stalled.revealed, 0);
    worker = await startWorker("alice", setup.keyFiles[0], { rpc });
    await inState(first, JobState.Proposed);
    assert.equal(await count("JobClaimed", first), 1, "claimed once");
    assert.equal(await count("ResultRevealed", first), 1, "revealed once");

    // 2. Killed after its reveal was mined but before it heard so: on restart, the result already on-chain counts as
    // revealed (nothing is sent twice).
    let killed: Promise<unknown> | undefined;
    proxy.onForwarded = (method, params) => {
      if (killed === undefined && isReveal(method, params)) {
        worker.child.kill("SIGKILL");
        killed = worker.exited;
      }
    };
    const second = await requestOcr({ uri: `${filesUrl}/claim.png`, hash: sha256(png) });
    await eventually("the worker killed after revealing", async () => killed);
    await killed;
    proxy.onForwarded = undefined;
    assert.equal((await jobOf(second)).state, JobState.Proposed);
    worker = await startWorker("alice", setup.keyFiles[0], { rpc });
    await worker.until(
      new RegExp(`"jobId":"?${second}"?[^\n]*"msg":"job finalized"|"msg":"inference role running"`),
      5_000,
    );
    await grid.advanceTime(3_601);
    await inState(first, JobState.Final, 30_000);
    await inState(second, JobState.Final, 30_000);
    assert.equal(await count("ResultRevealed", second), 1, "revealed once");
    const { locked } = await grid.client.readContract({
      ...grid.contracts.jobs,
      functionName: "worker",
      args: [setup.a.workerId],
    });
    assert.equal(locked, 0n, "no collateral left locked");
    worker.child.kill("SIGINT");
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it("rides out its RPC endpoint being down for 20 s, without a crash loop", async () => {
    assert.ok(proxy);
    const worker = await startWorker("alice", setup.keyFiles[0], { rpc: proxy.url });
    const pid = worker.child.pid;
    proxy.down = true;
    const png = renderDocument(["OUTAGE REPORT 12"]);
    documents.set("/outage.png", png);
    const jobId = await requestOcr({ uri: `${filesUrl}/outage.png`, hash: sha256(png) });
    const downAt = Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20_000));
    proxy.down = false;
    const retries = worker.output().match(/RPC unavailable; retrying/g)?.length ?? 0;
    assert.ok(retries >= 3, `the worker retried (${retries} times)`);
    assert.ok(retries <= 20, `with backoff, not in a tight loop (${retries} retries in ${Date.now() - downAt} ms)`);
    assert.equal(worker.child.exitCode, null, "still running");
    assert.equal(worker.child.pid, pid);
    await inState(jobId, JobState.Proposed, 60_000);
    assert.equal(await count("ResultRevealed", jobId), 1);
    worker.child.kill("SIGINT");
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it("never claims malformed input or input that fails its hash check; the requester gets the escrow back", async () => {
    const worker = await startWorker("alice", setup.keyFiles[0]);
    const balance = () =>
      grid.client.readContract({
        ...grid.contracts.token,
        functionName: "balanceOf",
        args: [setup.requester.account.address],
      });
    const lockedNow = async () =>
      (
        await grid.client.readContract({
          ...grid.contracts.jobs,
          functionName: "worker",
          args: [setup.a.workerId],
        })
      ).locked;
    const before = await balance();
    const lockedBefore = await lockedNow();
    const notAnImage = new TextEncoder().encode("this is a text file, not a scanned document");
    const malformed = await requestOcr({ inline: notAnImage, hash: sha256(notAnImage) });
    const png = renderDocument(["SWAPPED DOCUMENT"]);
    documents.set("/swapped.png", png);
    const mismatched = await requestOcr({ uri: `${filesUrl}/swapped.png`, hash: sha256("another document") });
    await worker.until(new RegExp(`"jobId":"?${malformed}"?[^\n]*"reason":"InputMalformed"`), 60_000);
    await worker.until(new RegExp(`"jobId":"?${mismatched}"?[^\n]*"reason":"InputHashMismatch"`), 60_000);
    const metrics = await (await fetch(`${healthUrl(worker)}/metrics`)).text();
    assert.match(metrics, /^fourfold_jobs_refused_total\{reason="InputMalformed"\} 1$/m);
    assert.match(metrics, /^fourfold_jobs_refused_total\{reason="InputHashMismatch"\} 1$/m);
    for (const jobId of [malformed, mismatched]) {
      assert.equal(await count("JobClaimed", jobId), 0, `job ${jobId} never claimed`);
      assert.equal((await jobOf(jobId)).state, JobState.Open);
    }
    // Past their deadline, anyone closes their commit phase: nobody claimed them, so they are refunded whole.
    await grid.advanceTime(7_201);
    for (const jobId of [malformed, mismatched]) {
      await grid.call(setup.requester, grid.contracts.jobs, "closeCommits", [jobId]);
      assert.equal((await jobOf(jobId)).state, JobState.Refunded);
    }
    assert.equal(await balance(), before, "both escrows refunded whole");
    assert.equal(await lockedNow(), lockedBefore, "nothing was locked");
    worker.child.kill("SIGINT");
    assert.deepEqual(await worker.exited, { code: 0, signal: null });
  });

  it("with concurrency 2, claims jobs together in one multicall; a stake that backs one claim only is waited on", async () => {
    const png = renderDocument(["BATCH 1"]);
    documents.set("/batch.png", png);
    const ocr = () => requestOcr({ uri: `${filesUrl}/batch.png`, hash: sha256(png) });
    // bob's worker has all of its 3 x minStake free. Two jobs requested while it is stopped are claimed together.
    const [one, two] = [await ocr(), await ocr()];
    let worker = await startWorker("bob", setup.keyFiles[1], { concurrency: 2 });
    await inState(one, JobState.Proposed);
    await inState(two, JobState.Proposed);
    const [claimOne, claimTwo] = [(await events("JobClaimed", one))[0], (await events("JobClaimed", two))[0]];
    assert.equal(claimOne?.transactionHash, claimTwo?.transactionHash, "both claims in one transaction");
    const batch = await grid.client.getTransaction({ hash: claimOne?.transactionHash as Hex });
    assert.equal(batch.input.slice(0, 10), toFunctionSelector("multicall(bytes[])"));
    worker.child.kill("SIGINT");
    assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.output());

    // Now a third of its stake is free: of two more jobs, each claimable alone, one is claimed and the other waits
    // until the first two are finalized and their collateral unlocked.
    const [three, four] = [await ocr(), await ocr()];
    worker = await startWorker("bob", setup.keyFiles[1], { concurrency: 2 });
    await inState(three, JobState.Proposed);
    await worker.until(/free stake below minStake/, 10_000);
    assert.equal((await jobOf(four)).committed, 0, "the fourth job waits");
    await grid.advanceTime(3_601);
    await inState(one, JobState.Final, 30_000);
    await inState(four, JobState.Proposed, 60_000);
    for (const jobId of [one, two, three, four]) {
      assert.equal(await count("JobClaimed", jobId), 1, `job ${jobId} claimed once`);
      assert.equal(await count("ResultRevealed", jobId), 1, `job ${jobId} revealed once`);
    }
    worker.child.kill("SIGINT");
    assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.output());
  });
});
