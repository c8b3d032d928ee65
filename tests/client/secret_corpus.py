"""A corpus of planted secrets and of look-alikes that are not secrets, for redaction.

Secrets are built at run time from a seeded RNG (realistic entropy, no literal
secret in the repository). Every plant is tried in four forms:

- ``plain``: as it appears in a message or tool output;
- ``escaped``: inside a JSON string, as a tool input holds it (quotes become ``\\"``,
  line breaks ``\\n``) — json.dumps of the plain text;
- ``wrapped``: base64 of the plain text (``echo … | base64``, Kubernetes secrets);
- ``split``: the secret cut by a line break, as a terminal wraps a long line.

``bench/client_redact.py`` reports recall per form over this corpus and the false
alarms over ``INNOCENT``; tests/client/test_redact_corpus.py asserts both.
"""

from __future__ import annotations

import base64
import json
import random
import string
from dataclasses import dataclass

_rng = random.Random(20261207)
ALNUM = string.ascii_letters + string.digits
UPPER_DIGITS = string.ascii_uppercase + string.digits
B64 = ALNUM + "+/"


def rand(n: int, alphabet: str = ALNUM) -> str:
    return "".join(_rng.choice(alphabet) for _ in range(n))


@dataclass(frozen=True)
class Plant:
    name: str
    text: str  # the line as a log would hold it
    secret: str  # what must not survive redaction
    splittable: bool = True  # a long token a terminal may wrap across lines


