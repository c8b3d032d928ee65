/** The server's own lists of projects, machines and agents (one-shot sessions included), for
 * the filters' typeahead: every value the server knows, not only the loaded sessions'. Shared by
 * the session list's filters and the search page's. */
import * as api from "../api/endpoints";
import type { NamedCount } from "../api/types";

export class NamedLists {
  projects = $state<NamedCount[]>([]);
  machines = $state<NamedCount[]>([]);
  agents = $state<NamedCount[]>([]);

  /** Asks for the three lists; one that fails to load stays empty. */
  load(): void {
    void api.namedList("projects", { include_one_shot: true }).then((v) => (this.projects = v)).catch(() => {});
    void api.namedList("machines", { include_one_shot: true }).then((v) => (this.machines = v)).catch(() => {});
    void api.namedList("agents", { include_one_shot: true }).then((v) => (this.agents = v)).catch(() => {});
  }
}
