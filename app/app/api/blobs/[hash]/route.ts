// GET /api/blobs/<sha256>: a stored blob's bytes. Blobs never change, so they may be cached for good.
import { BLOB_HASH, getBlob } from "@/lib/blobs";
import { appSettings } from "@/lib/settings";

export const dynamic = "force-dynamic";

export async function GET(_request: Request, { params }: { params: Promise<{ hash: string }> }): Promise<Response> {
  const { hash } = await params;
  if (!BLOB_HASH.test(hash)) {
    return Response.json({ error: "a blob is named by its sha256: 0x and 64 lower-case hex digits" }, { status: 400 });
  }
  const bytes = await getBlob(appSettings().blobsDir, hash);
  if (bytes === undefined) return Response.json({ error: `no blob ${hash}` }, { status: 404 });
  return new Response(bytes as BodyInit, {
    headers: {
      "content-type": "application/octet-stream",
      "cache-control": "public, max-age=31536000, immutable",
    },
  });
}
