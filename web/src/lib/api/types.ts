/** The shapes the page reads from the API.
 *
 * Where the OpenAPI document declares a response model, these are aliases of the generated
 * types; routes whose answers are still free-form objects in the document are described here
 * (docs/api.md), and each alias switches to the generated type once the route declares it.
 */
export interface Session {
  id: string;
  session_id: string;
  machine: string;
  agent: string;
  project: string | null;
  cwd: string | null;
  git_branch: string | null;
  first_message: string | null;
  display_name: string | null;
  created_at: string | null;
  started_at: string | null;
  ended_at: string | null;
  last_activity: string | null;
  message_count: number;
  user_message_count: number;
  tool_call_count: number;
  parent_session_id: string | null;
  relationship: string | null;
  parent_tool_use_id: string | null;
  models: string[] | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_creation_tokens: number | null;
  cache_read_tokens: number | null;
  peak_context_tokens: number | null;
  deleted_at: string | null;
  updated_at: string | null;
  version: number;
  /** Set by the `history` work: the session's log is gone from its machine. */
  source_gone?: boolean | null;
}

export interface ToolCall {
  call_index: number;
  tool_use_id: string | null;
  tool_name: string;
  category: string | null;
  input_json: string | null;
  skill_name: string | null;
  result_content: string | null;
  result_length: number | null;
  result_truncated: boolean | null;
  result_is_error: boolean | null;
  subagent_session_id: string | null;
}

export interface Block {
  type: string;
  text?: string;
  id?: string;
  name?: string;
  [key: string]: unknown;
}

export interface Message {
  ordinal: number;
  role: string;
  content: string;
  blocks: Block[] | null;
  timestamp: string | null;
  model: string | null;
  message_key: string | null;
  has_thinking: boolean;
  has_tool_use: boolean;
  is_system: boolean;
  content_length: number;
  input_tokens: number | null;
  output_tokens: number | null;
  cache_creation_tokens: number | null;
  cache_read_tokens: number | null;
  tool_calls?: ToolCall[];
}

export interface NamedCount {
  name: string;
  session_count: number;
  message_count: number;
  last_activity: string | null;
}

export interface SessionsPage {
  sessions: Session[];
  next_cursor: string | null;
  total: number;
}
