import { json } from "@sveltejs/kit";
import { requireCsrf } from "stint/adapters/sveltekit";

// A demo sign-in that trusts any name: a real app checks a password first.
export const POST = requireCsrf(async ({ locals, request }) => {
  const body = (await request.json().catch(() => ({}))) as { name?: string };
  locals.session.login(body.name ?? "guest");
  return json({ user: locals.session.userId });
});
