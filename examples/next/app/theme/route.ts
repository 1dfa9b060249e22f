import { requireCsrf, requireSession } from "stint/adapters/next";
import { route } from "../../lib/stint";

export const POST = route(
  requireSession(
    requireCsrf(async (request, { session }) => {
      const body = (await request.json().catch(() => ({}))) as { theme?: string };
      session.setState("theme", body.theme ?? "light");
      return Response.json({ state: session.state() });
    }),
  ),
);
