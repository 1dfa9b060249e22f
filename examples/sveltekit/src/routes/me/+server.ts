import { json } from "@sveltejs/kit";
import { requireSession } from "stint/adapters/sveltekit";

export const GET = requireSession(
  ({ locals }) => json({ user: locals.session.userId, state: locals.session.state() }),
  {
    authenticated: true,
  },
);
