"""av-cloud's own redaction rules: the shapes detect-secrets' provider rules do not cover.

detect-secrets (client/provider_rules.py) knows some providers' tokens by their prefixes;
TOKEN_RULES adds the well-known prefixed tokens it lacks (each shape written here from the
provider's published token format). Agent logs also hold secrets by *context* — a value after ``password=``, ``--password``,
``Authorization: Bearer``, ``?token=``, a ``.netrc`` line, a URL's user-info — often
JSON-escaped (``\\"`` inside a tool input) because tool inputs are JSON. This table
holds those (CONTEXT_RULES), plus a few broad provider shapes kept as a backstop behind
the exact ones. Every rule marks the secret with a ``(?P<secret>…)`` group; only that
group is replaced, so context (the variable name, the URL's user) stays readable.

Conventions that keep false alarms low (each is tested):
- a value that is a reference is not a secret: ``$VAR``, ``${…}``, ``{{…}}``, ``%VAR%``, ``<placeholder>``;
- an unquoted value made only of letters, ``_``, ``.`` and ``-`` is code, not a
  secret (``password=password``, ``token = get_token()``, ``password: str``) —
  a quoted value always counts;
- a name must *end* with the secret word: ``password_file``, ``token_type`` and
  ``max_tokens`` are not secrets.
"""

from __future__ import annotations

from dataclasses import dataclass

# A quote, possibly JSON-escaped once or twice (tool inputs are JSON inside JSON lines).
_Q = r"""\\{0,3}["'`]"""
# Values never contain a quote, backslash or whitespace, so redacting keeps JSON valid.
_BARE = r"""[^\s"'`\\,;&<>(){}\[\]]"""
_REFERENCE = r"""(?![$%<{]|\[REDACTED)"""
_NOT_CODE = r"(?![A-Za-z_.-]+(?![^\s\"'`\\,;&<>(){}\[\]]))"
# A quoted value (up to the closing quote) or a bare one that is not code.
_VALUE = (
    rf"(?:{_Q}{_REFERENCE}(?P<secret>[^\"'`\\\n]{{1,512}}){_Q}"
    rf"|{_REFERENCE}{_NOT_CODE}(?P<secret2>{_BARE}{{1,512}}+)(?!\())"
)
_NETRC = r"""[^\s"'`\\]+"""
_ASSIGN = rf"(?:{_Q})?[ \t]*(?::=|=>|=|:)[ \t]*"

PASSWORD_WORDS = r"(?:password|passwd|passphrase|passcode)"  # noqa: S105 - names, not a password
_SECRET_NAMES = (
    *("secret", "token", "api[_-]?key", "apikey", "access[_-]?key", "secret[_-]?key", "private[_-]?key"),
    *("client[_-]?secret", "credentials?", "auth[_-]?key", "signing[_-]?key", "encryption[_-]?key"),
)
SECRET_WORDS = "(?:" + "|".join(_SECRET_NAMES) + ")"
# Upper-case .env names carrying a secret word anywhere (STRIPE_SECRET_KEY_LIVE, MYSQL_PWD; bare PWD is the cwd).
_ENV_NAME = (
    r"[A-Z0-9_]*(?:SECRET|PASSWORD|PASSWD|TOKEN|API_?KEY|ACCESS_?KEY|PRIVATE_?KEY|CREDENTIALS?|AUTH_KEY)"
    r"[A-Z0-9_]*|[A-Z0-9]+_(?:PWD|PASS)"
)


@dataclass(frozen=True)
class RuleSpec:
    """One row of the table: what it finds, its regex, and the lowercase keywords every match contains."""

    kind: str
    regex: str
    keywords: tuple[str, ...]
    description: str
    joinable: bool = (
        False  # a token that may be wrapped across lines (also looked for with line breaks removed)
    )


# Order matters: blocks first (a private key must not be half-eaten by a narrower rule), then
# detect-secrets' provider rules, TOKEN_RULES, CONTEXT_RULES (see client/redact.py).
BLOCK_RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "private-key",
        r"(?P<secret>-----BEGIN[A-Z0-9 ]{0,40} PRIVATE KEY( BLOCK)?-----"
        r"(?:[\s\S]{0,65536}?-----END[A-Z0-9 ]{0,40} PRIVATE KEY( BLOCK)?-----|(?:[A-Za-z0-9+/=\s:,-]|\\[nr])*))",
        ("private key",),
        "PEM private key blocks, also JSON-escaped (\\n) and cut off before END",
    ),
)


def _token(kind: str, regex: str, keywords: tuple[str, ...], description: str) -> RuleSpec:
    """A prefixed token, found anywhere it stands alone (not inside a longer word)."""
    return RuleSpec(
        kind, rf"(?<![A-Za-z0-9_])(?P<secret>{regex})(?![A-Za-z0-9_])", keywords, description, True
    )


