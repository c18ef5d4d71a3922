import { NodeDetail } from "@/components/node-detail";
import { isNodeId, NotANode } from "./not-a-node";

export default async function NodePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  return isNodeId(id) ? <NodeDetail id={id} /> : <NotANode id={id} />;
}
