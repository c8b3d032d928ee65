"""Redaction: every built-in kind, no false alarms on ordinary text, JSON kept valid, user patterns."""

from __future__ import annotations

import json

import pytest

from client.model import Message, Session, ToolCall
from client.redact import RedactionConfigError, Redactor
from client.wire import session_to_wire

# Built at run time so this file holds no literal secret shapes.
AWS = "AKIA" + "Z" * 12 + "7QXA"
CASES = [
    ("aws-access-key", f"key {AWS} here", AWS),
    (
        "aws-secret-key",
        "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG/bPxRfiCY" + "EXAMPLEKEY",
        "wJalrXUtn",
    ),
    ("github-token", "token ghp_" + "a1B2" * 9 + " end", "ghp_a1B2"),
    ("github-token", "github_pat_" + "11ABCDEFG0" * 4, "github_pat_11"),
    ("anthropic-key", "ANTHROPIC=sk-ant-" + "api03-" + "x" * 40, "sk-ant-api03"),
    ("openai-key", "use sk-proj-" + "Ab3" * 15 + " now", "sk-proj-Ab3"),
    ("slack-token", "xoxb-" + "1234567890-" * 3 + "abc", "xoxb-1234"),
    ("slack-webhook", "https://hooks.slack.com/services/" + "T0000/B0000/" + "X" * 24, "XXXXXXXXXXXX"),
    ("stripe-key", "sk_" + "live_" + "4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLy"),
    ("google-api-key", "AIza" + "SyD-" + "9" * 31, "AIzaSyD-"),
    (
        "private-key",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEow" + "A" * 64 + "\n-----END RSA PRIVATE KEY-----",
        "MIIEow",
    ),
    (
        "jwt",
        "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "dozjgNryP4",
    ),
    ("url-password", "DATABASE_URL postgres://app:s3cr3t-pw@db.internal:5432/app", "s3cr3t-pw"),
    ("dsn-password", "host=db user=app password=s3cr3t-pw dbname=app", "s3cr3t-pw"),
    ("env-secret", "export STRIPE_SECRET=abc123def456\nDEBUG=1", "abc123def456"),
    ("env-secret", "API_KEY: 'hunter22hunter'", "hunter22hunter"),
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


@pytest.mark.parametrize(
    "text",
    [
        "token = get_token()",  # code, not a .env line
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


def test_redaction_covers_every_field_and_happens_before_the_fingerprint() -> None:
    secret = "ghp_" + "Q" * 36
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
    assert r.counts["github-token"] == 5
    plain = session_to_wire(session)
    assert plain["fingerprint"] != wire["fingerprint"]
    # Same input, same redaction, same fingerprint: the fingerprint describes what is sent.
    assert session_to_wire(session, Redactor())["fingerprint"] == wire["fingerprint"]