TOKEN_RULES: tuple[RuleSpec, ...] = (
    _token(
        "github-fine-grained-pat",
        r"github_pat_[A-Za-z0-9_]{22,255}",
        ("github_pat_",),
        "GitHub fine-grained tokens",
    ),
    _token("huggingface-token", r"hf_[A-Za-z0-9]{30,64}", ("hf_",), "Hugging Face access tokens (hf_…)"),
    _token("gcp-api-key", r"AIza[0-9A-Za-z_-]{35}", ("aiza",), "Google API keys (AIza…)"),
    _token(
        "slack-app-token",
        r"xapp-\d-[A-Z0-9]{6,}-\d{6,}-[A-Za-z0-9]{32,}",
        ("xapp-",),
        "Slack app-level tokens",
    ),
    _token("npm-token", r"npm_[A-Za-z0-9]{36}", ("npm_",), "npm access tokens (npm_…)"),
    _token(
        "stripe-key",
        r"[sr]k_(?:live|test)_[0-9A-Za-z]{16,247}",
        ("k_live_", "k_test_"),
        "Stripe secret and restricted keys, live and test",
    ),
    _token("pypi-token", r"pypi-[A-Za-z0-9_-]{60,}", ("pypi-",), "PyPI upload tokens (pypi-…)"),
    _token(
        "digitalocean-token",
        r"do[opr]_v1_[a-f0-9]{64}",
        ("_v1_",),
        "DigitalOcean personal, OAuth and refresh tokens",
    ),
    _token(
        "shopify-token",
        r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}",
        ("shp",),
        "Shopify access tokens and shared secrets",
    ),
    _token("databricks-token", r"dapi[a-f0-9]{32}(?:-\d)?", ("dapi",), "Databricks personal access tokens"),
    _token("linear-api-key", r"lin_api_[A-Za-z0-9]{40}", ("lin_api_",), "Linear API keys"),
    _token("postman-api-key", r"PMAK-[a-f0-9]{24}-[a-f0-9]{34}", ("pmak-",), "Postman API keys"),
    _token(
        "doppler-token", r"dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44}", ("dp.",), "Doppler tokens"
    ),
    _token(
        "age-secret-key", r"AGE-SECRET-KEY-1[0-9A-Z]{58}", ("age-secret-key-1",), "age encryption secret keys"
    ),
)


