import { MyLeases } from "@/components/my-leases";

export default function LeasesPage() {
  return (
    <>
      <h1>My leases</h1>
      <p className="lead">Your leases, their balance and time left, and what they have cost so far.</p>
      <MyLeases />
    </>
  );
}
