/** Who is signed in. The login cookie is HttpOnly, so the page asks the API (/auth/me). */
import { ApiError, setUnauthorizedHandler } from "./api/client";
import * as api from "./api/endpoints";
import { apiBase, isCrossOrigin } from "./config";
import { mark } from "./marks";

function notKept(base: string): string {
  const page = new URL(document.baseURI).origin;
  return (
    `The token is right, but this browser did not keep the login: the page (${page}) and the API ` +
    `(${new URL(base).origin}) are on different sites, and the login cookie only goes to the API ` +
    "from a page of its own site. Host the page beside the API, or on the same domain (docs/web.md)."
  );
}

export type AuthState = "checking" | "signed-out" | "signed-in";

import { probablySignedIn, remember } from "./signedInHint";

class Auth {
  // Signed in last time: the page is drawn at once, in parallel with the login check, so a
  // session link's view mounts while its data is on the way (it used to wait for /auth/me). An
  // expired login answers 401 to the check and to the data: the login page then shows, saying so.
  state = $state<AuthState>(probablySignedIn() ? "signed-in" : "checking");
  name = $state("");
  /** Why the login page is showing (an expired login), if anything. */
  notice = $state("");
  /** Settles the first time the page knows nobody is signed in: a deep link then mounts its
   * login without waiting for the session view's code (main.ts). */
  readonly signedOut: Promise<void>;
  private settleSignedOut: () => void = () => {};

  constructor() {
    this.signedOut = new Promise((settle) => (this.settleSignedOut = settle));
    setUnauthorizedHandler(() => {
      if (this.state === "signed-in") this.notice = "Your login has expired. Sign in again.";
      this.toSignedOut();
    });
  }

  private toSignedOut(): void {
    this.state = "signed-out";
    remember(false);
    this.settleSignedOut();
  }

  async check(): Promise<void> {
    try {
      this.name = await api.me();
      mark("auth");
      this.state = "signed-in";
      remember(true);
    } catch {
      this.toSignedOut();
    }
  }

  async login(token: string): Promise<void> {
    const name = await api.login(token);
    const base = apiBase();
    if (isCrossOrigin(base)) {
      // Hosted apart, a browser keeps the SameSite=Strict login cookie only when the page and
      // the API are one site; otherwise every call after this one would be a 401. Say so now.
      try {
        await api.me();
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) throw new ApiError(401, notKept(base));
        throw err;
      }
    }
    this.name = name;
    this.notice = "";
    this.state = "signed-in";
    remember(true);
  }

  async logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      this.name = "";
      this.toSignedOut();
    }
  }
}

export const auth = new Auth();
