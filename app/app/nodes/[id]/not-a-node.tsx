import Link from "next/link";

/** Node ids are whole numbers from 1. */
export const isNodeId = (id: string) => /^[1-9]\d{0,15}$/.test(id);

/** What a node page shows for an id that is not a node number. */
export function NotANode({ id }: { id: string }) {
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
