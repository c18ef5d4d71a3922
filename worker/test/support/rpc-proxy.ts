// A JSON-RPC proxy between a worker and the local chain, for fault tests: it can go down (every connection is cut,
// as when the RPC endpoint is unreachable) and hold chosen requests unanswered (a transaction that never reaches
// the chain) until dropped, or tell the test of a request the chain has answered before the sender hears the answer.
import { once } from "node:events";
import http from "node:http";

export interface HeldRequest {
  readonly method: string;
  readonly params: unknown[];
  /** Cuts the held request's connection: the sender never learns what became of it. */
  drop(): void;
}

export interface RpcProxy {
  readonly url: string;
  /** While true, every request's connection is cut. */
  down: boolean;
  /** Requests this returns true for are held instead of forwarded; `onHold` hears of each. */
  hold: ((method: string, params: unknown[]) => boolean) | undefined;
  onHold: ((request: HeldRequest) => void) | undefined;
  /** Hears of each forwarded request once the chain has answered it, before the answer is passed on. */
  onForwarded: ((method: string, params: unknown[]) => void) | undefined;
  close(): Promise<void>;
}

export async function startRpcProxy(target: string, port: number): Promise<RpcProxy> {
  const proxy: RpcProxy = {
    url: `http://127.0.0.1:${port}`,
    down: false,
    hold: undefined,
    onHold: undefined,
    onForwarded: undefined,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
  const server = http.createServer(async (req, res) => {
    if (proxy.down) {
      req.socket.destroy();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    let message: { method?: string; params?: unknown[] } = {};
    try {
      message = JSON.parse(body);
    } catch {}
    if (typeof message.method === "string" && proxy.hold?.(message.method, message.params ?? []) === true) {
      proxy.onHold?.({ method: message.method, params: message.params ?? [], drop: () => req.socket.destroy() });
      return;
    }
    try {
      const answer = await fetch(target, { method: "POST", headers: { "content-type": "application/json" }, body });
      const text = await answer.text();
      if (typeof message.method === "string") proxy.onForwarded?.(message.method, message.params ?? []);
      if (res.socket === null || res.socket.destroyed) return;
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(text);
    } catch {
      req.socket.destroy();
    }
  });
  server.listen(port, "127.0.0.1");
  await once(server, "listening");
  return proxy;
}
