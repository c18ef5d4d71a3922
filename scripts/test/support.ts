// Helpers for tests that run the real programs: a free port, and a child process whose output a test can wait on.
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { readdir, readFile } from "node:fs/promises";
import net from "node:net";
import path from "node:path";

/** A port on 127.0.0.1 that nothing listens on now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as net.AddressInfo;
  server.close();
  await once(server, "close");
  return port;
}

export interface Running {
  readonly child: ChildProcess;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  output(): string;
  /** Resolves when the output matches `pattern`; fails after `timeoutMs` or when the process ends first. */
  until(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
}

/** Runs `node <args>` (this Node) in `cwd` and collects its output. */
export function runNode(args: readonly string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Running {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: { ...process.env, ...options.env } });
  let output = "";
  child.stdout.on("data", (chunk) => {
    output += chunk;
  });
  child.stderr.on("data", (chunk) => {
    output += chunk;
  });
  const exited = once(child, "exit").then(([code, signal]) => ({
    code: code as number | null,
    signal: signal as NodeJS.Signals | null,
  }));
  return {
    child,
    exited,
    output: () => output,
    async until(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline && child.exitCode === null) {
        const match = output.match(pattern);
        if (match) return match;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const match = output.match(pattern);
      if (match) return match;
      const why =
        child.exitCode === null ? `within ${timeoutMs / 1000} s` : `before the process exited (${child.exitCode})`;
      throw new Error(`no ${pattern} ${why}; output:\n${output}`);
    },
  };
}

const START = path.join(import.meta.dirname, "..", "start.ts");

/** `scripts/start.ts --chain-only` on 127.0.0.1:`port`: a local chain with every contract deployed and generated/
 * written. Resolves once it is ready (else stops it and fails); the caller stops it (SIGINT). */
export async function startChain(port: number): Promise<Running> {
  const chain = runNode([START, "--chain-only"], {
    cwd: path.join(import.meta.dirname, "..", ".."),
    env: { FOURFOLD_RPC_PORT: String(port) },
  });
  try {
    await chain.until(/Press Ctrl-C to stop/, 120_000);
  } catch (error) {
    chain.child.kill("SIGINT"); // start.ts stops what it started
    await chain.exited;
    throw error;
  }
  return chain;
}

export interface ProcessInfo {
  readonly pid: number;
  /** Its parent's pid. */
  readonly ppid: number;
  /** Its arguments, joined by spaces. */
  readonly cmdline: string;
  /** Its environment, one `NAME=value` per entry. */
  readonly environ: readonly string[];
}

/** Every process (other than this one) this user can read /proc of. */
export async function listProcesses(): Promise<ProcessInfo[]> {
  const found: ProcessInfo[] = [];
  for (const name of await readdir("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    const cmdline = await readFile(`/proc/${name}/cmdline`, "latin1").catch(() => "");
    const environ = await readFile(`/proc/${name}/environ`, "latin1").catch(() => "");
    const stat = await readFile(`/proc/${name}/stat`, "latin1").catch(() => "");
    if (cmdline === "" || stat === "") continue; // gone, or a kernel thread
    // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so read after its last ")".
    const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
    found.push({
      pid: Number(name),
      ppid,
      cmdline: cmdline.replaceAll("\0", " ").trimEnd(),
      environ: environ.split("\0"),
    });
  }
  return found;
}

/** The processes (other than this one) whose arguments or environment mention `text`, with their command lines:
 * how a test or bench finds what a program it ran left behind. */
export async function processesMentioning(text: string): Promise<string[]> {
  return (await listProcesses())
    .filter((p) => p.cmdline.includes(text) || p.environ.some((entry) => entry.includes(text)))
    .map((p) => `${p.pid}: ${p.cmdline}`);
}
