/** `stint/adapters/sveltekit`: SvelteKit's `handle` hook, `event.locals.session`, guards for `+server` endpoints. */
export { requireCsrf, requireSession, type StintSessionData, stintHandle } from "../http/adapters/sveltekit.js";
