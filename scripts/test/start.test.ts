// `npm start` end to end: the real script on ports and a state directory this test chose, a real chain, the real
// Ignition deployment, the demo seeded with its node agents and inference workers, the indexer and the dApp; the
// `fourfold` CLI against it; and Ctrl-C.
import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { launchChromium, noChromium } from "../../app/test/support/browser.ts";
import FourfoldModule from "../../deploy/modules/Fourfold.ts";
import { assertPortFree, rpcChainId } from "../lib/processes.ts";
import { freePort, listProcesses, processesMentioning, runNode } from "./support.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const START = path.join(ROOT, "scripts", "start.ts");
const CLI = path.join(ROOT, "worker", "src", "cli", "main.ts");

/** Runs scripts/start.ts and collects its output. */
function runStart(env: NodeJS.ProcessEnv) {
  return runNode([START], { cwd: ROOT, env });
}

/** A port whose next port is free too (the demo's two inference workers). */
async function freePortPair(): Promise<number> {
  for (;;) {
    const port = await freePort();
    if (
      port < 65_535 &&
      (await assertPortFree(port + 1).then(
        () => true,
        () => false,
      ))
    )
      return port;
  }
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  return ((await response.json()) as { result: unknown }).result;
}

/** Polls `check` every 250 ms until it returns a value other than undefined; fails after `timeoutMs`. */
async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `${what}: not within ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

describe("npm start", () => {
  const children: ChildProcess[] = [];
  after(() => {
    for (const child of children) if (child.exitCode === null) child.kill("SIGKILL");
  });

  it("runs the whole demo grid: every contract deployed, 12 demo nodes online on Explore, an OCR job through the CLI final, and nothing left after Ctrl-C", async () => {
    const port = await freePort();
    const indexerPort = await freePort();
    const appPort = await freePort();
    const workerPort = await freePortPair();
    const state = await mkdtemp(path.join(os.tmpdir(), "fourfold-start-"));
    const url = `http://127.0.0.1:${port}`;
    const run = runStart({
      FOURFOLD_RPC_PORT: String(port),
      FOURFOLD_INDEXER_PORT: String(indexerPort),
      FOURFOLD_APP_PORT: String(appPort),
      FOURFOLD_WORKER_PORT: String(workerPort),
      FOURFOLD_STATE_DIR: state,
    });
    children.push(run.child);
    try {
      // Deployed and generated/ written (the demo is seeded next) within 60 s of the chain starting. Compiling comes
      // first and is not bounded here: from a fresh clone it takes about 85 s on 2 cores (soljson, three contracts
      // through the IR pipeline), and nothing at all once compiled. bench:start measures a fresh clone's start.
      const at = async (step: RegExp) => Number((await run.until(step, 300_000))[1]);
      const chainStarted = await at(/\[ *([\d.]+) s\] starting the chain/);
      const deployed = await at(/\[ *([\d.]+) s\] seeding the demo/);
      console.log(`# npm start: compiled in ${chainStarted} s, deployed in ${(deployed - chainStarted).toFixed(1)} s`);
      assert.ok(deployed - chainStarted < 60, `deploying took ${deployed - chainStarted} s`);
      await run.until(/Press Ctrl-C to stop/, 300_000);
      assert.match(run.output(), new RegExp(`Chain 31337 at ${url}`));
      const printed = Object.fromEntries(
        [...run.output().matchAll(/^ {2}(\w+) +(0x[0-9a-fA-F]{40}) {2}\(block (\d+)\)$/gm)].map((m) => [m[1], m[2]]),
      );
      const moduleContracts = Object.values(FourfoldModule.results).map((future) => future.contractName);
      assert.ok(moduleContracts.length >= 4);
      assert.deepEqual(Object.keys(printed).sort(), moduleContracts.sort());

      // generated/ holds the same addresses and every contract's ABI, and the chain has code at each address.
      const generated = await import(
        `${pathToFileURL(path.join(ROOT, "generated/src/index.ts")).href}?t=${Date.now()}`
      );
      for (const [name, address] of Object.entries(printed)) {
        assert.equal(generated.deploymentsOn(31337)[name].address, address);
        assert.ok(Array.isArray(generated.abis[name]) && generated.abis[name].length > 0, `${name} ABI`);
        const code = (await rpc(url, "eth_getCode", [address, "latest"])) as string;
        assert.ok(code.length > 2, `no code at ${name} ${address}`);
      }

      // The demo: three farms of four nodes, two models, two datasets, two funded users, as printed.
      assert.match(
        run.output(),
        /farm Lowlands +nodes #1, #2, #3, #4\n +farm Nordic +nodes #5, #6, #7, #8\n +farm Pacific +nodes #9, #10, #11, #12/,
      );
      assert.match(
        run.output(),
        /model #1 tesseract eng, served by 2 workers\n +model #2 fastText lid\.176, served by 2 workers/,
      );
      assert.match(run.output(), /dataset #1 .*approved automatically\n +dataset #2 /);
      const user = run.output().match(/#9 (0x[0-9a-fA-F]{40}) +key (0x[0-9a-f]{64})/);
      assert.ok(user, "demo user #9 printed with its key");
      assert.match(
        run.output(),
        new RegExp(
          `Metrics: http://127\\.0\\.0\\.1:${indexerPort}/metrics, http://127\\.0\\.0\\.1:${workerPort}/metrics, http://127\\.0\\.0\\.1:${workerPort + 1}/metrics`,
        ),
      );
      for (const metrics of [`http://127.0.0.1:${workerPort}/metrics`, `http://127.0.0.1:${workerPort + 1}/metrics`]) {
        assert.equal((await fetch(metrics)).status, 200, metrics);
      }

      // The indexer serves GraphQL at the printed URL and has every demo node, online.
      const graphql = `http://127.0.0.1:${indexerPort}/graphql`;
      assert.match(run.output(), new RegExp(`Indexer GraphQL at ${graphql.replaceAll(".", "\\.")}`));
      const response = await fetch(graphql, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({
          query: "{ nodes { totalCount } farms { totalCount } datasets { totalCount } models { totalCount } }",
        }),
      });
      const counts = ((await response.json()) as { data: Record<string, { totalCount: number }> }).data;
      assert.deepEqual(Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v.totalCount])), {
        nodes: 12,
        farms: 3,
        datasets: 2,
        models: 2,
      });
      const online = (await (await fetch(`http://127.0.0.1:${indexerPort}/nodes?online=true`)).json()) as {
        total: number;
        nodes: { region: string }[];
      };
      assert.equal(online.total, 12);
      assert.deepEqual([...new Set(online.nodes.map((n) => n.region))].sort(), [
        "ap-northeast",
        "ap-southeast",
        "eu-central",
        "eu-north",
        "eu-west",
        "us-east",
        "us-west",
      ]);

      // The dApp serves Explore at the printed URL, against this chain and indexer: in a browser, it lists the 12
      // demo nodes online, the Lowlands farm's four certified.
      const appUrl = `http://127.0.0.1:${appPort}`;
      assert.match(run.output(), new RegExp(`dApp at ${appUrl.replaceAll(".", "\\.")} `));
      const skipBrowser = noChromium();
      if (skipBrowser) {
        console.log(`# the Explore page is not checked in a browser: ${skipBrowser}`);
        assert.match(await (await fetch(appUrl)).text(), /<title>Fourfold<\/title>/);
      } else {
        const browser = await launchChromium();
        try {
          const page = await browser.newPage();
          await page.goto(appUrl);
          const rows = page.getByTestId("node-list").locator("tbody tr");
          await rows.nth(11).waitFor({ timeout: 30_000 });
          assert.equal(await rows.count(), 12);
          assert.equal(await rows.filter({ hasText: "Online" }).count(), 12);
          // The demo's certifier audited the Lowlands farm's four nodes (#1 to #4), and only those.
          assert.equal(await rows.filter({ hasText: "certified" }).count(), 4);
          for (const n of [1, 2, 3, 4]) {
            assert.match((await rows.nth(n - 1).textContent()) ?? "", /certified/, `node #${n} is certified`);
          }
          await page.screenshot({
            path: path.join(ROOT, "app", "test", "screenshots", "demo-explore.png"),
            fullPage: true,
          });
        } finally {
          await browser.close();
        }
      }

      // As demo user #9: a lease on node #5, served by its agent's http-echo workload, and an OCR job through the CLI
      // (a scan too large for the chain goes to the dApp's blob store). While the lease runs and a worker holds a
      // claim on the job, both the node's agent and that worker are killed (SIGKILL): `npm start` restarts them, the
      // agent takes its workload back and the worker reveals what it committed, and nothing is done twice.
      const keyFile = path.join(state, "user-9.key");
      await writeFile(keyFile, user[2], { mode: 0o600 });
      const cli = async (...args: string[]) => {
        const running = runNode([CLI, "--rpc-url", url, "--key-file", keyFile, "--json", ...args], { cwd: ROOT });
        const { code } = await running.exited;
        assert.equal(code, 0, `fourfold ${args.join(" ")}: ${running.output()}`);
        return JSON.parse(running.output().slice(running.output().indexOf("{"))) as Record<string, unknown>;
      };
      const opened = await cli(
        "lease",
        "open",
        "--node",
        "5",
        "--as",
        "demo-cli",
        "--cpu",
        "1",
        "--memory-mib",
        "128",
        "--hours",
        "2",
        "--template",
        "http-echo",
        "--param",
        "message=still here",
      );
      const leaseId = String(opened.leaseId);
      const leased = await until("the lease is acknowledged", 60_000, async () => {
        const status = await cli("lease", "status", leaseId);
        return status.state === "Active" && typeof status.endpoint === "string" ? status.endpoint : undefined;
      });
      const echo = async () =>
        (await fetch(leased, { signal: AbortSignal.timeout(2_000) }).then((r) => r.json())) as { message: string };
      assert.equal((await echo()).message, "still here");
      // The workloads of this lease: processes the agent `agent` started for it (FOURFOLD_LEASE=<agent>:<lease>),
      // its children, so that no other grid's workload on this machine counts.
      const workloads = async (agent: number) =>
        (await listProcesses()).filter(
          (p) =>
            p.ppid === agent &&
            p.environ.some((e) => e.startsWith("FOURFOLD_LEASE=") && e.endsWith(`:${leaseId}`)) &&
            p.environ.includes(`FOURFOLD_LEASE_ID=${leaseId}`),
        );
      /** The processes of `npm run worker` whose state directory is `stateDir` (one, unless it is restarting). */
      const pidsOf = async (stateDir: string) =>
        (await listProcesses())
          .filter(
            (p) => p.cmdline.includes("worker/src/main.ts") && `${p.cmdline} `.includes(`--state-dir ${stateDir} `),
          )
          .map((p) => p.pid);
      const pidOf = async (stateDir: string) => {
        const found = await pidsOf(stateDir);
        assert.equal(found.length, 1, `one process serves ${stateDir}: ${found.join(", ")}`);
        return found[0] as number;
      };
      /** Whether `pid` runs (a zombie, dead but not yet reaped by its new parent, does not). */
      const alive = async (pid: number) => {
        const stat = await readFile(`/proc/${pid}/stat`, "latin1").catch(() => "");
        return stat !== "" && stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
      };
      const agentDir = path.join(state, "demo", "agents", "node-5");
      const agentPid = await pidOf(agentDir);
      const started = await workloads(agentPid);
      assert.equal(started.length, 1, "the agent runs one workload for the lease");
      const workload = started[0] as { pid: number };

      // The scan docs/cli.md's walk-through sends, whose output it shows.
      const scan = path.join(ROOT, "docs", "examples", "scan.png");
      const requested = await cli(
        "job",
        "request",
        "--model",
        "1",
        "--as",
        "demo-cli",
        "--input",
        scan,
        "--workers",
        "2",
        "--max-fee",
        "0.5",
        "--upload",
        appUrl,
      );
      const jobId = String(requested.jobId);
      const logs = path.join(state, "logs");
      const claimed = new RegExp(`"jobId":"?${jobId}"?,.*"msg":"job claimed"`);
      const claimant = await until("a worker claims the job", 120_000, async () => {
        for (const handle of ["worker-one", "worker-two"]) {
          const text = await readFile(path.join(logs, `${handle}.log`), "utf8").catch(() => "");
          if (claimed.test(text)) return { handle, logBefore: text.length };
        }
        return undefined;
      });
      const workerDir = path.join(state, "demo", "workers", claimant.handle);
      const workerPid = await pidOf(workerDir);
      const killedAt = Date.now();
      process.kill(workerPid, "SIGKILL");
      process.kill(agentPid, "SIGKILL");
      await run.until(
        new RegExp(`the ${claimant.handle} stopped by itself \\(SIGKILL\\); restarting it in 1 s`),
        10_000,
      );
      await run.until(/the node-5 stopped by itself \(SIGKILL\); restarting it in 1 s/, 10_000);
      assert.doesNotMatch(run.output(), /the chain stopped by itself/);

      // Back within 30 s: a new agent that stopped the workload the old one left and runs one of its own, serving the
      // lease's endpoint, and a new worker answering /healthz.
      const workerUrl = `http://127.0.0.1:${workerPort + (claimant.handle === "worker-one" ? 0 : 1)}`;
      const agentBack = until("the agent is back with the workload", 30_000, async () => {
        const agents = await pidsOf(agentDir);
        if (agents.length !== 1 || agents[0] === agentPid || (await alive(workload.pid))) return undefined;
        if ((await workloads(agents[0] as number)).length !== 1) return undefined;
        return (await echo().catch(() => undefined))?.message === "still here" ? Date.now() : undefined;
      });
      const workerBack = until("the worker is back", 30_000, async () =>
        (await fetch(`${workerUrl}/healthz`).catch(() => undefined))?.status === 200 ? Date.now() : undefined,
      );
      const [agentAt, workerAt] = [await agentBack, await workerBack];
      console.log(
        `# kill -9: the node agent was back in ${(agentAt - killedAt) / 1000} s, the worker in ${(workerAt - killedAt) / 1000} s`,
      );
      assert.notEqual(await pidOf(agentDir), agentPid);
      assert.notEqual(await pidOf(workerDir), workerPid);
      const agentLog = await readFile(path.join(logs, "node-5.log"), "utf8");
      assert.equal(agentLog.match(/"msg":"lease acknowledged"/g)?.length, 1, "the lease was acknowledged once");
      assert.match(agentLog, /stopping a workload left by an earlier run of the agent/);
      const afterKill = await cli("lease", "status", leaseId);
      assert.equal(afterKill.state, "Active");
      assert.equal(afterKill.endpoint, leased);

      const deadline = Date.now() + 120_000;
      let status = await cli("job", "status", jobId);
      while (status.state !== "Proposed") {
        assert.ok(Date.now() < deadline, `the job was proposed within 2 minutes (it is ${status.state})`);
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        status = await cli("job", "status", jobId);
      }
      assert.equal(status.committed, 2);
      assert.equal(status.revealed, 2);
      // The killed worker claimed once, before it was killed, and revealed once, after its restart.
      const workerLog = await readFile(path.join(logs, `${claimant.handle}.log`), "utf8");
      assert.equal([...workerLog.matchAll(new RegExp(claimed, "g"))].length, 1, "the worker claimed once");
      const revealed = new RegExp(`"jobId":"?${jobId}"?,.*"msg":"result revealed"`, "g");
      assert.equal([...workerLog.matchAll(revealed)].length, 1, "the worker revealed once");
      assert.match(workerLog.slice(claimant.logBefore), revealed, "the restarted worker revealed what it committed");
      await cli("advance-time", "3601");
      const final = await cli("job", "wait", jobId, "--timeout", "120");
      assert.equal(final.state, "Final");
      const documented = /^# (\{"text":.*\})$/m.exec(await readFile(path.join(ROOT, "docs", "cli.md"), "utf8"));
      assert.equal(final.output, documented?.[1], "the output docs/cli.md shows");

      run.child.kill("SIGINT");
      const { code } = await run.exited;
      assert.equal(code, 0);
      assert.match(run.output(), /SIGINT: stopping the local grid/);
      await assert.rejects(rpcChainId(url), "the chain still answers after Ctrl-C");
      await assert.rejects(fetch(graphql), "the indexer still answers after Ctrl-C");
      await assert.rejects(fetch(appUrl), "the dApp still answers after Ctrl-C");
      // Every process the grid started named its state directory (in its arguments or environment): none is left.
      assert.deepEqual(await processesMentioning(state), []);
    } finally {
      if (run.child.exitCode === null) {
        run.child.kill("SIGINT");
        await run.exited;
      }
      await rm(state, { recursive: true, force: true });
    }
  });

  it("refuses a port that is in use, and a port that is not a number, and starts nothing", async () => {
    const blocker = net.createServer();
    blocker.listen(0, "127.0.0.1");
    await once(blocker, "listening");
    const { port } = blocker.address() as net.AddressInfo;
    try {
      const busy = runStart({ FOURFOLD_RPC_PORT: String(port) });
      children.push(busy.child);
      assert.equal((await busy.exited).code, 1);
      assert.match(
        busy.output(),
        new RegExp(`npm start: 127\\.0\\.0\\.1:${port} is already in use \\(another \`npm start\`\\?\\)`),
      );
      assert.doesNotMatch(busy.output(), /compiling/);
    } finally {
      blocker.close();
    }

    // The indexer's port too, before anything starts.
    const indexerBlocker = net.createServer();
    indexerBlocker.listen(0, "127.0.0.1");
    await once(indexerBlocker, "listening");
    const indexerPort = (indexerBlocker.address() as net.AddressInfo).port;
    try {
      const busy = runStart({
        FOURFOLD_RPC_PORT: String(await freePort()),
        FOURFOLD_INDEXER_PORT: String(indexerPort),
      });
      children.push(busy.child);
      assert.equal((await busy.exited).code, 1);
      assert.match(
        busy.output(),
        new RegExp(`127\\.0\\.0\\.1:${indexerPort} is already in use.*FOURFOLD_INDEXER_PORT`),
      );
      assert.doesNotMatch(busy.output(), /compiling/);
    } finally {
      indexerBlocker.close();
    }

    // And the dApp's.
    const appBlocker = net.createServer();
    appBlocker.listen(0, "127.0.0.1");
    await once(appBlocker, "listening");
    const appPort = (appBlocker.address() as net.AddressInfo).port;
    try {
      const busy = runStart({
        FOURFOLD_RPC_PORT: String(await freePort()),
        FOURFOLD_INDEXER_PORT: String(await freePort()),
        FOURFOLD_APP_PORT: String(appPort),
      });
      children.push(busy.child);
      assert.equal((await busy.exited).code, 1);
      assert.match(busy.output(), new RegExp(`127\\.0\\.0\\.1:${appPort} is already in use.*FOURFOLD_APP_PORT`));
      assert.doesNotMatch(busy.output(), /compiling/);
    } finally {
      appBlocker.close();
    }

    const bad = runStart({ FOURFOLD_RPC_PORT: "85x45" });
    children.push(bad.child);
    assert.equal((await bad.exited).code, 1);
    assert.match(bad.output(), /npm start: FOURFOLD_RPC_PORT must be a port number from 1 to 65535, not "85x45"/);
  });
});
