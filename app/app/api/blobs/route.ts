// POST /api/blobs (the body is the bytes): stores a blob by its sha256 and answers {hash, uri, bytes}. Used for job
// inputs too large to go on-chain and for encrypted datasets; anyone who has the URI can fetch it, so only public or
// encrypted content belongs here.
import { MAX_BLOB_BYTES, putBlob } from "@/lib/blobs";
import { appSettings } from "@/lib/settings";

export const dynamic = "force-dynamic";

export async function POST(request: Request): Promise<Response> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > MAX_BLOB_BYTES) {
    return Response.json(
      { error: `a blob is at most ${MAX_BLOB_BYTES} bytes; this one is ${declared}` },
      { status: 413 },
    );
  }
  const bytes = new Uint8Array(await request.arrayBuffer());
  if (bytes.length > MAX_BLOB_BYTES) {
    return Response.json(
      { error: `a blob is at most ${MAX_BLOB_BYTES} bytes; this one is ${bytes.length}` },
      { status: 413 },
    );
  }
  if (bytes.length === 0) return Response.json({ error: "the blob is empty" }, { status: 400 });
  const hash = await putBlob(appSettings().blobsDir, bytes);
  const uri = new URL(`/api/blobs/${hash}`, origin(request)).href;
  return Response.json({ hash, uri, bytes: bytes.length }, { status: 201 });
}

/** This server's origin as the client reached it (behind a proxy, as the proxy says). Next's request.url names the
 * host "localhost" even when the client asked for 127.0.0.1, and workers fetch what this answers. */
function origin(request: Request): string {
  const host = request.headers.get("x-forwarded-host") ?? request.headers.get("host");
  const protocol = request.headers.get("x-forwarded-proto") ?? new URL(request.url).protocol.replace(":", "");
  return host === null ? new URL(request.url).origin : `${protocol}://${host}`;
}
