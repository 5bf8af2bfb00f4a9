/**
 * Who is signed in, and whether Foyer still needs its first-run setup. The
 * session itself is the daemon's HttpOnly cookie; this only mirrors what
 * `/api/setup` and `/api/auth/me` say, and opens the event stream once
 * someone is signed in.
 */
import { ApiError, api, onUnauthenticated } from './api.ts';
import { connectEvents, disconnectEvents } from './events.svelte.ts';
import type { Me, User } from './types.ts';

export const session = $state({
  /** False until the first answers arrived. */
  checked: false,
  setupNeeded: false,
  /** Where the daemon wrote the setup code, while setup is needed. */
  codeFile: undefined as string | undefined,
  me: null as Me | null,
});

/**
 * Whether the signed-in person manages the box (issue 11 §2). The daemon
 * refuses members anyway; the screens use this only to leave out what a
 * member cannot do.
 */
export function isAdmin(): boolean {
  return session.me?.actor.role === 'admin';
}

/** Asks the daemon whether setup is needed and who this browser is. */
export async function loadSession(): Promise<void> {
  // Both at once: the first screen waits for neither more than it must.
  const [setup, me] = await Promise.all([
    api.get<{ needed: boolean; codeFile?: string }>('/setup'),
    api.get<Me>('/auth/me').catch((error: unknown) => {
      if (error instanceof ApiError && error.status === 401) return null;
      throw error;
    }),
  ]);
  session.setupNeeded = setup.needed;
  session.codeFile = setup.codeFile;
  session.me = setup.needed ? null : me;
  session.checked = true;
  if (session.me) connectEvents();
  else disconnectEvents();
}

/** Signs in; throws ApiError FOYER_TOTP_REQUIRED when the account needs its second factor. */
export async function signIn(username: string, password: string, totp?: string): Promise<void> {
  await api.post<{ user: User }>('/auth/login', {
    username,
    password,
    ...(totp ? { totp } : {}),
  });
  await loadSession();
}

/** Claims a fresh Foyer with the setup code; the first admin is signed in. */
export async function completeSetup(code: string, username: string, password: string) {
  await api.post<{ user: User }>('/setup', { code, username, password });
  await loadSession();
}

/** Ends this session. */
export async function signOut(): Promise<void> {
  try {
    await api.post('/auth/logout');
  } finally {
    session.me = null;
    disconnectEvents();
  }
}

// A call that answers 401 means the session ended (expired, signed out elsewhere).
onUnauthenticated(() => {
  if (session.me) {
    session.me = null;
    disconnectEvents();
  }
});
