import type { StreamEvent } from "../../protocol.js";
import type { JsonObject, SessionRecord } from "../../stores/store.js";
import type { Route, StintServices } from "../context.js";
import { apiHeaders } from "../json.js";

/**
 * The re-check of a stream's session against the store: a safety net for revocations that do
 * not pass through this process's events (another process on the same SQLite file, the CLI).
 */
const RECHECK_MS = 5_000;

/**
 * `GET /api/session/events`: server-sent events for one session. Passive (watching never keeps
 * a session alive). Ends after `revoked` or `logout`, and when the session expires.
 */
export const sessionEvents: Route = {
  method: "GET",
  path: "/api/session/events",
  session: "required",
  passive: true,
  run: ({ session, services, request }) => {
    const record = session.record as SessionRecord;
    const stream = openStream(services, record, request.signal);
    const headers = apiHeaders({ "content-type": "text/event-stream; charset=utf-8", "x-accel-buffering": "no" });
    headers.set("cache-control", "no-store, no-transform");
    return new Response(stream, { headers });
  },
};

function openStream<Data extends JsonObject>(
  services: StintServices<Data>,
  record: SessionRecord,
  signal: AbortSignal,
): ReadableStream<Uint8Array> {
  const { manager, hub, control, heartbeatMs } = services;
  const encoder = new TextEncoder();
  const intervals: Array<ReturnType<typeof setInterval>> = [];
  let expiresAt = record.expiresAt;
  let warningTimer: ReturnType<typeof setTimeout> | undefined;
  let expiryTimer: ReturnType<typeof setTimeout> | undefined;
  let unsubscribe = () => {};
  let closed = false;
  const stop = () => {
    closed = true;
    unsubscribe();
    for (const interval of intervals) clearInterval(interval);
    clearTimeout(warningTimer);
    clearTimeout(expiryTimer);
  };

  return new ReadableStream<Uint8Array>({
    start(controller) {
      const write = (text: string) => {
        if (!closed) controller.enqueue(encoder.encode(text));
      };
      const send = (type: string, data: Record<string, unknown>) =>
        write(`event: ${type}\ndata: ${JSON.stringify(data)}\n\n`);
      const close = () => {
        if (closed) return;
        stop();
        controller.close();
      };
      const schedule = () => {
        clearTimeout(warningTimer);
        clearTimeout(expiryTimer);
        const remaining = expiresAt - manager.clock.now();
        const remainingSeconds = () => Math.max(0, Math.round((expiresAt - manager.clock.now()) / 1000));
        warningTimer = setTimeout(
          () => send("expiring", { remainingSeconds: remainingSeconds() }),
          Math.max(0, remaining - manager.policy.warningMs),
        );
        expiryTimer = setTimeout(close, Math.max(0, remaining));
      };
      unsubscribe = hub.subscribe(record.id, record.userId, (event: StreamEvent) => {
        if (event.type === "extended" && typeof event.data.expiresAt === "string") {
          expiresAt = Date.parse(event.data.expiresAt);
          schedule();
        }
        send(event.type, event.data);
        if (event.type === "revoked" || event.type === "logout") close();
      });
      signal.addEventListener("abort", close, { once: true });
      // Tell EventSource how soon to reconnect, and open the stream at once.
      write("retry: 2000\n: connected\n\n");
      intervals.push(setInterval(() => write(": heartbeat\n\n"), heartbeatMs));
      intervals.push(
        setInterval(() => {
          control.get(record.id).then(
            (current) => {
              if (!current && !closed) {
                send("revoked", {});
                close();
              }
            },
            () => undefined,
          );
        }, RECHECK_MS),
      );
      schedule();
    },
    cancel: stop,
  });
}
