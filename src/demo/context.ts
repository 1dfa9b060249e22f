import type { Stint } from "../app/stint.js";
import type { TrustProxy } from "../http/adapters/node.js";
import type { Assets } from "./static.js";
import type { Shell } from "./views/layout.js";

/** What every demo route needs. */
export interface DemoContext {
  stint: Stint;
  assets: Assets;
  trustProxy: TrustProxy;
}

export async function shellOf(context: DemoContext): Promise<Shell> {
  const [stylesUrl, scriptUrl] = await Promise.all([context.assets.url("styles.css"), context.assets.url("app.js")]);
  return { stylesUrl, scriptUrl };
}
