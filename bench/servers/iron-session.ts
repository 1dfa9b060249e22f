/** iron-session 8 on node:http: the whole session sealed in the cookie, no store. */
import { getIronSession } from "iron-session";
import { listen, NO_COUNTERS, nextCounter, type RunningVariant, routeOf, SECRET, sendOk, USER_ID } from "./common.js";

interface Data {
  userId?: string;
  counter?: number;
}

const options = {
  cookieName: "iron_session",
  password: SECRET,
  ttl: 24 * 60 * 60,
  cookieOptions: { secure: false, httpOnly: true, sameSite: "lax" as const, path: "/" },
};

export async function startIronSession(): Promise<RunningVariant> {
  const running = await listen((request, response) => {
    const route = routeOf(request.method, request.url);
    if (!route) return void response.writeHead(404).end();
    (async () => {
      const session = await getIronSession<Data>(request, response, options);
      if (route === "read") {
        if (!session.userId) return void response.writeHead(401).end();
      } else if (route === "write") {
        if (!session.userId) return void response.writeHead(401).end();
        session.counter = nextCounter();
        await session.save();
      } else {
        session.userId = USER_ID;
        await session.save();
      }
      sendOk(response);
    })().catch(() => response.writeHead(500).end());
  });
  return { ...running, counters: NO_COUNTERS };
}
