// The inference worker's HTTP server: the outputs it computed, by hash (the output URIs it puts on-chain point here;
// the body's sha256 is the outputHash), the metadata of each (runtime, core, model hash), /healthz and Prometheus
// /metrics.
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { JobStore } from "./job-store.ts";

export class WorkerMetrics {
  readonly registry = new Registry();
  readonly claimed = new Counter({
    name: "fourfold_jobs_claimed_total",
    help: "Jobs claimed",
    registers: [this.registry],
  });
  readonly revealed = new Counter({
    name: "fourfold_results_revealed_total",
    help: "Results revealed on-chain",
    registers: [this.registry],
  });
  readonly seats = new Counter({
    name: "fourfold_committee_seats_total",
    help: "Committee seats of re-execution rounds committed",
    registers: [this.registry],
  });
  readonly challenged = new Counter({
    name: "fourfold_jobs_challenged_total",
    help: "Proposals challenged because they contradicted this worker's output",
    registers: [this.registry],
  });
  readonly refused = new Counter({
    name: "fourfold_jobs_refused_total",
    help: "Jobs not claimed because their input failed its checks, by reason",
    labelNames: ["reason"] as const,
    registers: [this.registry],
  });
  readonly finalized = new Counter({
    name: "fourfold_jobs_finalized_total",
    help: "Jobs this worker finalized",
    registers: [this.registry],
  });
  readonly failures = new Counter({
    name: "fourfold_job_failures_total",
    help: "Failed attempts at a job step (retried), by step",
    labelNames: ["step"],
    registers: [this.registry],
  });
  readonly modelSeconds = new Histogram({
    name: "fourfold_model_seconds",
    help: "Time to run a model on one input",
    labelNames: ["backend"],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  readonly inFlight = new Gauge({
    name: "fourfold_jobs_in_flight",
    help: "Jobs being computed, claimed or committed and not yet revealed",
    registers: [this.registry],
  });
  readonly cursor = new Gauge({
    name: "fourfold_cursor_block",
    help: "The last block whose JobRequested logs were handled",
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

/** Whether the worker is healthy, and what it knows. */
export type Health = () => { ok: boolean; [detail: string]: unknown };

/** Starts the server on host:port (0: any free port). A port in use is reported as such. */
export async function startServer(options: {
  host: string;
  port: number;
  store: JobStore;
  metrics: WorkerMetrics;
  health: Health;
}): Promise<{ url: string; close: () => Promise<void> }> {
  const { store, metrics, health } = options;
  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
      res.end(`internal error: ${(error as Error).message}\n`);
    });
  });
  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://worker");
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD", "content-type": "text/plain" }).end("method not allowed\n");
      return;
    }
    if (url.pathname === "/healthz") {
      const status = health();
      res.writeHead(status.ok ? 200 : 503, { "content-type": "application/json" });
      res.end(`${JSON.stringify(status)}\n`);
      return;
    }
    if (url.pathname === "/metrics") {
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
      return;
    }
    const match = /^\/outputs\/(0x[0-9a-fA-F]{64})(\/metadata)?$/.exec(url.pathname);
    if (match?.[1] !== undefined) {
      const output = await store.output(match[1]);
      if (output === undefined) {
        res.writeHead(404, { "content-type": "text/plain" }).end(`no output ${match[1]} here\n`);
      } else if (match[2] !== undefined) {
        res.writeHead(200, { "content-type": "application/json" }).end(`${JSON.stringify(output.metadata)}\n`);
      } else {
        res.writeHead(200, {
          "content-type": "application/json",
          "cache-control": "public, max-age=31536000, immutable",
        });
        res.end(Buffer.from(output.body));
      }
      return;
    }
    res.writeHead(404, { "content-type": "text/plain" }).end("not found: try /outputs/<hash>, /healthz, /metrics\n");
  }
  server.listen(options.port, options.host);
  await Promise.race([
    once(server, "listening"),
    once(server, "error").then(([error]) => {
      const code = (error as NodeJS.ErrnoException).code;
      throw new Error(
        code === "EADDRINUSE"
          ? `${options.host}:${options.port} is already in use: choose another --port`
          : `cannot listen on ${options.host}:${options.port}: ${(error as Error).message}`,
      );
    }),
  ]);
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(":") ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
