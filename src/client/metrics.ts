/** `SessionClient.metrics()`: how this tab's syncs with the server went. */
export interface ClientMetrics {
  /** Successful reads of the session or its state. */
  syncs: number;
  /** Failed requests to the API (a 401 from `GET /api/session` just means "no session" and is not one). */
  errors: number;
  /** Mean duration of the successful syncs, in ms; 0 before the first. */
  averageSyncMs: number;
  /** Local epoch ms of the last successful sync, or null. */
  lastSyncAt: number | null;
}

export class MetricsRecorder {
  #syncs = 0;
  #errors = 0;
  #totalMs = 0;
  #lastSyncAt: number | null = null;

  sync(durationMs: number, at: number): void {
    this.#syncs += 1;
    this.#totalMs += durationMs;
    this.#lastSyncAt = at;
  }

  error(): void {
    this.#errors += 1;
  }

  snapshot(): ClientMetrics {
    return {
      syncs: this.#syncs,
      errors: this.#errors,
      averageSyncMs: this.#syncs === 0 ? 0 : this.#totalMs / this.#syncs,
      lastSyncAt: this.#lastSyncAt,
    };
  }
}
