import Link from "next/link";
import { NodeDetail } from "@/components/node-detail";

export default async function NodePage({ params }: { params: Promise<{ id: string }> }) {
  const { id } = await params;
  if (!/^[1-9]\d{0,15}$/.test(id)) {
    return (
      <>
        <h1>No such node</h1>
        <p role="alert" className="error">
          “{id}” is not a node number: node numbers are whole numbers from 1.
        </p>
        <Link href="/">Back to Explore</Link>
      </>
    );
  }
  return <NodeDetail id={id} />;
}
