// Staff sign-in: the token pair, kept across reloads, refreshed before the access token expires.

import { request, setAccessToken } from "./api";

export interface UserSummary {
  id: string;
  role: string;
  unit_code: string | null;
  display_name: string | null;
  username: string | null;
}

interface TokenPair {
  access_token: string;
  refresh_token: string;
  expires_in: number;
  user: UserSummary;
}

interface Stored {
  refresh: string;
  user: UserSummary;
}

const STORAGE_KEY = "smartcity.wall.session";
// Refresh when this share of the access token's life has passed.
const REFRESH_AT = 0.8;

let refreshTimer: number | undefined;
let current: Stored | null = null;
const tokenListeners: Array<(token: string) => void> = [];

export function onNewAccessToken(listener: (token: string) => void): void {
  tokenListeners.push(listener);
}

export function currentUser(): UserSummary | null {
  return current?.user ?? null;
}

function accept(pair: TokenPair): UserSummary {
  current = { refresh: pair.refresh_token, user: pair.user };
  try {
    localStorage.setItem(STORAGE_KEY, JSON.stringify(current));
  } catch {
    // Without storage the wall still works; a reload asks for the password again.
  }
  setAccessToken(pair.access_token);
  window.clearTimeout(refreshTimer);
  refreshTimer = window.setTimeout(() => void refresh(), pair.expires_in * 1000 * REFRESH_AT);
  for (const listener of tokenListeners) listener(pair.access_token);
  return pair.user;
}

export async function signIn(username: string, password: string): Promise<UserSummary> {
  const pair = await request<TokenPair>("POST", "/api/v1/auth/login", { username, password }, false);
  return accept(pair);
}

/** The stored session, refreshed; null when there is none or it has ended. */
export async function resume(): Promise<UserSummary | null> {
  let stored: Stored | null = null;
  try {
    stored = JSON.parse(localStorage.getItem(STORAGE_KEY) ?? "null") as Stored | null;
  } catch {
    stored = null;
  }
  if (!stored?.refresh) return null;
  current = stored;
  return (await refresh()) ? stored.user : null;
}

async function refresh(): Promise<boolean> {
  if (!current) return false;
  try {
    accept(await request<TokenPair>("POST", "/api/v1/auth/refresh", { refresh_token: current.refresh }, false));
    return true;
  } catch {
    forget();
    return false;
  }
}

function forget(): void {
  window.clearTimeout(refreshTimer);
  current = null;
  setAccessToken(null);
  try {
    localStorage.removeItem(STORAGE_KEY);
  } catch {
    // nothing stored
  }
}

export async function signOut(): Promise<void> {
  const refreshToken = current?.refresh;
  if (refreshToken) {
    try {
      // Signed in still: the route needs the access token of the sign-in it ends.
      await request("POST", "/api/v1/auth/logout", { refresh_token: refreshToken });
    } catch {
      // The session ends on its own when the refresh token expires.
    }
  }
  forget();
}
