// The inference role end to end, on a real local chain (scripts/start.ts on a port this test chose) with the real
// worker program: a requester asks for OCR of a PNG this test renders, two worker processes run tesseract, claim it
// with commitments to their signed results, and reveal results that agree bit for bit once both are committed; after
// the challenge window the job is finalized, both are paid and the example consumer (DocumentVerifier) acts on the
// text. Then the faults: a worker killed with SIGKILL before its reveal reached the chain, or after it was mined,
// completes the job exactly once after a restart; an RPC endpoint down for 20 s is ridden out without a crash;
// malformed input and input that fails its hash check are never claimed (the job is refunded when its commit phase
// closes). And batching: a worker with concurrency 2 claims two jobs in one multicall, and waits for stake it lacks.
// Then disputes, settled by re-running the job: a lying worker (./support/lying-worker.ts, the real role with forged
// outputs) outvoted 2 to 1 challenges, and loses its collateral and bond when a committee drawn from two more workers
// re-runs the OCR; an honest worker that found a job's place taken by the liar challenges its proposal and wins. A
// committee member killed (SIGKILL) while its commitment is in flight, or just after its reveal was mined, does its
// part exactly once after a restart.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
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

const JobState = { Open: 1, Revealing: 2, Proposed: 3, Disputed: 4, Final: 5, Refunded: 7 } as const;
const ClaimState = { Drawn: 1, Slashed: 5 } as const;
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
    options: { rpc?: string; concurrency?: number; lying?: boolean } = {},
  ): Promise<Running> {
    const worker = await spawnInferenceWorker({
      stateDir: path.join(dir, name),
      keyFile,
      rpcUrl: options.rpc ?? rpcUrl,
      concurrency: options.concurrency,
      logLevel: "debug",
      lying: options.lying,
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
  type JobEvent = "JobClaimed" | "ResultRevealed" | "MemberCommitted" | "JobDisputed" | "CommitteeDrawn";
  const events = <E extends JobEvent>(eventName: E, jobId: bigint) =>
    grid.client.getContractEvents({
      ...grid.contracts.jobs,
      eventName,
      args: { jobId } as never,
      fromBlock: 0n,
    });
  const count = async (eventName: JobEvent, jobId: bigint) => (await events(eventName, jobId)).length;
  /** The first `eventName` event of the job, once there is one. */
  const firstEvent = <E extends JobEvent | "RoundDecided" | "PotShared" | "WorkerSlashed" | "BondForfeited">(
    eventName: E,
    jobId: bigint,
    timeoutMs = 60_000,
  ) =>
    eventually(
      `${eventName} for job ${jobId}`,
      async () =>
        (
          await grid.client.getContractEvents({
            ...grid.contracts.jobs,
            eventName,
            args: { jobId } as never,
            fromBlock: 0n,
          })
        )[0],
      timeoutMs,
    );
  const inState = (jobId: bigint, state: number, timeoutMs = 60_000) =>
    eventually(
      `job ${jobId} in state ${state}`,
      async () => ((await jobOf(jobId)).state === state ? true : undefined),
      timeoutMs,
    );
  const revealSelector = toFunctionSelector("revealResult(uint256,uint256,bytes32,bytes32,string,bytes,bytes)");
  const multicallSelector = toFunctionSelector("multicall(bytes[])");
  /** Whether a request sends a transaction calling `selector` (alone, or in a multicall). */
  const sends = (selector: Hex) => (method: string, params: unknown[]) => {
    if (method !== "eth_sendRawTransaction") return false;
    const data = parseTransaction(params[0] as Hex).data ?? "0x";
    return data.startsWith(selector) || (data.startsWith(multicallSelector) && data.includes(selector.slice(2)));
  };
  const isReveal = sends(revealSelector);
  const isMemberCommit = sends(toFunctionSelector("commitResult(uint256,uint256,bytes32)"));

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

  /** Three more workers (carol, whose program lies; dave and erin, honest), registered once for the dispute tests. */
  let more: Promise<{ c: Extra; d: Extra; e: Extra; bond: bigint }> | undefined;
  type Extra = { workerId: bigint; keyFile: string; address: Hex; owner: Hex };
  const moreWorkers = () => {
    more ??= (async () => {
      const stake = 3n * setup.minStake;
      const made: Extra[] = [];
      for (const [i, name] of [
        [5, "carol"],
        [6, "dave"],
        [7, "erin"],
      ] as const) {
        const owner = grid.wallet(i);
        const w = await grid.registerWorker(owner, `worker-${name}`, [setup.modelId], PRICE, stake);
        const keyFile = path.join(dir, `${name}.key`);
        await writeFile(keyFile, w.key.key, { mode: 0o600 });
        made.push({
          workerId: w.workerId,
          keyFile,
          address: w.key.address,
          owner: owner.account.address,
        });
      }
      const bond = await grid.client.readContract({ ...grid.contracts.jobs, functionName: "challengeBond" });
      const [c, d, e] = made as [Extra, Extra, Extra];
      return { c, d, e, bond };
    })();
    return more;
  };
  const read = {
    claim: (jobId: bigint, entry: bigint) =>
      grid.client.readContract({ ...grid.contracts.jobs, functionName: "claim", args: [jobId, entry] }),
    worker: (workerId: bigint) =>
      grid.client.readContract({ ...grid.contracts.jobs, functionName: "worker", args: [workerId] }),
    earned: (account: Hex) =>
      grid.client.readContract({ ...grid.contracts.jobs, functionName: "earned", args: [account] }),
  };
  /** The local chain mines only on transactions: the committee is drawn from the block after the challenge's. */
  const mineBlocks = async (n: number) => {
    for (let i = 0; i < n; i++) await grid.client.request({ method: "evm_mine" as never, params: [] as never });
  };
  /** Kills what an earlier test left running when it failed. */
  const killLeftovers = async () => {
    for (const worker of workers) {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) continue;
      worker.child.kill("SIGKILL");
      await worker.exited;
    }
  };
  const stop = async (...running: Running[]) => {
    for (const worker of running) {
      if (worker.child.exitCode !== null || worker.child.signalCode !== null) continue;
      worker.child.kill("SIGINT");
      assert.deepEqual(await worker.exited, { code: 0, signal: null }, worker.output());
    }
  };
  /** dave and erin, each behind its own RPC proxy (to hold or watch its transactions). */
  async function startCommittee(d: Extra, e: Extra) {
    const proxies = {
      dave: await startRpcProxy(rpcUrl, await freePort()),
      erin: await startRpcProxy(rpcUrl, await freePort()),
    };
    const running = {
      dave: await startWorker("dave", d.keyFile, { rpc: proxies.dave.url }),
      erin: await startWorker("erin", e.keyFile, { rpc: proxies.erin.url }),
    };
    return { proxies, running };
  }

  it("a liar outvoted 2 to 1 challenges; a committee drawn from two more workers re-runs the OCR and slashes it", async () => {
    await killLeftovers();
    const { c, d, e, bond } = await moreWorkers();
    const { minStake, a, b } = setup;
    // Every earlier job's window is over, so the liar finds nothing else to challenge; its key holds one bond.
    await grid.advanceTime(7_201);
    await grid.call(grid.deployer, grid.contracts.token, "transfer", [c.address, bond]);
    const alice = await startWorker("alice", setup.keyFiles[0]);
    const bob = await startWorker("bob", setup.keyFiles[1]);
    const carol = await startWorker("carol", c.keyFile, { lying: true });
    const png = renderDocument(["RECEIPT 5531", "Amount: 420.00 FOLD"]);
    documents.set("/receipt.png", png);
    const jobId = await requestOcr({ uri: `${filesUrl}/receipt.png`, hash: sha256(png), redundancy: 3 });

    // The three reveal; two agree and are proposed; the liar, believing its output, challenges with its bond.
    const disputed = await firstEvent("JobDisputed", jobId, 120_000).catch(async (error: Error) => {
      const job = await jobOf(jobId);
      const problems = [alice, bob, carol].map((w) =>
        w
          .output()
          .split("\n")
          .filter((line) => /"level":[456]0|failed/.test(line))
          .map((line) => line.slice(0, 600))
          .join("\n"),
      );
      throw new Error(
        `${error.message}: job ${job.state} ${job.committed}/${job.revealed}\n${problems.join("\n--\n")}`,
      );
    });
    assert.equal(disputed.args.challenger, c.address);
    assert.equal(disputed.args.bond, bond);
    const reveals = await events("ResultRevealed", jobId);
    assert.equal(reveals.length, 3);
    const byWorker = new Map(reveals.map((r) => [r.args.workerId, r.args.outputHash]));
    const honest = byWorker.get(a.workerId);
    assert.equal(byWorker.get(b.workerId), honest);
    assert.notEqual(byWorker.get(c.workerId), honest, "the liar revealed another output");
    assert.match(
      await carol.until(/"msg":"challenged: a re-execution round is open"/, 5_000).then((m) => m[0]),
      /challenged/,
    );

    // dave and erin start; whichever is drawn is killed while its commitment is held, then restarted.
    const { proxies, running } = await startCommittee(d, e);
    let held: { name: "dave" | "erin"; drop(): void } | undefined;
    for (const name of ["dave", "erin"] as const) {
      proxies[name].hold = isMemberCommit;
      proxies[name].onHold = (request) => {
        held = { name, drop: request.drop };
      };
    }
    await mineBlocks(2);
    const drawn = await firstEvent("CommitteeDrawn", jobId, 30_000);
    const memberId = drawn.args.workerIds?.[0];
    const entry = drawn.args.firstEntry as bigint;
    assert.equal(entry, 3n, "the seat follows the three claims");
    assert.ok(memberId === d.workerId || memberId === e.workerId, "drawn from the two workers that are not the job's");
    const name = memberId === d.workerId ? "dave" : "erin";
    const holding = await eventually("the member's commitment held", async () => held);
    assert.equal(holding.name, name);
    running[name].child.kill("SIGKILL");
    await running[name].exited;
    holding.drop();
    proxies[name].hold = undefined;
    assert.equal((await read.claim(jobId, entry)).state, ClaimState.Drawn, "nothing reached the chain");
    running[name] = await startWorker(name, name === "dave" ? d.keyFile : e.keyFile, { rpc: proxies[name].url });

    // The member re-runs the OCR, commits, reveals: the proposal stands, the liar loses its collateral and bond.
    const decided = await firstEvent("RoundDecided", jobId, 60_000);
    assert.deepEqual([decided.args.outputHash, decided.args.votes, decided.args.upheld], [honest, 1n, false]);
    assert.equal(await count("MemberCommitted", jobId), 1, "committed once");
    const memberReveals = (await events("ResultRevealed", jobId)).filter((r) => r.args.entry === entry);
    assert.equal(memberReveals.length, 1, "revealed once");
    assert.equal(memberReveals[0]?.args.outputHash, honest);
    const slashed = await firstEvent("WorkerSlashed", jobId);
    assert.deepEqual([slashed.args.workerId, slashed.args.amount, slashed.args.silent], [c.workerId, minStake, false]);
    const forfeited = await firstEvent("BondForfeited", jobId);
    assert.deepEqual([forfeited.args.challenger, forfeited.args.amount], [c.address, bond]);
    const shared = await firstEvent("PotShared", jobId);
    const member = name === "dave" ? d : e;
    assert.equal(shared.args.amount, bond + minStake);
    // Those who matched the verdict: the two original workers (in the order they claimed), then the member.
    const [first, second, third] = shared.args.parties ?? [];
    assert.deepEqual(new Set([first, second]), new Set([setup.alice.account.address, setup.bob.account.address]));
    assert.equal(third, member.owner);
    await inState(jobId, JobState.Final, 30_000);
    const liarsClaim = (await events("JobClaimed", jobId)).find((claim) => claim.args.workerId === c.workerId);
    assert.equal((await read.claim(jobId, liarsClaim?.args.entry ?? 99n)).state, ClaimState.Slashed);
    assert.deepEqual(
      [(await read.worker(c.workerId)).stake, (await read.worker(c.workerId)).locked],
      [2n * minStake, 0n],
      "the liar lost one collateral; nothing is left locked",
    );
    assert.equal((await read.worker(member.workerId)).locked, 0n, "the seat is released");
    const metrics = await (await fetch(`${healthUrl(running[name])}/metrics`)).text();
    assert.match(metrics, /^fourfold_committee_seats_total 1$/m);
    await stop(alice, bob, carol, running.dave, running.erin);
    await proxies.dave.close();
    await proxies.erin.close();
  });

  it("an honest worker whose place the liar took challenges the lie and wins; the requester is refunded whole", async () => {
    await killLeftovers();
    const { c, d, e, bond } = await moreWorkers();
    const { minStake, a, b } = setup;
    // bob is paused (it neither claims nor sits on committees); alice starts once the liar's result is proposed.
    await grid.call(setup.bob, grid.contracts.jobs, "setWorkerPaused", [b.workerId, true]);
    const carol = await startWorker("carol", c.keyFile, { lying: true });
    const png = renderDocument(["DELIVERY NOTE 88", "3 pallets"]);
    documents.set("/delivery.png", png);
    const jobId = await requestOcr({ uri: `${filesUrl}/delivery.png`, hash: sha256(png) });
    await inState(jobId, JobState.Proposed, 60_000);
    const [claim] = await events("JobClaimed", jobId);
    assert.equal(claim?.args.workerId, c.workerId, "the liar took the only place");

    // alice computes the job, finds it taken and the proposal contradicting her output, and challenges.
    await grid.call(grid.deployer, grid.contracts.token, "transfer", [a.key.address, bond]);
    const alice = await startWorker("alice", setup.keyFiles[0]);
    const disputed = await firstEvent("JobDisputed", jobId, 60_000);
    assert.equal(disputed.args.challenger, a.key.address);

    // The committee: not the liar (the job's worker), not alice (the challenger), not bob (paused). Its member is
    // killed just after its reveal was mined, and restarted: nothing is sent twice.
    const { proxies, running } = await startCommittee(d, e);
    const killed: Partial<Record<"dave" | "erin", Promise<unknown>>> = {};
    for (const name of ["dave", "erin"] as const) {
      proxies[name].onForwarded = (method, params) => {
        if (killed[name] === undefined && isReveal(method, params)) {
          running[name].child.kill("SIGKILL");
          killed[name] = running[name].exited;
        }
      };
    }
    await mineBlocks(2);
    const drawn = await firstEvent("CommitteeDrawn", jobId, 30_000);
    const memberId = drawn.args.workerIds?.[0];
    assert.ok(memberId === d.workerId || memberId === e.workerId);
    const name = memberId === d.workerId ? "dave" : "erin";
    const member = name === "dave" ? d : e;
    await eventually("the member killed after revealing", async () => killed[name]);
    await killed[name];
    proxies[name].onForwarded = undefined;
    running[name] = await startWorker(name, member.keyFile, { rpc: proxies[name].url });

    // The verdict overturns the lie: the liar is slashed, alice has her bond back and shares the slash with the
    // member, and the requester (whose only worker was wrong) gets its whole escrow back.
    const decided = await firstEvent("RoundDecided", jobId, 60_000);
    assert.equal(decided.args.upheld, true);
    assert.notEqual(decided.args.outputHash, (await read.claim(jobId, 0n)).outputHash);
    const slashed = await firstEvent("WorkerSlashed", jobId);
    assert.deepEqual([slashed.args.workerId, slashed.args.amount, slashed.args.silent], [c.workerId, minStake, false]);
    const shared = await firstEvent("PotShared", jobId);
    assert.equal(shared.args.amount, minStake);
    assert.deepEqual(shared.args.parties, [member.owner, a.key.address]);
    await inState(jobId, JobState.Refunded, 30_000);
    assert.equal(await read.earned(a.key.address), bond + minStake / 2n, "the bond back and half the slash");
    const [refunded] = await grid.client.getContractEvents({
      ...grid.contracts.jobs,
      eventName: "JobRefunded",
      args: { jobId },
      fromBlock: 0n,
    });
    assert.equal(refunded?.args.refund, MAX_FEE, "the escrow refunded whole");
    const transfers = await grid.client.getContractEvents({
      ...grid.contracts.token,
      eventName: "Transfer",
      args: { to: setup.requester.account.address },
      blockHash: refunded?.blockHash,
    });
    assert.deepEqual(
      transfers.map((t) => t.args.value),
      [MAX_FEE],
      "to the requester, in the verdict's transaction",
    );
    assert.equal(await count("MemberCommitted", jobId), 1, "committed once");
    assert.equal((await events("ResultRevealed", jobId)).filter((r) => r.args.entry === 1n).length, 1, "revealed once");
    const metrics = await (await fetch(`${healthUrl(alice)}/metrics`)).text();
    assert.match(metrics, /^fourfold_jobs_challenged_total 1$/m);
    await grid.call(setup.bob, grid.contracts.jobs, "setWorkerPaused", [b.workerId, false]);
    await stop(alice, carol, running.dave, running.erin);
    await proxies.dave.close();
    await proxies.erin.close();
  });
});
