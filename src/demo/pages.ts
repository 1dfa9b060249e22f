import type { IncomingMessage, ServerResponse } from "node:http";
import { StoreUnavailableError } from "../core/errors.js";
import { callApi } from "./api-bridge.js";
import { type DemoContext, shellOf } from "./context.js";
import { knownError, noticeText } from "./messages.js";
import { readPreferences } from "./preferences.js";
import { redirect, sendHtml } from "./respond.js";
import { authPage } from "./views/auth.js";
import { dashboardPage } from "./views/dashboard.js";
import type { DeviceEntry } from "./views/device-list.js";
import { devicesPage } from "./views/devices.js";
import { signedInVisitor, visit } from "./visitor.js";

/** Outcome banners named in the query (post/redirect/get); unknown names show nothing. */
function outcome(url: URL) {
  return { error: knownError(url.searchParams.get("error")), notice: noticeText(url.searchParams.get("notice")) };
}

export async function loginOrRegisterPage(
  context: DemoContext,
  request: IncomingMessage,
  response: ServerResponse,
  mode: "login" | "register",
  url: URL,
): Promise<void> {
  const visitor = await visit(context, request);
  let signedInAs: string | null = null;
  if (visitor.session.userId !== null) {
    const answer = await callApi(context.stint, request, { method: "GET", path: "/api/session" }, context);
    signedInAs = (answer.body as { user?: { username?: string } } | null)?.user?.username ?? null;
  }
  const preferences = readPreferences(visitor.session.state());
  const markup = authPage(
    await shellOf(context),
    { mode, csrfToken: visitor.csrfToken, signedInAs, ...outcome(url) },
    preferences,
  );
  sendHtml(response, 200, markup, visitor.cookies);
}

export async function dashboard(
  context: DemoContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const { visitor, cookies } = await signedInVisitor(context, request);
  if (!visitor) return redirect(response, "/login", cookies);
  const { info, session } = visitor;
  const user = await context.stint.userState.get(session.userId as string);
  const markup = dashboardPage(await shellOf(context), {
    username: info.user?.username ?? "",
    session: info.session,
    csrfToken: info.csrfToken,
    preferences: readPreferences(session.state(), user.state),
    stateVersion: session.version,
    userStateVersion: user.version,
    ...outcome(url),
  });
  sendHtml(response, 200, markup, cookies);
}

export async function devices(
  context: DemoContext,
  request: IncomingMessage,
  response: ServerResponse,
  url: URL,
): Promise<void> {
  const { visitor, cookies } = await signedInVisitor(context, request);
  if (!visitor) return redirect(response, "/login", cookies);
  const list = await callApi(context.stint, request, { method: "GET", path: "/api/sessions" }, context);
  if (list.status === 401) return redirect(response, "/login", [...cookies, ...list.cookies]);
  if (!list.ok) throw new StoreUnavailableError();
  const user = await context.stint.userState.get(visitor.session.userId as string);
  const markup = devicesPage(await shellOf(context), {
    username: visitor.info.user?.username ?? "",
    csrfToken: visitor.info.csrfToken,
    sessions: (list.body as { sessions: DeviceEntry[] }).sessions,
    preferences: readPreferences(visitor.session.state(), user.state),
    ...outcome(url),
  });
  sendHtml(response, 200, markup, [...cookies, ...list.cookies]);
}
