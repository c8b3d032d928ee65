"""Redaction: every built-in kind, no false alarms on ordinary text, JSON kept valid, user patterns."""

from __future__ import annotations

import json
import random
import string
from pathlib import Path

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
    ),  # digits, not only base32
    ("aws-secret-key", "aws_secret_access_key = " + AWS_SECRET, AWS_SECRET),
    ("github-token", f"token {GHP} end", GHP),
    (
        "github-fine-grained-pat",
        "github_pat_" + (fg := _rand(82, string.ascii_letters + string.digits + "_")),
        fg,
    ),
    ("anthropic-key", "ANTHROPIC=sk-ant-" + "admin01-" + (ak := _rand(40)), ak),
    ("openai-key", "use sk-proj-" + (ok := _rand(45)) + " now", ok),
    (
        "slack-token",
        (sb := "xoxb-" + _rand(12, string.digits) + "-" + _rand(12, string.digits) + "-" + _rand(24)),
        sb,
    ),
    (
        "slack-webhook-url",
        "https://hooks.slack.com/services/" + (sw := "T0" + _rand(9) + "/B0" + _rand(9) + "/" + _rand(24)),
        sw,
    ),
    ("stripe-key", "sk_" + "live_" + (st := _rand(24)), st),
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
        "auth-header",
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
    ("gitlab-token", (gl := "glpat-" + _rand(20)), gl),
    ("huggingface-token", (hf := "hf_" + _rand(34, string.ascii_letters)), hf),
    ("npm-token", (npm := "npm_" + _rand(36, string.ascii_lowercase + string.digits)), npm),
    ("sendgrid-key", (sg := "SG." + _rand(22) + "." + _rand(43)), sg),
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


def test_gitleaks_syntax_translates_to_python() -> None:
    from client.gitleaks_rules import translate

    assert translate("ab(?i)c|d") == "ab(?i:c)|(?i:d)"  # RE2 flags run to the end of the group
    assert translate(r"a\z") == r"a\Z"


def test_provider_rules_are_the_installed_detect_secrets_plugins_own_regexes() -> None:
    """No copied pattern: every provider rule is a denylist regex of the installed plugin (wrapped
    in a secret group at most), and every plugin detect-secrets has is used or skipped by name."""
    import inspect
    import pkgutil
    from importlib import import_module

    import detect_secrets.plugins
    from detect_secrets.plugins.base import BasePlugin

    from client.provider_rules import PLUGINS, SKIPPED, provider_rules

    installed = set()
    for module in pkgutil.iter_modules(detect_secrets.plugins.__path__):
        loaded = import_module(f"detect_secrets.plugins.{module.name}")
        for name, cls in inspect.getmembers(loaded, inspect.isclass):
            if (
                cls.__module__ == loaded.__name__
                and issubclass(cls, BasePlugin)
                and not inspect.isabstract(cls)
            ):
                installed.add(name)
    used = {p.detector.__name__ for p in PLUGINS}
    assert installed == used | set(SKIPPED), "a detect-secrets upgrade added or removed a plugin: decide"
    assert not used & set(SKIPPED)
    theirs = {(rx.pattern, rx.flags) for p in PLUGINS for rx in p.detector().denylist}
    for rule in provider_rules():
        inner = rule.pattern.pattern
        if rule.whole:
            assert inner.startswith("(?P<secret>") and inner.endswith(")")
            inner = inner[len("(?P<secret>") : -1]
        assert (inner, rule.pattern.flags) in theirs, rule.kind