AWS_SECRET = rand(40, B64)
AWS_KEY_ID = "AKIA" + rand(16, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
GITHUB = "ghp_" + rand(36)
SESSION_TOKEN = "IQoJb3JpZ2luX2VjE" + rand(300, B64)
AZURE_KEY = rand(86, B64) + "=="
SENDGRID = "SG." + rand(22, ALNUM + "_-") + "." + rand(43, ALNUM + "_-")
PEM_BODY = "\n".join(rand(64, B64) for _ in range(4))
BEARER = rand(40)
BASIC = base64.b64encode(b"admin:Sup3r-Secret").decode()
URL_TOKEN = rand(32)
SIGNATURE = rand(64, "0123456789abcdef")
SLACK_APP = f"xapp-1-A{rand(10, UPPER_DIGITS)}-{rand(13, string.digits)}-{rand(64, 'abcdef0123456789')}"
GITLAB = "glpat-" + rand(20, ALNUM + "_-")
HUGGINGFACE = "hf_" + rand(34, string.ascii_letters)
NPM = "npm_" + rand(36, string.ascii_lowercase + string.digits)
ANTHROPIC = "sk-ant-api03-" + rand(93, ALNUM + "_-") + "AA"
OPENAI = "sk-proj-" + rand(48, ALNUM + "_-")
STRIPE = "sk_" + "live_" + rand(24)
GOOGLE = "AIza" + rand(35, ALNUM + "_-")
REDIS = rand(20)
ENV_SECRET = rand(24)

PLANTS: tuple[Plant, ...] = (
    Plant("aws-secret-key", f'aws_secret_access_key = "{AWS_SECRET}"', AWS_SECRET),
    Plant("aws-secret-key-json", f'{{"SecretAccessKey": "{AWS_SECRET}"}}', AWS_SECRET),
    Plant("aws-access-key", f"key id {AWS_KEY_ID} in use", AWS_KEY_ID),
    Plant("aws-sts-session-token", f'"SessionToken": "{SESSION_TOKEN}"', SESSION_TOKEN),
    Plant("aws-sts-session-token-env", f"export AWS_SESSION_TOKEN={SESSION_TOKEN}", SESSION_TOKEN),
    Plant(
        "url-password-with-at",
        "DATABASE_URL=postgres://app:p@ss:W0rd-9x@db.internal:5432/app",
        "p@ss:W0rd-9x",
        False,
    ),
    Plant("url-password", f"redis://:{REDIS}@cache:6379/0", REDIS),
    Plant("password-lowercase", "mysql --host db user=root password=Tr0ub4dor-3x", "Tr0ub4dor-3x", False),
    Plant("password-prefixed", "db_password=hunter2-9Qz", "hunter2-9Qz", False),
    Plant("password-json", '{"user": "app", "password": "correct horse 42"}', "correct horse 42", False),
    Plant("password-yaml", "database:\n  user: app\n  password: s3cr3t-Pa55", "s3cr3t-Pa55", False),
    Plant("password-flag", "pg_dump --password 'Zx9-qq-77' --host db", "Zx9-qq-77", False),
    Plant("password-flag-equals", "tool --password=Zx9-qq-78", "Zx9-qq-78", False),
    Plant("mysql-pwd", "MYSQL_PWD=Hunter-22-x mysql -u root", "Hunter-22-x", False),
    Plant("bearer-header", f'curl -H "Authorization: Bearer {BEARER}" https://api.example.com', BEARER),
    Plant("basic-header", f"Authorization: Basic {BASIC}", BASIC, False),
    Plant("url-token", f"GET https://api.example.com/v1/export?format=csv&token={URL_TOKEN}", URL_TOKEN),
    Plant("url-presigned", f"https://b.s3.amazonaws.com/k?X-Amz-Signature={SIGNATURE}&x=1", SIGNATURE),
    Plant(
        "netrc-line",
        "machine api.heroku.com login me@example.com password 9f1c-77aa-Q2",
        "9f1c-77aa-Q2",
        False,
    ),
    Plant("netrc-multiline", "machine github.com\n  login me\n  password Qw3-rty-99\n", "Qw3-rty-99", False),
    Plant("slack-app-token", SLACK_APP, SLACK_APP),
    Plant("gitlab-pat", GITLAB, GITLAB),
    Plant("huggingface", HUGGINGFACE, HUGGINGFACE),
    Plant("npm-token", f"//registry.npmjs.org/:_authToken={NPM}", NPM),
    Plant("sendgrid", f"SENDGRID_KEY {SENDGRID}", SENDGRID),
    Plant(
        "azure-account-key",
        f"DefaultEndpointsProtocol=https;AccountName=acct;AccountKey={AZURE_KEY};EndpointSuffix=core.windows.net",
        AZURE_KEY,
    ),
    Plant("github-token", f"GITHUB_TOKEN={GITHUB}", GITHUB),
    Plant("github-token-bare", f"using {GITHUB} now", GITHUB),
    Plant("anthropic-key", ANTHROPIC, ANTHROPIC),
    Plant("openai-key", OPENAI, OPENAI),
    Plant("stripe-key", STRIPE, STRIPE),
    Plant("google-api-key", GOOGLE, GOOGLE),
    Plant(
        "private-key",
        f"-----BEGIN RSA PRIVATE KEY-----\n{PEM_BODY}\n-----END RSA PRIVATE KEY-----",
        PEM_BODY,
        False,
    ),
    Plant("env-secret", f"export STRIPE_SECRET={ENV_SECRET}\nDEBUG=1", ENV_SECRET),
)


TERMINAL_MIN_WIDTH = 40


def _split(plant: Plant) -> str | None:
    """The text with its secret cut by a line break, as a terminal (>= 40 columns) wraps a long line:
    in the middle of the secret, or at column 40 if that is later; None if the secret ends before."""
    start = plant.text.find(plant.secret)
    line_start = plant.text.rfind("\n", 0, start) + 1
    cut = max(start + len(plant.secret) // 2, line_start + TERMINAL_MIN_WIDTH)
    if cut >= start + len(plant.secret) - 1:
        return None
    return plant.text[:cut] + "\n" + plant.text[cut:]


def forms(plant: Plant) -> dict[str, str]:
    out = {
        "plain": plant.text,
        "escaped": json.dumps({"command": plant.text}),
        "wrapped": "echo " + base64.b64encode(plant.text.encode()).decode() + " | base64 -d",
    }
    split = _split(plant) if plant.splittable else None
    if split is not None:
        out["split"] = split
    return out


def leaked(plant: Plant, form: str, redacted: str) -> bool:
    """Whether any 8-character piece of the planted secret survived redaction (in any form)."""
    if form == "wrapped":
        return base64.b64encode(plant.text.encode()).decode() in redacted
    if form == "escaped":
        redacted = json.loads(redacted)["command"]  # also proves the JSON stayed valid
    secret = plant.secret
    pieces = [secret[i : i + 8] for i in range(0, max(len(secret) - 7, 1), 4)]
    return any(piece in redacted for piece in pieces)


# Text that must come through unchanged: code, prose, paths, models, ids.
INNOCENT: tuple[str, ...] = (
    "token = get_token()",
    "password = getpass.getpass()",
    "def login(username: str, password: str) -> Session:",
    "self.api_key = api_key",
    "client = Client(token=token, timeout=10)",
    "PASSWORD=$DB_PASSWORD",
    "export GITHUB_TOKEN=${{ secrets.GITHUB_TOKEN }}",
    "max_tokens=4096, temperature=0.2",
    '{"input_tokens": 1200, "output_tokens": 88, "token_type": "bearer"}',
    "the password is stored in the vault; ask ops for the API key",
    "--password-file /run/secrets/db --token-stdin",
    "see https://example.com:8080/path@v2 and git@github.com:org/repo.git",
    "model claude-opus-4-1-20250805 on branch feature/rotate-secret-keys",
    "cwd /home/me/src/secret-manager, session 0f8fad5b-d9cb-469f-a165-70867728950e",
    "commit 3f786850e387550fdab836ed7e6dc881de23001b fixed the token refresh",
    "sha256:9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
    "Authorization: Bearer $TOKEN",
    "password: <your password here>",
    "AKIA is just a prefix; sk- alone; eyJhbGciOi alone",
    "for key in keys: print(key)",
    "def private_key(self): ...",
    "SELECT id FROM api_keys WHERE revoked_at IS NULL",
)
