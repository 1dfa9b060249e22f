import type { IncomingMessage } from "node:http";

/** Same cap as the API's (API.md: 64 KiB): a form is converted, never allowed to grow. */
const MAX_FORM_BYTES = 64 * 1024;

export class FormTooLargeError extends Error {
  constructor() {
    super("The form is over 64 KiB.");
    this.name = "FormTooLargeError";
  }
}

export type FormFields = Record<string, string>;

/**
 * Reads an urlencoded form body, counting bytes as they arrive. The first value of a
 * repeated name wins (as the API's own form reader does), and the result has no prototype,
 * so a field named `__proto__` or `constructor` is just a field. Any other body type reads
 * as an empty form, which the API then refuses with its own message.
 */
export async function readForm(request: IncomingMessage): Promise<FormFields> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.byteLength;
    if (size > MAX_FORM_BYTES) {
      request.resume();
      throw new FormTooLargeError();
    }
    chunks.push(chunk);
  }
  const type = (request.headers["content-type"] ?? "").split(";")[0]?.trim().toLowerCase();
  const fields: FormFields = Object.create(null);
  if (type !== "application/x-www-form-urlencoded") return fields;
  for (const [name, value] of new URLSearchParams(Buffer.concat(chunks).toString("utf8"))) {
    if (!Object.hasOwn(fields, name)) fields[name] = value;
  }
  return fields;
}