# One sample per provider rule, built at run time (no literal secret in the repository).
PROVIDER_SAMPLES = [
    ("aws-access-token", "ASIA" + _rand(16, string.ascii_uppercase + string.digits)),
    ("github-token", "gho_" + _rand(36)),
    ("github-token", "ghp_" + _rand(40)),  # longer than detect-secrets' 36: the token is taken whole
    ("gitlab-token", "glrt-" + _rand(30)),
    ("jwt", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0." + _rand(43)),
    ("mailchimp-key", _rand(32, "abcdef0123456789") + "-us12"),
    ("openai-key", "sk-" + _rand(20) + "T3BlbkFJ" + _rand(20)),
    ("pypi-token", "pypi-AgEIcHlwaS5vcmc" + _rand(80)),
    ("sendgrid-key", "SG." + _rand(22) + "." + _rand(43)),
    (
        "slack-webhook-url",
        "https://hooks.slack.com/services/T" + _rand(10) + "/B" + _rand(10) + "/" + _rand(24),
    ),
    ("square-oauth-secret", "sq0csp-" + _rand(43)),
    ("stripe-key", "rk_" + "live_" + _rand(24)),
    ("npm-token", "//registry.example.com/:_authToken=" + _rand(36, "abcdef0123456789")),
]


@pytest.mark.parametrize(("kind", "secret"), PROVIDER_SAMPLES, ids=[k for k, _ in PROVIDER_SAMPLES])
def test_detect_secrets_provider_rules_redact_the_whole_token_in_json(kind: str, secret: str) -> None:
    r = Redactor()
    raw = json.dumps({"command": f"echo {secret}", "n": 1})
    out = r.text(raw)
    command = json.loads(out)["command"]  # still JSON
    assert command.startswith("echo ") and f"[REDACTED:{kind}]" in command
    token = secret.rsplit("=", 1)[-1]
    assert all(token[i : i + 8] not in out for i in range(0, len(token) - 7, 4)), out
    assert r.counts[kind] == 1, r.counts


def test_a_gitleaks_format_rule_file_named_in_config_extends_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Users load their organisation's gitleaks rule file: rules, keywords, entropy, allowlists."""
    from click import ClickException

    from client.config import redact_patterns

    monkeypatch.setenv("AV_USER_PATH", str(tmp_path))
    (tmp_path / "org-rules.toml").write_text(
        '''
[allowlist]
regexes = ["""acme_test[a-z0-9]+"""]

[[rules]]
id = "acme-token"
description = "ACME internal tokens"
regex = \'\'\'(?i)[\\w.-]{0,50}?\\b(acme_[a-z0-9]{12})\\b\'\'\'
keywords = ["acme_"]
entropy = 2.5

[[rules]]
id = "key-store"
path = \'\'\'\\.jks$\'\'\'
'''
    )
    (tmp_path / "config.json").write_text(json.dumps({"redact_rules_file": "org-rules.toml"}))
    r = Redactor(redact_patterns())
    assert r.text("use ACME_q8w7e6r5t4y3 here") == "use [REDACTED:acme-token] here"
    assert r.text("acme_aaaaaaaaaaaa") == "acme_aaaaaaaaaaaa"  # below the entropy floor
    assert r.text("acme_testq8w7e6r5") == "acme_testq8w7e6r5"  # the file's global allowlist
    row = r.describe()[-1]
    assert (row["kind"], row["source"]) == ("acme-token", "config")
    assert Redactor(redact_patterns()).key == r.key != Redactor().key  # the state cache follows the file
    for body, message in [
        ('[[rules]]\nid = "x"\nregex = "a("\n', "rule 'x' is not valid"),
        ("[[rules]\n", "cannot read"),
        ('[[rules]]\nid = "bad id!"\nregex = "a"\n', "rule 'bad id!' is not valid"),
    ]:
        (tmp_path / "org-rules.toml").write_text(body)
        with pytest.raises(ClickException, match=message) as raised:
            redact_patterns()
        assert "org-rules.toml" in raised.value.message
    (tmp_path / "config.json").write_text(json.dumps({"redact_rules_file": "missing.toml"}))
    with pytest.raises(ClickException, match="missing.toml"):
        redact_patterns()


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
    assert r.text(f"echo {b64} | base64 -d") == "echo [REDACTED:base64:github-token] | base64 -d"
    assert r.text("DB_PASSWORD=hunter22\nDEBUG=1").endswith("\nDEBUG=1")  # a short line is not a wrapped one


def test_the_rules_command_prints_the_table() -> None:
    from click.testing import CliRunner

    from client.cli import main

    result = CliRunner().invoke(main, ["rules", "--json"], env={"AV_USER_PATH": "/nonexistent-av-user"})
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert {"detect-secrets", "av-cloud"} <= {row["source"] for row in rows}
    assert {"password", "url-password", "gitlab-token"} <= {row["kind"] for row in rows}


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
    assert r.counts["github-token"] == 5
    plain = session_to_wire(session)
    assert plain["fingerprint"] != wire["fingerprint"]
    # Same input, same redaction, same fingerprint: the fingerprint describes what is sent.
    assert session_to_wire(session, Redactor())["fingerprint"] == wire["fingerprint"]
