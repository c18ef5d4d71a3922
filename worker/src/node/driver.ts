// How a node agent runs a lease's workload. The `process` driver runs it as a child process of the agent with the
// lease's CPU and memory limits; a container driver (real isolation, cgroups) implements the same interface.
import type { Template } from "./templates.ts";

export interface DeploymentSpec {
  /** The lease, as a decimal string (also the deployment's name). */
  readonly leaseId: string;
  readonly template: Template;
  /** The manifest's parameter values, already checked against the template. */
  readonly params: Readonly<Record<string, string | number>>;
  /** CPU cores and memory the lease holds. */
  readonly cpu: number;
  readonly memoryMiB: number;
  /** The port to serve on; the driver picks a free one when this is absent and reports it. */
  readonly port?: number;
}

export interface Started {
  /** What the tenant is told (the template's endpoint with its placeholders filled). */
  readonly endpoint: string;
  readonly port: number;
  /** The operating system's id for the workload (a PID for the process driver). */
  readonly handle: string;
}

export interface Driver {
  /** Starts the workload and keeps it running (restarting it when it crashes) until `stop`. */
  start(spec: DeploymentSpec): Promise<Started>;
  /** Stops the workload for good. Stopping one that is not running is not an error. */
  stop(leaseId: string): Promise<void>;
  /** Whether the workload is running now. */
  isRunning(leaseId: string): boolean;
  /** Stops what an earlier run of the agent left behind for these leases (after a crash of the agent). */
  reap(leaseIds: readonly string[]): Promise<void>;
  /** Stops every workload (the agent is shutting down). */
  stopAll(): Promise<void>;
}
