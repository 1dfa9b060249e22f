/**
 * Stint on SvelteKit. Run: `node --import tsx examples/sveltekit/serve.ts` (PORT, STINT_DB,
 * STINT_SECRET): Vite's dev server; `vite build` with an adapter in production.
 */
import { fileURLToPath } from "node:url";
import { createServer } from "vite";

// SvelteKit reads svelte.config.js and writes .svelte-kit/ in the working directory it was loaded in.
process.chdir(fileURLToPath(new URL(".", import.meta.url)));
const { sveltekit } = await import("@sveltejs/kit/vite");
const vite = await createServer({
  configFile: false,
  plugins: [await sveltekit()],
  server: { port: Number(process.env.PORT ?? 3000), host: "127.0.0.1", hmr: false },
  logLevel: "warn",
});
await vite.listen();
console.log(`listening on ${vite.resolvedUrls?.local[0]}`);
