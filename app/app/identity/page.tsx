import { IdentityConsole } from "@/components/identity-console";

export default function IdentityPage() {
  return (
    <>
      <h1>Identity</h1>
      <p className="lead">Your handle, your keys and agents, and your reputation.</p>
      <IdentityConsole />
    </>
  );
}
