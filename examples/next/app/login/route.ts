import { requireCsrf } from "stint/adapters/next";
import { route } from "../../lib/stint";

// A demo sign-in that trusts any name: a real app checks a password first.
export const POST = route(
  requireCsrf(async (request, { session }) => {
    const body = (await request.json().catch(() => ({}))) as { name?: string };
    session.login(body.name ?? "guest");
    return Response.json({ user: session.userId });
  }),
);
