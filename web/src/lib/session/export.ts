/** Export a session as Markdown or JSON (built in the page from every message), or HTML (the
 * API's self-contained export). Downloads go through a blob: link: nothing leaves the browser.
 */
import type { Message, Session } from "../api/types";

export function toMarkdown(session: Session, messages: readonly Message[]): string {
  const title = session.display_name || session.first_message || session.session_id;
  const head = [
    `# ${title.replace(/\n/g, " ")}`,
    "",
    `- Session: \`${session.id}\``,
    `- Agent: ${session.agent} · Project: ${session.project ?? "–"} · Machine: ${session.machine}`,
    session.started_at ? `- Started: ${session.started_at}` : "",
    "",
  ].filter((l, i) => l !== "" || i > 0);
  const body = messages.map((m) => {
    const lines = [`## ${m.is_system ? "system" : m.role} #${m.ordinal}${m.model ? ` (${m.model})` : ""}`, "", m.content ?? ""];
    for (const c of m.tool_calls ?? []) {
      lines.push("", `**Tool: ${c.tool_name}**`, "", "```json", c.input_json ?? "", "```");
      if (c.result_content) lines.push("", "```", c.result_content, "```");
    }
    return lines.join("\n");
  });
  return [...head, ...body].join("\n\n") + "\n";
}

export function toJson(session: Session, messages: readonly Message[]): string {
  return JSON.stringify({ session, messages }, null, 2) + "\n";
}

export function download(name: string, text: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement("a");
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function fileStem(session: Session): string {
  const day = (session.started_at ?? session.created_at ?? "").slice(0, 10);
  const base = `${session.project || session.agent}-${day || session.session_id}`;
  return base.replace(/[^\w.-]+/g, "_").slice(0, 80);
}