CONTEXT_RULES: tuple[RuleSpec, ...] = (
    RuleSpec(
        "aws-secret-key",
        r"(?i:aws_?secret_?access_?key|aws_?secret(?:_?key)?|secret_?access_?key)"
        rf"(?:{_Q})?\s*[:=]\s*(?:{_Q})?(?P<secret>[A-Za-z0-9/+]{{40}})(?![A-Za-z0-9/+])",
        ("secret",),
        "the 40-character secret after aws_secret_access_key / SecretAccessKey, quoted, escaped or bare",
        joinable=True,
    ),
    RuleSpec(
        "aws-session-token",
        r"(?P<secret>(?:IQoJb3JpZ2lu|FwoGZXIvYXdz|FQoGZXIvYXdz)[A-Za-z0-9/+]{60,}={0,2})",
        ("iqojb3jpz2lu", "fwogzxivyxdz", "fqogzxivyxdz"),
        "AWS STS session tokens (IQoJb3JpZ2lu…, FwoGZXIvYXdz…), wherever they appear",
        joinable=True,
    ),
    RuleSpec(
        "azure-storage-key",
        r"(?i:AccountKey|SharedAccessKey)=(?P<secret>[A-Za-z0-9+/]{20,}={0,2})",
        ("accountkey=", "sharedaccesskey="),
        "AccountKey= / SharedAccessKey= in Azure connection strings",
    ),
    RuleSpec(
        "aws-access-token",
        r"\b(?P<secret>(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16})\b",
        ("akia", "asia", "abia", "acca"),
        "AWS access key ids after any prefix AWS uses, with word boundaries",
        joinable=True,
    ),
    RuleSpec(
        "anthropic-key",
        r"\b(?P<secret>sk-ant-[A-Za-z0-9_-]{20,})",
        ("sk-ant-",),
        "Anthropic keys (sk-ant-…), any length",
        joinable=True,
    ),
    RuleSpec(
        "openai-key",
        r"\b(?P<secret>sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,})",
        ("sk-",),
        "sk-…, sk-proj-… keys without the T3BlbkFJ marker detect-secrets' rule needs",
        joinable=True,
    ),
    RuleSpec(
        "slack-token",
        r"\b(?P<secret>xox[abposre]-[A-Za-z0-9-]{10,})",
        ("xox",),
        "any xoxb-/xoxp-/xoxa-/… Slack token",
    ),
    RuleSpec(
        "stripe-webhook-secret",
        r"\b(?P<secret>whsec_[A-Za-z0-9]{24,})",
        ("whsec_",),
        "Stripe webhook signing secrets",
    ),
    RuleSpec(
        "google-oauth-token",
        r"\b(?P<secret>ya29\.[0-9A-Za-z_-]{20,})",
        ("ya29.",),
        "Google OAuth access tokens",
    ),
    RuleSpec(
        "url-password",
        # The password may hold '@' and ':' (the last '@' before the host ends it), never '/', '?' or '#'.
        r"\b[A-Za-z][A-Za-z0-9+.-]{1,20}://[^\s:/@\"'\\]{0,256}:(?!\[REDACTED)"
        r"(?P<secret>[^\s\"'`\\/?#]{1,256})@(?=[^\s@/\"'\\]+)",
        ("://",),
        "the password in scheme://user:password@host (DSNs too); the user is kept",
        joinable=True,
    ),
    RuleSpec(
        "url-secret-param",
        r"[?&;](?i:[\w.-]{0,40}(?:token|key|secret|password|passwd|pwd|signature|sig|credential|auth|code))="
        r"(?![$%{<]|\[REDACTED)(?P<secret>[^&#\s\"'`\\<>]{4,})",
        (
            "token=",
            "key=",
            "secret=",
            "password=",
            "passwd=",
            "pwd=",
            "signature=",
            "sig=",
            "credential=",
            "auth=",
            "code=",
        ),
        "?token=, &api_key=, &sig=, X-Amz-Signature= … in URLs",
    ),
    RuleSpec(
        "auth-header",
        r"(?i:\b(?:proxy-)?authorization)(?:" + _Q + r")?[ \t]*[:=][ \t]*(?:" + _Q + r")?[ \t]*"
        r"(?>(?:(?i:bearer|basic|token|digest|bot|apikey|sso-key)[ \t]+)?)"
        r"(?![$%{<]|\[REDACTED)(?P<secret>[^\s\"'`\\,;]{4,})",
        ("authorization",),
        "the credentials in Authorization: / Proxy-Authorization: headers (Bearer, Basic, token …)",
    ),
    RuleSpec(
        "auth-header",
        r"\b(?i:bearer)[ \t]+(?!\[REDACTED)(?P<secret>[A-Za-z0-9._~+/-]{16,}=*)",
        ("bearer",),
        "a Bearer token anywhere (16+ characters)",
    ),
    RuleSpec(
        "netrc-password",
        r"\bmachine[ \t]+\S+(?:[ \t]+login[ \t]+\S+)?[ \t]+password[ \t]+(?!\[REDACTED)(?P<secret>"
        + _NETRC
        + ")"
        r"|(?m:^[ \t]*password[ \t]+(?!\[REDACTED)(?P<secret2>" + _NETRC + r")[ \t]*$)",
        ("password",),
        ".netrc entries: machine … login … password …, and a line that is just `password X`",
    ),
    RuleSpec(
        "env-secret",
        r"\b(?:" + _ENV_NAME + r")[ \t]*[:=][ \t]*(?:\\{0,3}[\"'])?(?![$\[%{<])(?P<secret>[^\s\"'\\`,;]{3,})",
        ("secret", "password", "passwd", "token", "api_key", "apikey", "access_key", "accesskey")
        + ("private_key", "privatekey", "credential", "auth_key", "_pwd", "_pass"),
        ".env / shell lines NAME=value where an upper-case NAME holds SECRET, PASSWORD, TOKEN, API_KEY, "
        "…, or ends in _PWD/_PASS (MYSQL_PWD); $VAR references are left alone",
    ),
    RuleSpec(
        "cli-secret",
        r"(?<![\w-])--?(?:[\w-]*[-_])?(?i:" + PASSWORD_WORDS + r"|pass|pwd|" + SECRET_WORDS + r")"
        r"(?![\w-])(?:=|[ \t]+)(?!-)" + _VALUE.replace(_NOT_CODE, ""),
        ("pass", "pwd", "token", "secret", "key", "credential"),
        "--password X, --password=X, --token X, --api-key=X … on command lines",
    ),
    RuleSpec(
        "password",
        r"(?i:" + PASSWORD_WORDS + r"|(?<=[_.-])pwd)(?![\w-])" + _ASSIGN + _VALUE,
        ("password", "passwd", "passphrase", "passcode", "pwd"),
        'password= / password: / "password": "…" in any case (db_password=, YAML, JSON, .ini)',
    ),
    RuleSpec(
        "secret-assignment",
        r"(?i:" + SECRET_WORDS + r")(?![\w-])" + _ASSIGN + _VALUE,
        ("secret", "token", "key", "credential"),
        'token= / "client_secret": "…" / api_key: … in any case',
    ),
)
