/**
 * Gives a test file a page to render into: happy-dom's window and document as its globals,
 * at `http://stint.test/`. Import it before anything that loads react-dom, which looks for a
 * DOM when it loads.
 *
 * Vitest's `happy-dom` environment would do the same but also replace Node's fetch family
 * (`Request`, `Response`, `Headers`, `fetch`) with happy-dom's, whose `Request` strips
 * `Cookie` and `Origin` as a page's must. These tests run a real Stint in the same process,
 * with a cookie jar (`TestBrowser`) standing in for the browser's network layer, and the
 * server must receive both; so Node's fetch family is kept, as on a server.
 */
import { Window } from "happy-dom";
import { afterAll } from "vitest";
import { populateGlobal } from "vitest/runtime";

const page = new Window({
  url: "http://stint.test/",
  console: globalThis.console,
  // An exception in a listener fails the test instead of becoming a window "error" event.
  settings: { disableErrorCapturing: true },
});
const { keys, originals } = populateGlobal(globalThis, page, { bindFunctions: true });

afterAll(async () => {
  for (const key of keys) Reflect.deleteProperty(globalThis, key);
  for (const [key, value] of originals) Reflect.set(globalThis, key, value);
  await page.happyDOM.abort();
  page.close();
});
