/** The shapes the page reads from the API: aliases of the types generated from the viewer's
 * OpenAPI document (schema.d.ts), so a changed response model shows up as a type error here.
 */
import type { components } from "./schema";

type Schemas = components["schemas"];

export type Session = Schemas["Session"] & {
  /** The session's log file is gone from its machine (the `history` work; absent until then). */
  gone_locally_at?: string | null;
};
export type Message = Schemas["Message"];
export type ToolCall = Schemas["ToolCall"];
export type Cut = Schemas["Cut"];
export type TextRange = Schemas["TextRange"];
export type NamedCount = Schemas["NameCount"];
export type SearchHit = Schemas["SearchHit"];
export type SessionsPage = Schemas["SessionPage"];

/** One structured block of a message: free-form and hostile; only these fields are read. */
export interface Block {
  type?: unknown;
  text?: unknown;
  id?: unknown;
  name?: unknown;
}
