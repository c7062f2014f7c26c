// The live channel: sign in on the socket, subscribe, and after a lost connection reconnect with backoff and
// resume_after (the cursor of the last event applied), so that what happened meanwhile is applied too.

import { stats } from "./stats";

export interface EventEnvelope {
  id: string;
  type: string;
  occurred_at: string;
  unit_code: string | null;
  location: { lat: number; lon: number } | null;
  subject_id: string | null;
  data: Record<string, unknown>;
}

export interface LiveHandlers {
  event(event: EventEnvelope): void;
  state(state: typeof stats.socketState): void;
  /** The server could not replay everything since the cursor: reload the current state over HTTP. */
  gap(): void;
}

const TOPICS = ["alerts", "devices", "feedback", "warnings"];
const FIRST_DELAY_MS = 500;
const MAX_DELAY_MS = 15_000;
// Event ids remembered to drop one seen twice (a replay overlapping what arrived live).
const REMEMBERED_IDS = 5000;

export class LiveChannel {
  private socket: WebSocket | null = null;
  private token: string;
  private delay = FIRST_DELAY_MS;
  private retryTimer: number | undefined;
  private watchdog: number | undefined;
  private heartbeatMs = 30_000;
  private stopped = false;
  private held = false;
  private seen = new Set<string>();
  private seenOrder: string[] = [];

  constructor(
    private readonly url: string,
    token: string,
    private readonly handlers: LiveHandlers,
  ) {
    this.token = token;
  }

  start(): void {
    this.stopped = false;
    this.open();
  }

  stop(): void {
    this.stopped = true;
    window.clearTimeout(this.retryTimer);
    window.clearTimeout(this.watchdog);
    this.socket?.close(1000, "signed out");
    this.socket = null;
    this.setState("closed");
  }

  /** A fresh access token: sent on the open socket, which extends the connection, and used to reconnect. */
  renew(token: string): void {
    this.token = token;
    if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(JSON.stringify({ type: "auth", token }));
  }

  /** Drop the connection as a network failure would; with `hold`, stay offline until release(). */
  drop(hold: boolean): void {
    this.held = hold;
    this.socket?.close(4000, "dropped");
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    if (!this.socket && !this.stopped) this.open();
  }

  private setState(state: typeof stats.socketState): void {
    stats.socketState = state;
    this.handlers.state(state);
  }

  private open(): void {
    this.setState(stats.connects === 0 ? "connecting" : "reconnecting");
    const socket = new WebSocket(this.url);
    this.socket = socket;
    socket.onopen = () => socket.send(JSON.stringify({ type: "auth", token: this.token }));
    socket.onmessage = (message) => this.receive(socket, String(message.data));
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      window.clearTimeout(this.watchdog);
      if (!this.stopped) this.retry();
    };
    socket.onerror = () => socket.close();
  }

  private retry(): void {
    this.setState("reconnecting");
    if (this.held) return;
    // Full jitter, so that a wall of screens does not come back all in the same millisecond.
    const wait = Math.random() * this.delay;
    this.delay = Math.min(this.delay * 2, MAX_DELAY_MS);
    this.retryTimer = window.setTimeout(() => this.open(), wait);
  }

  private armWatchdog(socket: WebSocket): void {
    // Two heartbeats missed: the connection is dead even if the browser has not noticed.
    window.clearTimeout(this.watchdog);
    this.watchdog = window.setTimeout(() => socket.close(), this.heartbeatMs * 2 + 1000);
  }

  private receive(socket: WebSocket, text: string): void {
    const message = JSON.parse(text) as { type: string; [key: string]: unknown };
    this.armWatchdog(socket);
    switch (message.type) {
      case "ready": {
        this.heartbeatMs = Number(message.heartbeat_seconds ?? 30) * 1000;
        const subscribe: Record<string, unknown> = { type: "subscribe", topics: TOPICS };
        if (stats.lastCursor) subscribe.resume_after = stats.lastCursor;
        socket.send(JSON.stringify(subscribe));
        break;
      }
      case "subscribed":
        if (!stats.lastCursor) {
          // Back without a cursor to resume from (no event had come yet): what changed meanwhile is
          // read again over HTTP instead.
          if (stats.connects > 0) this.handlers.gap();
          this.connected();
        }
        break;
      case "resumed":
        stats.resumes += 1;
        stats.lastResumeReplayed = Number(message.replayed ?? 0);
        if (message.gap) this.handlers.gap();
        this.connected();
        break;
      case "event":
        this.event(String(message.cursor), message.event as EventEnvelope);
        break;
      default:
        // heartbeat, pong, error: nothing to apply (new message types are ignored).
        break;
    }
  }

  private connected(): void {
    stats.connects += 1;
    stats.firstLiveAt ??= performance.now();
    this.delay = FIRST_DELAY_MS;
    this.setState("live");
  }

  private event(cursor: string, event: EventEnvelope): void {
    stats.eventsReceived += 1;
    stats.lastCursor = cursor;
    if (this.seen.has(event.id)) {
      stats.duplicatesDropped += 1;
      return;
    }
    this.seen.add(event.id);
    this.seenOrder.push(event.id);
    if (this.seenOrder.length > REMEMBERED_IDS) this.seen.delete(this.seenOrder.shift() as string);
    try {
      this.handlers.event(event);
    } finally {
      stats.eventsApplied += 1;
      stats.lastEventId = event.id;
      stats.lagMs = Date.now() - Date.parse(event.occurred_at);
    }
  }
}
