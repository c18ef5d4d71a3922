import { NodeDetail } from "@/components/node-detail";
import { isId } from "@/lib/ids";
import { NotANode } from "./not-a-node";

export default async function NodePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return isId(id) ? <NodeDetail id={id} /> : <NotANode id={id} />;
}
