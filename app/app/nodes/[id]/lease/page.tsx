import { LeaseForm } from "@/components/lease-form";
import { isId } from "@/lib/ids";
import { NotANode } from "../not-a-node";

export default async function LeasePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!isId(id)) return <NotANode id={id} />;
  return (
    <>
      <h1>Lease capacity on node #{id}</h1>
      <LeaseForm nodeId={id} />
    </>
  );
}
