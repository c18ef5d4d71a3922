// The process driver: runs an allowed template as a child process with the lease's limits.
// - CPU: the process is pinned to `cpu` cores with taskset (util-linux), when the lease holds fewer cores than the
//   machine has; a lease of no cores, or a machine without taskset, is refused rather than run on every core.
// - Memory: a watchdog reads the process's resident set from /proc every `watchMs` and kills it above the lease's
//   memory; Node templates also get --max-old-space-size. This is a limit the agent enforces, not isolation: a
//   tenant's workload shares the farmer's user and file system (the templates are the farmer's own programs), and
//   real isolation is the container driver's job.
// - Crashes: a workload that exits without being asked to is restarted with capped backoff.
// Every workload carries FOURFOLD_LEASE=<agent id>:<lease id> in its environment, so that after a crash of the agent
// the next run finds and stops exactly the processes it started (`reap`), and nothing else.
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync } from "node:fs";
import { mkdir, readdir, readFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Logger } from "pino";
import { backoffDelay } from "../retry.ts";
import type { DeploymentSpec, Driver, Started } from "./driver.ts";
import { fill } from "./templates.ts";

const TASKSET = "/usr/bin/taskset";

interface Running {
  spec: DeploymentSpec;
  started: Started;
  child: ChildProcess | undefined;
  stopping: boolean;
  restarts: number;
  watchdog: NodeJS.Timeout | undefined;
  restartTimer: NodeJS.Timeout | undefined;
}

export interface ProcessDriverOptions {
  /** Identifies this agent's workloads across its restarts (the node key's address). */
  readonly agentId: string;
  /** Each workload logs to `<logDir>/lease-<id>.log`. */
  readonly logDir: string;
  /** The host in endpoints. */
  readonly host: string;
  readonly log: Logger;
  /** The environment workloads start with (besides FOURFOLD_LEASE and FOURFOLD_LEASE_ID). */
  readonly env: Readonly<Record<string, string>>;
  readonly watchMs?: number;
  readonly stopGraceMs?: number;
  /** util-linux's taskset (default /usr/bin/taskset). */
  readonly taskset?: string;
}

export class ProcessDriver implements Driver {
  private readonly running = new Map<string, Running>();
  private readonly options: ProcessDriverOptions;

  constructor(options: ProcessDriverOptions) {
    this.options = options;
  }

  async start(spec: DeploymentSpec): Promise<Started> {
    if (this.running.has(spec.leaseId)) throw new Error(`lease ${spec.leaseId} is already running`);
    if (!Number.isInteger(spec.cpu) || spec.cpu < 1) {
      throw new Error(`lease ${spec.leaseId} holds ${spec.cpu} CPU cores: a workload needs at least one to run on`);
    }
    const taskset = this.options.taskset ?? TASKSET;
    if (spec.cpu < os.availableParallelism() && !existsSync(taskset)) {
      throw new Error(
        `cannot hold lease ${spec.leaseId} to ${spec.cpu} of this machine's ${os.availableParallelism()} cores: ` +
          `${taskset} (util-linux) is missing`,
      );
    }
    await mkdir(this.options.logDir, { recursive: true });
    const port = spec.port ?? (await freePort(this.options.host));
    const values = {
      ...spec.params,
      port,
      host: this.options.host,
      cpu: spec.cpu,
      memoryMiB: spec.memoryMiB,
      leaseId: spec.leaseId,
    };
    const started: Started = { endpoint: fill(spec.template.endpoint, values), port, handle: "" };
    const entry: Running = {
      spec: { ...spec, port },
      started,
      child: undefined,
      stopping: false,
      restarts: 0,
      watchdog: undefined,
      restartTimer: undefined,
    };
    this.running.set(spec.leaseId, entry);
    const child = await this.launch(entry);
    return { ...started, handle: String(child.pid) };
  }

  isRunning(leaseId: string): boolean {
    const entry = this.running.get(leaseId);
    return entry?.child !== undefined && entry.child.exitCode === null && entry.child.signalCode === null;
  }

