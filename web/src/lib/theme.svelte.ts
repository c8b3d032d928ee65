/** Light, dark or the system's choice; remembered in localStorage, applied as data-theme on <html>. */
export type ThemeChoice = "light" | "dark" | "system";
const KEY = "av-theme";
const CHOICES: readonly ThemeChoice[] = ["system", "light", "dark"];

function stored(): ThemeChoice {
  try {
    const value = localStorage.getItem(KEY);
    return CHOICES.includes(value as ThemeChoice) ? (value as ThemeChoice) : "system";
  } catch {
    return "system";
  }
}

class Theme {
  choice = $state<ThemeChoice>(stored());

  apply(): void {
    document.documentElement.dataset.theme = this.choice;
  }

  set(choice: ThemeChoice): void {
    this.choice = choice;
    try {
      localStorage.setItem(KEY, choice);
    } catch {
      /* private mode: the choice lasts for this page only */
    }
    this.apply();
  }

  /** system → light → dark → system */
  cycle(): void {
    this.set(CHOICES[(CHOICES.indexOf(this.choice) + 1) % CHOICES.length] ?? "system");
  }
}

export const theme = new Theme();
