import type { IncomingMessage, ServerResponse } from "node:http";
import { type ApiAnswer, type ApiCall, callApi } from "./api-bridge.js";
import { type DemoContext, shellOf } from "./context.js";
import { type FormFields, readForm } from "./forms.js";
import { errorText } from "./messages.js";
import { preferencesFromForm, readPreferences, sessionKeys, userKeys } from "./preferences.js";
import { redirect, sendHtml } from "./respond.js";
import { authPage } from "./views/auth.js";
import { visit } from "./visitor.js";

/**
 * One no-JS form post: which API call it becomes and where the browser goes afterwards.
 * With JavaScript the page script calls the same API routes itself; these exist so every
 * button also works as a plain HTML form.
 */
interface Action {
  call(form: FormFields): ApiCall;
  /** Where a success goes. */
  done(answer: ApiAnswer): string;
  /** A failure goes back to a page (with `?error=<code>`), or shows the sign-in form again. */
  failure: { back: string } | { form: "login" | "register" };
}

const field = (form: FormFields, name: string) => form[name] ?? "";
const withCsrf = (form: FormFields) => ({ csrfToken: form["_csrf"] ?? null });
// A cleared cookie in the answer means the current session ended (it signed out this device).
const endedHere = (answer: ApiAnswer) => answer.cookies.some((cookie) => /;\s*max-age=0\b/i.test(cookie));

const actions: Readonly<Record<string, Action>> = {
  "/login": {
    call: (form) => ({
      method: "POST",
      path: "/api/auth/login",
      body: { username: field(form, "username"), password: field(form, "password"), remember: "remember" in form },
      ...withCsrf(form),
    }),
    done: () => "/",
    failure: { form: "login" },
  },
  "/register": {
    call: (form) => ({
      method: "POST",
      path: "/api/auth/register",
      body: { username: field(form, "username"), password: field(form, "password") },
      ...withCsrf(form),
    }),
    done: () => "/",
    failure: { form: "register" },
  },
  "/logout": {
    call: (form) => ({ method: "DELETE", path: "/api/session", ...withCsrf(form) }),
    done: () => "/login?notice=signed-out",
    failure: { back: "/" },
  },
  "/extend": {
    call: (form) => ({ method: "POST", path: "/api/session/extend", ...withCsrf(form) }),
    done: () => "/?notice=extended",
    failure: { back: "/" },
  },
  "/state": {
    call: (form) => ({
      method: "PATCH",
      path: "/api/session/state",
      body: { set: preferencesFromForm(form, sessionKeys) },
      ...withCsrf(form),
    }),
    done: () => "/?notice=saved",
    failure: { back: "/" },
  },
  "/preferences": {
    call: (form) => ({
      method: "PATCH",
      path: "/api/user/state",
      body: { set: preferencesFromForm(form, userKeys) },
      ...withCsrf(form),
    }),
    done: () => "/?notice=saved",
    failure: { back: "/" },
  },
  "/devices/revoke": {
    call: (form) => ({
      method: "DELETE",
      path: `/api/sessions/${encodeURIComponent(field(form, "id"))}`,
      ...withCsrf(form),
    }),
    done: (answer) => (endedHere(answer) ? "/login?notice=signed-out" : "/devices?notice=revoked"),
    failure: { back: "/devices" },
  },
  "/devices/revoke-others": {
    call: (form) => ({ method: "DELETE", path: "/api/sessions", ...withCsrf(form) }),
    done: () => "/devices?notice=revoked-others",
    failure: { back: "/devices" },
  },
};

export function isAction(pathname: string): boolean {
  return Object.hasOwn(actions, pathname);
}

/** Runs a form post through the API and answers 303 (or re-renders a failed sign-in form). */
export async function runAction(
  context: DemoContext,
  request: IncomingMessage,
  response: ServerResponse,
  pathname: string,
): Promise<void> {
  const action = actions[pathname];
  if (!action) throw new Error(`No demo action for ${pathname}.`);
  const form = await readForm(request);
  const answer = await callApi(context.stint, request, action.call(form), context);
  if (answer.ok) return redirect(response, action.done(answer), answer.cookies);
  const { failure } = action;
  if ("form" in failure) return signInFailed(context, request, response, failure.form, form, answer);
  const code = answer.error?.code ?? "http_error";
  if (code === "no_session") return redirect(response, "/login", answer.cookies);
  redirect(response, `${failure.back}?error=${encodeURIComponent(code)}`, answer.cookies);
}

/** The form again, with what went wrong and the username kept (never the password). */
async function signInFailed(
  context: DemoContext,
  request: IncomingMessage,
  response: ServerResponse,
  mode: "login" | "register",
  form: FormFields,
  answer: ApiAnswer,
): Promise<void> {
  // A failed sign-in leaves the visitor's session as it was; a fresh token lets them retry.
  const visitor = await visit(context, request);
  const markup = authPage(
    await shellOf(context),
    {
      mode,
      csrfToken: visitor.csrfToken,
      username: field(form, "username"),
      error: errorText(answer.error?.code, answer.error?.message, answer.retryAfterSeconds),
    },
    readPreferences(visitor.session.state()),
  );
  const headers: Record<string, string> = answer.retryAfterSeconds
    ? { "retry-after": String(answer.retryAfterSeconds) }
    : {};
  sendHtml(response, answer.status, markup, [...answer.cookies, ...visitor.cookies], headers);
}
