"""Redaction: every built-in kind, no false alarms on ordinary text, JSON kept valid, user patterns."""

from __future__ import annotations

import json
import random
import string

import pytest

from client.model import Message, Session, ToolCall
from client.redact import RedactionConfigError, Redactor
from client.wire import session_to_wire

# Built at run time from a seeded RNG (realistic entropy), so this file holds no literal secret shapes.
_rng = random.Random(7)


def _rand(n: int, alphabet: str = string.ascii_letters + string.digits) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


AWS = "AKIA" + _rand(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
AWS_SECRET = _rand(40, string.ascii_letters + string.digits + "/+")
GHP = "ghp_" + _rand(36)
CASES = [
    ("aws-access-token", f"key {AWS} here", AWS),
    (
        "aws-access-token",
        "key AKIA" + "Z7Q2X4V6B8N0M1L3 here",
        "Z7Q2X4V6B8N0M1L3",
    ),  # digits gitleaks' rule refuses
    ("aws-secret-key", "aws_secret_access_key = " + AWS_SECRET, AWS_SECRET),
    ("github-pat", f"token {GHP} end", GHP),
    (
        "github-fine-grained-pat",
        "github_pat_" + (fg := _rand(82, string.ascii_letters + string.digits + "_")),
        fg,
    ),
    ("anthropic-key", "ANTHROPIC=sk-ant-" + "admin01-" + (ak := _rand(40)), ak),
    ("openai-key", "use sk-proj-" + (ok := _rand(45)) + " now", ok),
    (
        "slack-bot-token",
        (sb := "xoxb-" + _rand(12, string.digits) + "-" + _rand(12, string.digits) + "-" + _rand(24)),
        sb,
    ),
    (
        "slack-webhook-url",
        "https://hooks.slack.com/services/" + (sw := "T0" + _rand(9) + "/B0" + _rand(9) + "/" + _rand(24)),
        sw,
    ),
    ("stripe-access-token", "sk_" + "live_" + (st := _rand(24)), st),
    ("gcp-api-key", "AIza" + (gk := _rand(35, string.ascii_letters + string.digits + "_-")), gk),
    (
        "private-key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + _rand(64) + "\n-----END RSA PRIVATE KEY-----",
        "MIIEow",
    ),
    (
        "jwt",
        "Bearer: eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4",
    ),
    ("url-password", "DATABASE_URL postgres://app:s3cr3t-pw@db.internal:5432/app", "s3cr3t-pw"),
    ("password", "host=db user=app password=s3cr3t-pw dbname=app", "s3cr3t-pw"),
    ("env-secret", "export STRIPE_SECRET=abc123def456\nDEBUG=1", "abc123def456"),
    ("env-secret", "API_KEY: 'hunter22hunter'", "hunter22hunter"),
    ("env-secret", "MYSQL_PWD=Hunter-22-x mysql -u root", "Hunter-22-x"),
    ("password", 'config = {"password": "correct horse 42"}', "correct horse 42"),
    ("password", "db_password=hunter2-9Qz", "hunter2-9Qz"),
    ("password", "database:\n  password: s3cr3t-Pa55\n", "s3cr3t-Pa55"),
    ("cli-secret", "pg_dump --password 'Zx9-qq-77' --host db", "Zx9-qq-77"),
    (
        "curl-auth-header",
        "curl -H 'Authorization: Basic YWRtaW46U3VwM3ItU2VjcmV0'",
        "YWRtaW46U3VwM3ItU2VjcmV0",
    ),
    ("auth-header", "headers: Authorization: Basic YWRtaW46U3VwM3ItU2VjcmV0", "YWRtaW46U3VwM3ItU2VjcmV0"),
    ("auth-header", "Authorization: Bearer " + (bt := _rand(40)), bt),
    ("url-secret-param", "https://api.example.com/x?format=csv&token=" + (ut := _rand(32)), ut),
    ("netrc-password", "machine api.heroku.com login me@example.com password 9f1c-77aa-Q2", "9f1c-77aa-Q2"),
    (
        "slack-app-token",
        (
            xa
            := f"xapp-1-A{_rand(10, string.ascii_uppercase)}-{_rand(13, string.digits)}-{_rand(64, 'abcdef0123456789')}"
        ),
        xa,
    ),
    ("gitlab-pat", (gl := "glpat-" + _rand(20)), gl),
    ("huggingface-access-token", (hf := "hf_" + _rand(34, string.ascii_letters)), hf),
    ("npm-access-token", (npm := "npm_" + _rand(36, string.ascii_lowercase + string.digits)), npm),
    ("sendgrid-api-token", (sg := "SG." + _rand(22) + "." + _rand(43)), sg),
    (
        "azure-storage-key",
        "AccountName=a;AccountKey="
        + (az := _rand(86, string.ascii_letters + string.digits + "+/") + "==")
        + ";",
        az,
    ),
    ("aws-session-token", 'AWS_SESSION_TOKEN="IQoJb3JpZ2luX2VjE' + (ss := _rand(200)) + '"', ss),
]


@pytest.mark.parametrize(("kind", "text", "secret"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_kind_is_replaced_by_a_marker_naming_it(kind: str, text: str, secret: str) -> None:
    r = Redactor()
    out = r.text(text)
    assert secret not in out
    assert f"[REDACTED:{kind}]" in out
    assert r.counts[kind] >= 1


def test_context_is_kept_around_the_secret() -> None:
    r = Redactor()
    assert r.text("postgres://app:pw123@db/x") == "postgres://app:[REDACTED:url-password]@db/x"
    assert r.text("DB_PASSWORD=hunter22\nDEBUG=1") == "DB_PASSWORD=[REDACTED:env-secret]\nDEBUG=1"
    # A password holding '@' and ':' is redacted whole; the host is kept.
    assert r.text("postgres://app:p@ss:w0rd@db:5432/x") == "postgres://app:[REDACTED:url-password]@db:5432/x"
    assert r.text('{"password": "hunter2x"}') == '{"password": "[REDACTED:password]"}'


@pytest.mark.parametrize(
    "text",
    [
        "token = get_token()",  # code, not a .env line
        "def login(username: str, password: str) -> None:",
        "client = Client(token=token, timeout=10)",
        "max_tokens=4096, temperature=0.2",
        "--password-file /run/secrets/db --token-stdin",
        "Authorization: Bearer $TOKEN",
        "see https://example.com:8080/path@v2 and git@github.com:org/repo.git",
        "the task-list sk- prefix alone",
        "PASSWORD=$DB_PASSWORD",  # a reference, not a value
        "AKIA is just a prefix",
        "def private_key(self): ...",
        "eyJhbGciOi alone is not a JWT",
    ],
)
def test_ordinary_text_is_left_alone(text: str) -> None:
    r = Redactor()
    assert r.text(text) == text and not r.counts


def test_tool_input_json_stays_valid_json() -> None:
    r = Redactor()
    raw = json.dumps(
        {
            "command": f"AWS_SECRET_ACCESS_KEY=abc123xyz789 aws s3 ls # {AWS}",
            "env": "-----BEGIN PRIVATE KEY-----\nQUJD\n-----END PRIVATE KEY-----",
            "url": "redis://:pa55word@cache:6379",
        }
    )
    out = json.loads(r.text(raw))
    assert "abc123xyz789" not in out["command"] and AWS not in out["command"]
    assert "QUJD" not in out["env"] and "pa55word" not in out["url"]


def test_user_patterns_from_config_and_bad_ones_named() -> None:
    r = Redactor(["ACME-[0-9]{6}"])
    assert r.text("ticket ACME-123456") == "ticket [REDACTED:custom]"
    with pytest.raises(RedactionConfigError, match=r"redact_patterns\[0\]"):
        Redactor(["(unclosed"])


def test_user_rules_in_gitleaks_shape_extend_the_table() -> None:
    rule = {
        "id": "acme-token",
        "regex": r"(?i)\b(acme_[a-z0-9]{12})\b",
        "keywords": ["acme_"],
        "entropy": 2.5,
    }
    r = Redactor([rule])
    assert r.text("use ACME_q8w7e6r5t4y3 here") == "use [REDACTED:acme-token] here"
    assert r.text("acme_aaaaaaaaaaaa") == "acme_aaaaaaaaaaaa"  # below the entropy floor
    assert r.describe()[-1]["kind"] == "acme-token" and r.describe()[-1]["source"] == "config"
    assert Redactor([rule]).key == r.key != Redactor().key  # the state cache follows the rule set
    for bad, message in [
        ({"id": "x"}, "'regex'"),
        ({"regex": "a(", "keywords": ["a"]}, "not valid"),
        ({"regex": "a", "keywords": "a"}, "keywords"),
        ({"regex": "(a)", "secretGroup": 3}, "secretGroup"),
        ({"id": "bad id!", "regex": "a"}, "id"),
    ]:
        with pytest.raises(RedactionConfigError, match=message):
            Redactor([bad])


def test_gitleaks_rules_load_with_python_syntax_and_entropy_and_allowlists() -> None:
    from client.gitleaks_rules import load, translate

    ruleset = load()
    assert len(ruleset.rules) > 200  # every regex rule of the pinned file compiles
    assert translate("ab(?i)c|d") == "ab(?i:c)|(?i:d)"  # RE2 flags run to the end of the group
    assert translate(r"a\z") == r"a\Z"
    r = Redactor()
    low = "ghp_" + "a" * 36  # a real shape, but one character repeated: below gitleaks' entropy floor
    assert r.text(low) == low


def test_metadata_is_never_redacted() -> None:
    secret = "ghp_" + _rand(36)
    session = Session(
        "s1",
        "claude",
        cwd=f"/home/me/{secret}",
        git_branch=f"feature/{secret}",
        project=f"proj-{secret}",
        first_message="hi",
        messages=[
            Message(0, "assistant", "ok", model=f"model-{secret}", tool_calls=[ToolCall(0, f"Tool{secret}")]),
        ],
    )
    wire = session_to_wire(session, Redactor())
    assert (
        wire["cwd"].endswith(secret)
        and wire["git_branch"].endswith(secret)
        and wire["project"].endswith(secret)
    )
    assert wire["messages"][0]["model"].endswith(secret)
    assert wire["messages"][0]["tool_calls"][0]["tool_name"].endswith(secret)


def test_secret_named_fields_in_blocks_are_redacted_whole() -> None:
    r = Redactor()
    blocks = [
        {"type": "tool_use", "name": "Bash", "input": {"password": "hunter", "token_type": "bearer", "n": 1}},
        {"type": "text", "text": "plain"},
    ]
    session = {"messages": [{"content": "x", "blocks": blocks, "tool_calls": []}]}
    out = r.session(session)["messages"][0]["blocks"]
    assert out[0]["input"] == {"password": "[REDACTED:secret-field]", "token_type": "bearer", "n": 1}
    assert out[1] == {"type": "text", "text": "plain"} and r.counts["secret-field"] == 1


def test_json_escaped_secrets_in_tool_inputs_keep_the_json_valid() -> None:
    r = Redactor()
    raw = json.dumps(
        {"command": f'export AWS_SECRET_ACCESS_KEY="{AWS_SECRET}" && aws s3 ls', "pw": "--password 'x9-Y'"}
    )
    assert '\\"' in raw  # the quotes really are escaped
    out = r.tool_input(raw)
    assert AWS_SECRET not in out and "x9-Y" not in out and json.loads(out)["command"].endswith("aws s3 ls")


def test_tokens_wrapped_across_lines_and_base64_wrapped_secrets() -> None:
    r = Redactor()
    wrapped = f"{'x' * 30} {GHP[:20]}\n{GHP[20:]} done"
    out = r.text(wrapped)
    assert GHP[:20] not in out and GHP[20:] not in out and out.endswith(" done")
    assert r.text(json.dumps(wrapped)).count("[REDACTED:") == 1  # \\n inside JSON too
    b64 = __import__("base64").b64encode(f"GITHUB_TOKEN={GHP}".encode()).decode()
    assert r.text(f"echo {b64} | base64 -d") == "echo [REDACTED:base64:github-pat] | base64 -d"
    assert r.text("DB_PASSWORD=hunter22\nDEBUG=1").endswith("\nDEBUG=1")  # a short line is not a wrapped one


def test_the_rules_command_prints_the_table() -> None:
    from click.testing import CliRunner

    from client.cli import main

    result = CliRunner().invoke(main, ["rules", "--json"], env={"AV_USER_PATH": "/nonexistent-av-user"})
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"gitleaks", "av-cloud"} <= {row["source"] for row in rows}
    assert {"password", "url-password", "gitlab-pat"} <= {row["kind"] for row in rows}


def test_redaction_covers_every_field_and_happens_before_the_fingerprint() -> None:
    secret = GHP
    session = Session(
        "s1",
        "claude",
        first_message=f"use {secret}",
        messages=[
            Message(0, "user", f"use {secret}", blocks=[{"type": "text", "text": secret}]),
            Message(
                1,
                "assistant",
                "ok",
                tool_calls=[ToolCall(0, "Bash", input_json=json.dumps({"c": secret}), result_content=secret)],
            ),
        ],
    )
    r = Redactor()
    wire = session_to_wire(session, r)
    assert secret not in json.dumps(wire)
    assert r.counts["github-pat"] == 5
    plain = session_to_wire(session)
    assert plain["fingerprint"] != wire["fingerprint"]
    # Same input, same redaction, same fingerprint: the fingerprint describes what is sent.
    assert session_to_wire(session, Redactor())["fingerprint"] == wire["fingerprint"]
