import { type DemoClient, describeFailure } from "./client.js";
import { hook, interceptSubmit, showError } from "./dom.js";
import { navigate, takeNotice } from "./navigation.js";

/** /login and /register: sign in through the client, so every open tab hears of it. */
export function setupAuthPage(client: DemoClient, mode: "login" | "register"): void {
  showNotice(takeNotice());
  // Signed in here or in another tab: this tab has nothing left to do on a sign-in form.
  client.on("login", () => navigate("/"));

  const form = hook<HTMLFormElement>(`${mode}-form`);
  if (!form) return;
  interceptSubmit(form, async () => {
    const data = new FormData(form);
    const username = String(data.get("username") ?? "");
    const password = String(data.get("password") ?? "");
    showError(null);
    try {
      if (mode === "login") await client.login({ username, password, remember: data.has("remember") });
      else await client.register({ username, password });
    } catch (error) {
      showError(describeFailure(error));
      form.querySelector<HTMLInputElement>('input[name="password"]')?.select();
      return;
    }
    navigate("/");
  });
}

function showNotice(text: string | undefined): void {
  if (!text || hook("notice")) return;
  const notice = document.createElement("p");
  notice.className = "alert info";
  notice.dataset.stint = "notice";
  notice.textContent = text;
  hook("form-error")?.after(notice);
}
