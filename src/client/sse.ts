/** One event of a `text/event-stream`: its name and its data as sent (comments are skipped). */
export interface ServerSentEvent {
  type: string;
  data: string;
}

/**
 * Reads a `text/event-stream` body to its end, one named event at a time (the WHATWG format:
 * frames end with a blank line, `event:` names, `data:` lines join with "\n"). For code that
 * cannot use `EventSource`, which sends no `Authorization` header.
 */
export async function* readServerSentEvents(body: ReadableStream<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, "\n");
      let end = buffer.indexOf("\n\n");
      while (end !== -1) {
        const frame = parseFrame(buffer.slice(0, end));
        buffer = buffer.slice(end + 2);
        if (frame) yield frame;
        end = buffer.indexOf("\n\n");
      }
    }
  } finally {
    reader.releaseLock();
  }
}

function parseFrame(frame: string): ServerSentEvent | null {
  let type: string | undefined;
  const data: string[] = [];
  for (const line of frame.split("\n")) {
    if (line.startsWith("event:")) type = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  return type ? { type, data: data.join("\n") } : null;
}
