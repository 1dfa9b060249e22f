import { requireSession } from "stint/adapters/next";
import { route } from "../../lib/stint";

export const GET = route(
  requireSession((_request, { session }) => Response.json({ user: session.userId, state: session.state() }), {
    authenticated: true,
  }),
);
