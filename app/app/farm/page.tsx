import { FarmConsole } from "@/components/farm-console";

export default function FarmPage() {
  return (
    <>
      <h1>Farm</h1>
      <p className="lead">Register an identity, create a farm, and put nodes on the grid.</p>
      <FarmConsole />
    </>
  );
}
