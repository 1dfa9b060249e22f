import { json } from "@sveltejs/kit";
import { requireCsrf, requireSession } from "stint/adapters/sveltekit";

export const POST = requireSession(
  requireCsrf(async ({ locals, request }) => {
    const body = (await request.json().catch(() => ({}))) as { theme?: string };
    locals.session.setState("theme", body.theme ?? "light");
    return json({ state: locals.session.state() });
  }),
);
