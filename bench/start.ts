// `npm run bench:start`: how long a newcomer waits, written to bench/results/start.json. A fresh clone of this
// repository's HEAD in a temporary directory, then, timed:
// - installSeconds: `npm install` (the npm cache is whatever this machine has; the registry is the network);
// - startToReadySeconds: `npm start` until it prints "Press Ctrl-C to stop" (every URL printed, the 12 demo nodes
//   online in the indexer, both workers answering), with the seconds of each step it reports;
// - freshCloneToReadySeconds: the two together; goal at most 300 (issue 9: "within 5 minutes on this machine").
// Then a second `npm start` in the same clone (everything compiled and built: what every later start costs), and
// Ctrl-C, after which no process of the clone may be left.
import { spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, processesMentioning, runNode } from "../scripts/test/support.ts";
import { log, round1, saveResults } from "./support/load.ts";

const ROOT = path.resolve(import.meta.dirname, "..");

async function run(command: string, args: string[], cwd: string): Promise<void> {
  const child = spawn(command, args, { cwd, stdio: ["ignore", "ignore", "inherit"] });
  const [code] = await once(child, "exit");
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited ${code}`);
}

/** `npm start` in `clone` until ready; returns the seconds to ready and per step, then stops it with Ctrl-C. */
async function timeStart(clone: string) {
  const ports = { rpc: await freePort(), indexer: await freePort(), app: await freePort(), worker: await freePort() };
  const started = Date.now();
  const start = runNode([path.join(clone, "scripts", "start.ts")], {
    cwd: clone,
    env: {
      FOURFOLD_RPC_PORT: String(ports.rpc),
      FOURFOLD_INDEXER_PORT: String(ports.indexer),
      FOURFOLD_APP_PORT: String(ports.app),
      FOURFOLD_WORKER_PORT: String(ports.worker),
    },
  });
  try {
    await start.until(/Press Ctrl-C to stop/, 900_000);
    const seconds = (Date.now() - started) / 1_000;
    const steps = Object.fromEntries(
      [...start.output().matchAll(/^\[ *([\d.]+) s\] (.+)$/gm)].map((m) => [m[2], Number(m[1])]),
    );
    const online = (await (await fetch(`http://127.0.0.1:${ports.indexer}/nodes?online=true&limit=1`)).json()) as {
      total: number;
    };
    if (online.total !== 12) throw new Error(`${online.total} demo nodes online, not 12`);
    return { seconds: round1(seconds), steps };
  } finally {
    start.child.kill("SIGINT");
    await start.exited;
  }
}

const clone = await mkdtemp(path.join(os.tmpdir(), "fourfold-bench-start-"));
try {
  log(`cloning into ${clone}`);
  await run("git", ["clone", "--quiet", ROOT, clone], ROOT);
  log("npm install");
  const installStarted = Date.now();
  await run("npm", ["install", "--no-audit", "--no-fund"], clone);
  const installSeconds = round1((Date.now() - installStarted) / 1_000);
  log(`npm install: ${installSeconds} s; npm start`);
  const first = await timeStart(clone);
  log(`ready in ${first.seconds} s; a second npm start`);
  const second = await timeStart(clone);
  log(`ready in ${second.seconds} s`);
  const left = await processesMentioning(clone);
  if (left.length > 0) throw new Error(`processes of the clone left after Ctrl-C: ${left.join(", ")}`);
  const freshCloneToReadySeconds = round1(installSeconds + first.seconds);
  await saveResults(
    "start",
    {
      installSeconds,
      startToReadySeconds: first.seconds,
      freshCloneToReadySeconds,
      steps: first.steps,
      secondStartToReadySeconds: second.seconds,
      secondStartSteps: second.steps,
      goalFreshCloneToReadySeconds: 300,
    },
    { "freshCloneToReadySeconds <= 300": freshCloneToReadySeconds <= 300 },
  );
} finally {
  await rm(clone, { recursive: true, force: true });
}
