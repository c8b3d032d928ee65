/** Who is signed in. The login cookie is HttpOnly, so the page asks the API (/auth/me). */
import { setUnauthorizedHandler } from "./api/client";
import * as api from "./api/endpoints";

export type AuthState = "checking" | "signed-out" | "signed-in";

class Auth {
  state = $state<AuthState>("checking");
  name = $state("");
  /** Why the login page is showing (an expired login), if anything. */
  notice = $state("");

  constructor() {
    setUnauthorizedHandler(() => {
      if (this.state === "signed-in") this.notice = "Your login has expired. Sign in again.";
      this.state = "signed-out";
    });
  }

  async check(): Promise<void> {
    try {
      this.name = await api.me();
      this.state = "signed-in";
    } catch {
      this.state = "signed-out";
    }
  }

  async login(token: string): Promise<void> {
    this.name = await api.login(token);
    this.notice = "";
    this.state = "signed-in";
  }

  async logout(): Promise<void> {
    try {
      await api.logout();
    } finally {
      this.name = "";
      this.state = "signed-out";
    }
  }
}

export const auth = new Auth();
