// A minimal workload template: an HTTP server that answers every request with a fixed message and the lease id.
// The node config's example allows it; tests lease it. Usage: http-echo.ts --port <port> --message <text>
import http from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: { port: { type: "string" }, host: { type: "string", default: "127.0.0.1" }, message: { type: "string" } },
});
const port = Number(values.port);
if (!Number.isInteger(port) || port <= 0 || port > 65_535) {
  console.error(`http-echo: --port must be a port number, got ${values.port}`);
  process.exit(2);
}
const body = JSON.stringify({ message: values.message ?? "", lease: process.env.FOURFOLD_LEASE_ID ?? null });
const server = http.createServer((_request, response) => {
  response.writeHead(200, { "content-type": "application/json" });
  response.end(body);
});
server.listen(port, values.host, () => console.log(`http-echo listening on ${values.host}:${port}`));
for (const signal of ["SIGTERM", "SIGINT"] as const) process.once(signal, () => server.close(() => process.exit(0)));
