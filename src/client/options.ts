import type { Clock } from "./clock.js";
import type { DebugLogger } from "./debug.js";
import type { EventSourceFactory } from "./event-stream.js";
import type { Leader } from "./leader.js";
import type { TabChannel } from "./tab-channel.js";

export interface AutoExtendOptions {
  /** At most one extension per this many seconds, however busy the user is. Default 60. */
  throttleSeconds?: number;
}

export interface SessionClientOptions {
  /** Prefix of every API path; "" (the default) means this origin. */
  baseUrl?: string;
  /** Names the tab channel and the leader lock; tabs with the same name sync. Default "stint". */
  name?: string;
  /** Default `createTabChannel(name)`. The client closes it on `close()`. */
  channel?: TabChannel;
  /** Default `createLeader(name)`. The client closes it on `close()`. */
  leader?: Leader;
  clock?: Clock;
  fetch?: typeof globalThis.fetch;
  /** Opens the leader's event stream; null turns the stream off. Default `new EventSource(url)` where it exists. */
  eventSource?: EventSourceFactory | null;
  /** `warning` fires this many seconds before expiry. Default 60. */
  warningThresholdSeconds?: number;
  /** Extend the session on user activity in any tab. Default false. */
  autoExtend?: boolean | AutoExtendOptions;
  /** How often the leader re-reads the session (passively); 0 turns polling off. Default 60. */
  pollIntervalSeconds?: number;
  /** Signals arriving within this window collapse into one request. Default 50 ms. */
  debounceMs?: number;
  /** Receives focus, online and user-activity events; default `window`, null for none. */
  window?: EventTarget | null;
  /** Receives `visibilitychange`; default `document`, null for none. */
  document?: (EventTarget & { readonly visibilityState?: string }) | null;
  /** `true` logs to `console.debug`; never logs a token or session data. */
  debug?: boolean | DebugLogger;
  /** This tab's id on the channel; random by default. */
  tabId?: string;
}

export const defaultThrottleMs = 60_000;

/** The auto-extend throttle in ms, or null when auto-extend is off. */
export function throttleOf(option: boolean | AutoExtendOptions | undefined): number | null {
  if (!option) return null;
  if (option === true) return defaultThrottleMs;
  return Math.max(0, (option.throttleSeconds ?? defaultThrottleMs / 1000) * 1000);
}

export function defaultEventSource(): EventSourceFactory | null {
  return typeof globalThis.EventSource === "function" ? (url) => new EventSource(url) : null;
}
