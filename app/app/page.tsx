import { NodeExplorer } from "@/components/node-explorer";

export default function ExplorePage() {
  return (
    <>
      <h1>Explore the grid</h1>
      <p className="lead">Nodes with free capacity, where they are, what an hour costs, and whether they are online.</p>
      <NodeExplorer />
    </>
  );
}
