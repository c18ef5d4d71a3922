import Link from "next/link";

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
