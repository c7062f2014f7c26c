// The page's own counters, read by the end-to-end tests and the benchmark through window.__wall.

export type SocketState = "idle" | "connecting" | "live" | "reconnecting" | "closed";

export interface WallStats {
  eventsApplied: number;
  eventsReceived: number;
  duplicatesDropped: number;
  lastEventId: string | null;
  lastCursor: string | null;
  socketState: SocketState;
  connects: number;
  resumes: number;
  lastResumeReplayed: number;
  firstMapIdleAt: number | null;
  // performance.now() values, so milliseconds since the navigation started.
  firstLiveAt: number | null;
  alarmsLoadedAt: number | null;
  signedInAt: number | null;
  alarmsListed: number;
  tileJsonLoaded: string[];
  tileJsonFailed: string[];
  lagMs: number;
}

export const stats: WallStats = {
  eventsApplied: 0,
  eventsReceived: 0,
  duplicatesDropped: 0,
  lastEventId: null,
  lastCursor: null,
  socketState: "idle",
  connects: 0,
  resumes: 0,
  lastResumeReplayed: 0,
  firstMapIdleAt: null,
  firstLiveAt: null,
  alarmsLoadedAt: null,
  signedInAt: null,
  alarmsListed: 0,
  tileJsonLoaded: [],
  tileJsonFailed: [],
  lagMs: 0,
};

interface WallHandle {
  readonly stats: Readonly<WallStats>;
  /** Close the live socket as a network failure would; with hold, stay offline until resumeSocket(). */
  dropSocket(hold?: boolean): void;
  resumeSocket(): void;
}

const hooks = { dropSocket: (_hold: boolean): void => undefined, resumeSocket: (): void => undefined };

export function setSocketHooks(drop: (hold: boolean) => void, resume: () => void): void {
  hooks.dropSocket = drop;
  hooks.resumeSocket = resume;
}

declare global {
  interface Window {
    __wall: WallHandle & Readonly<WallStats>;
  }
}

// Read-only from outside: a getter per counter, plus the test hook.
const handle = {
  stats,
  dropSocket: (hold = false) => hooks.dropSocket(hold),
  resumeSocket: () => hooks.resumeSocket(),
} as WallHandle & Readonly<WallStats>;
for (const key of Object.keys(stats) as Array<keyof WallStats>) {
  Object.defineProperty(handle, key, { get: () => stats[key], enumerable: true });
}
window.__wall = Object.freeze(handle);
