/** The page's `[data-stint="…"]` hooks: the same names the browser tests use. */
export function hook<E extends Element = HTMLElement>(name: string, root: ParentNode = document): E | null {
  return root.querySelector<E>(`[data-stint="${name}"]`);
}

export function hooks<E extends Element = HTMLElement>(name: string, root: ParentNode = document): E[] {
  return [...root.querySelectorAll<E>(`[data-stint="${name}"]`)];
}

/**
 * Takes over a form's submit: the no-JS post is cancelled and `run` does the same through
 * the API. The submit button is marked busy meanwhile so a double click sends one request.
 */
export function interceptSubmit(form: HTMLFormElement, run: (form: HTMLFormElement) => Promise<void>): void {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"], button:not([type])');
    if (button?.getAttribute("aria-busy") === "true") return;
    button?.setAttribute("aria-busy", "true");
    run(form)
      .catch((error: unknown) => console.error("stint demo: a form action failed", error))
      .finally(() => button?.removeAttribute("aria-busy"));
  });
}

/** Shows a message in the page's `role="alert"` box (or hides it when `message` is null). */
export function showError(message: string | null): void {
  const box = hook("form-error");
  if (!box) return;
  box.textContent = message ?? "";
  box.hidden = message === null;
}
