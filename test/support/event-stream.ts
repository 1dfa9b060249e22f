/**
 * A reader of `GET /api/session/events` over a real socket, for tests: it records every
 * server-sent event with the time it arrived, so a test can measure how soon an event
 * published elsewhere (another worker, another server) reached this stream.
 */
export interface SeenEvent {
  type: string;
  data: unknown;
  /** performance.now() when the event's frame was read. */
  at: number;
}

export interface EventStreamReader {
  status: number;
  readonly events: SeenEvent[];
  /** Resolves once the server ends the stream (or the reader is closed). */
  readonly ended: Promise<void>;
  /** The first event of this type (already seen or still to come); rejects after `timeoutMs`. */
  next(type: string, timeoutMs: number): Promise<SeenEvent>;
  close(): void;
}

/**
 * Opens the event stream of the session named by `headers` (a cookie, or a bearer token in
 * `authorization`), through `send` (global fetch by default; a bare handler works too).
 */
export async function openEventStream(
  baseUrl: string,
  headers: { cookie?: string; authorization?: string; userAgent?: string },
  send: (request: Request) => Promise<Response> = (request) => fetch(request),
): Promise<EventStreamReader> {
  const abort = new AbortController();
  const requestHeaders = new Headers({ accept: "text/event-stream", "user-agent": headers.userAgent ?? "test" });
  if (headers.cookie) requestHeaders.set("cookie", headers.cookie);
  if (headers.authorization) requestHeaders.set("authorization", headers.authorization);
  const response = await send(
    new Request(new URL("/api/session/events", baseUrl), { headers: requestHeaders, signal: abort.signal }),
  );
  const events: SeenEvent[] = [];
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const waiter of [...waiters]) waiter();
  };
  let done = false;

  const pump = async () => {
    if (!response.body) return;
    try {
      await readEventStream(response.body, (type, data) => {
        let parsed: unknown = data;
        try {
          parsed = JSON.parse(data);
        } catch {
          // Not JSON: kept as text.
        }
        events.push({ type, data: parsed, at: performance.now() });
        notify();
      });
    } catch {
      // Aborted by close(), or the server went away: either way the stream has ended.
    }
  };
  const ended = pump().finally(() => {
    done = true;
    notify();
  });

  return {
    status: response.status,
    events,
    ended,
    next(type, timeoutMs) {
      return new Promise<SeenEvent>((resolve, reject) => {
        const check = () => {
          const found = events.find((event) => event.type === type);
          if (found) finish(() => resolve(found));
          else if (done) finish(() => reject(new Error(`the stream ended without "${type}"`)));
        };
        const timer = setTimeout(
          () => finish(() => reject(new Error(`no "${type}" event within ${timeoutMs} ms`))),
          timeoutMs,
        );
        const finish = (settle: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          settle();
        };
        waiters.add(check);
        check();
      });
    },
    close: () => abort.abort(),
  };
}

/**
 * Reads a `text/event-stream` body to its end, calling `onEvent` with each named event and
 * its data as sent; comments and frames without `event:` are skipped. Rejects if the body
 * errors (an aborted request, say).
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (type: string, data: string) => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += decoder.decode(value, { stream: true });
    let end = buffer.indexOf("\n\n");
    while (end !== -1) {
      const frame = parseFrame(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
      if (frame) onEvent(frame.type, frame.data);
      end = buffer.indexOf("\n\n");
    }
  }
}

function parseFrame(frame: string): { type: string; data: string } | null {
  let type: string | undefined;
  const data: string[] = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).trim());
  }
  return type ? { type, data: data.join("\n") } : null;
}