  async stop(leaseId: string): Promise<void> {
    const entry = this.running.get(leaseId);
    if (entry === undefined) return;
    entry.stopping = true;
    clearTimeout(entry.restartTimer);
    clearInterval(entry.watchdog);
    await this.terminate(entry.child);
    this.running.delete(leaseId);
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.running.keys()].map((leaseId) => this.stop(leaseId)));
  }

  async reap(leaseIds: readonly string[]): Promise<void> {
    if (leaseIds.length === 0) return;
    const markers = new Set(leaseIds.map((id) => `FOURFOLD_LEASE=${this.options.agentId}:${id}`));
    for (const pid of await listPids()) {
      const environ = await readFile(`/proc/${pid}/environ`, "latin1").catch(() => "");
      const marker = environ.split("\0").find((entry) => markers.has(entry));
      if (marker === undefined) continue;
      this.options.log.warn({ pid, marker }, "stopping a workload left by an earlier run of the agent");
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        process.kill(pid, "SIGKILL");
      }
    }
  }

  private async launch(entry: Running): Promise<ChildProcess> {
    const { spec } = entry;
    const values = {
      ...spec.params,
      port: spec.port ?? entry.started.port,
      host: this.options.host,
      cpu: spec.cpu,
      memoryMiB: spec.memoryMiB,
      leaseId: spec.leaseId,
    };
    const isNode = spec.template.command === "node";
    let command = isNode ? process.execPath : spec.template.command;
    let args = spec.template.args.map((arg) => fill(arg, values));
    if (isNode) args = [`--max-old-space-size=${Math.max(16, Math.floor(spec.memoryMiB * 0.75))}`, ...args];
    if (spec.cpu < os.availableParallelism()) {
      args = ["-c", `0-${spec.cpu - 1}`, command, ...args];
      command = this.options.taskset ?? TASKSET;
    }
    const logFile = path.join(this.options.logDir, `lease-${spec.leaseId}.log`);
    const out = createWriteStream(logFile, { flags: "a" });
    const child = spawn(command, args, {
      // Its own process group, so that stopping it stops whatever it started too.
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
      env: {
        ...this.options.env,
        FOURFOLD_LEASE: `${this.options.agentId}:${spec.leaseId}`,
        FOURFOLD_LEASE_ID: spec.leaseId,
      },
    });
    child.stdout?.pipe(out, { end: false });
    child.stderr?.pipe(out, { end: false });
    entry.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once("spawn", resolve);
      child.once("error", reject);
    });
    this.options.log.info({ leaseId: spec.leaseId, pid: child.pid, command, args }, "workload started");
    entry.watchdog = setInterval(() => void this.watch(entry), this.options.watchMs ?? 1_000);
    child.once("exit", (code, signal) => {
      out.end();
      clearInterval(entry.watchdog);
      if (entry.stopping || entry.child !== child) return;
      const delayMs = backoffDelay(Math.min(entry.restarts, 10), { baseMs: 500, maxMs: 60_000 }, 1);
      entry.restarts += 1;
      this.options.log.warn(
        { leaseId: spec.leaseId, code, signal, restarts: entry.restarts, delayMs },
        "workload exited; restarting it",
      );
      entry.restartTimer = setTimeout(() => {
        if (entry.stopping) return;
        this.launch(entry).catch((error: unknown) =>
          this.options.log.error({ leaseId: spec.leaseId, err: error }, "workload failed to restart"),
        );
      }, delayMs);
    });
    return child;
  }

  /** Kills the workload when its resident memory is above the lease's. */
  private async watch(entry: Running): Promise<void> {
    const pid = entry.child?.pid;
    if (pid === undefined || entry.stopping) return;
    const status = await readFile(`/proc/${pid}/status`, "utf8").catch(() => "");
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(status);
    if (match?.[1] === undefined) return;
    const rssMiB = Number(match[1]) / 1024;
    if (rssMiB > entry.spec.memoryMiB) {
      this.options.log.warn(
        { leaseId: entry.spec.leaseId, rssMiB: Math.round(rssMiB), limitMiB: entry.spec.memoryMiB },
        "workload above its memory; killing it",
      );
      killGroup(entry.child, "SIGKILL");
    }
  }

  private async terminate(child: ChildProcess | undefined): Promise<void> {
    if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    killGroup(child, "SIGTERM");
    const timer = setTimeout(() => killGroup(child, "SIGKILL"), this.options.stopGraceMs ?? 5_000);
    await exited;
    clearTimeout(timer);
  }
}

function killGroup(child: ChildProcess | undefined, signal: NodeJS.Signals): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, signal);
  } catch {
    child.kill(signal);
  }
}

async function listPids(): Promise<number[]> {
  const entries = await readdir("/proc").catch(() => [] as string[]);
  return entries.filter((name) => /^\d+$/.test(name)).map(Number);
}

/** A port nothing listens on now (bound and released at once). */
export function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => {
        if (address === null || typeof address === "string") reject(new Error("no port"));
        else resolve(address.port);
      });
    });
  });
}
