"""Provider token rules from a maintained rule set: Yelp's detect-secrets, used as a library.

detect-secrets (PyPI, pinned in pyproject.toml) keeps one plugin per provider, each with a
``denylist`` of regexes. We take those regexes from the installed plugins — nothing of
them is copied here — and run them in our own engine (client/redact_engine.py), which
replaces what they find instead of only reporting it, and runs a rule only on text that
holds one of its keywords. What this module adds per regex is only what our engine needs
and detect-secrets does not say: the marker's kind, the lowercase keywords every match
contains, and whether the secret is the whole match (detect-secrets' GitHub regex captures
the ``ghp`` prefix only) and runs on to the end of the token (its JWT regex stops lazily
before the signature).

Plugins are listed here one by one, used or skipped with the reason, and a test fails
when the installed detect-secrets has a plugin this table does not name, so an upgrade
is a decision. Shapes detect-secrets lacks (fine-grained GitHub tokens, Hugging Face,
Google API keys, Slack app tokens, bare npm tokens, …) are av-cloud's own, in
client/redact_rules.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from detect_secrets.plugins.aws import AWSKeyDetector
from detect_secrets.plugins.azure_storage_key import AzureStorageKeyDetector
from detect_secrets.plugins.base import RegexBasedDetector
from detect_secrets.plugins.basic_auth import BasicAuthDetector
from detect_secrets.plugins.github_token import GitHubTokenDetector
from detect_secrets.plugins.gitlab_token import GitLabTokenDetector
from detect_secrets.plugins.jwt import JwtTokenDetector
from detect_secrets.plugins.mailchimp import MailchimpDetector
from detect_secrets.plugins.npm import NpmDetector
from detect_secrets.plugins.openai import OpenAIDetector
from detect_secrets.plugins.pypi_token import PypiTokenDetector
from detect_secrets.plugins.sendgrid import SendGridDetector
from detect_secrets.plugins.slack import SlackDetector
from detect_secrets.plugins.square_oauth import SquareOAuthDetector
from detect_secrets.plugins.stripe import StripeDetector

SOURCE = "detect-secrets"
# Characters a token is made of: a secret runs on over them past the regex's match (engine: Rule.tail).
TOKEN_TAIL = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
JWT_TAIL = TOKEN_TAIL | frozenset(".+/=")


@dataclass(frozen=True)
class Use:
    """How one of a plugin's regexes (by its index in ``denylist``) becomes a rule of ours."""

    kind: str
    keywords: tuple[str, ...]  # lowercase; every match of the regex contains one
    whole: bool = True  # the secret is the whole match (else the regex's first non-empty group)
    tail: frozenset[str] = TOKEN_TAIL  # the secret runs on over these; it never holds a quote or space
    backstop: bool = False  # run after av-cloud's context rules (a narrower shape of one of them)


@dataclass(frozen=True)
class Plugin:
    detector: type[RegexBasedDetector]
    uses: dict[int, Use]


_GITLAB = ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "gr1348941", "glcbt-", "glimt-", "glptt-")

PLUGINS: tuple[Plugin, ...] = (
    Plugin(
        AWSKeyDetector,
        {
            0: Use("aws-access-token", ("a3t", "abia", "acca", "akia", "asia")),
            1: Use("aws-secret-key", ("aws",), whole=False),
        },
    ),
    Plugin(AzureStorageKeyDetector, {0: Use("azure-storage-key", ("accountkey=",), tail=JWT_TAIL)}),
    # Its password stops at the first '@'; url-password (client/redact_rules.py) takes passwords that
    # hold '@' and ':' and runs first, so this one only catches what that one leaves.
    Plugin(
        BasicAuthDetector, {0: Use("url-password", ("://",), whole=False, tail=frozenset(), backstop=True)}
    ),
    Plugin(GitHubTokenDetector, {0: Use("github-token", ("ghp_", "gho_", "ghu_", "ghs_", "ghr_"))}),
    Plugin(
        GitLabTokenDetector,
        {
            **{i: Use("gitlab-token", _GITLAB) for i in range(3)},
            3: Use("gitlab-token", ("glimt-",)),
            4: Use("gitlab-token", ("glptt-",)),
            5: Use("gitlab-token", ("glagent-",)),
            6: Use("gitlab-token", ("gloas-",)),
        },
    ),
    Plugin(JwtTokenDetector, {0: Use("jwt", ("eyj",), tail=JWT_TAIL)}),
    Plugin(MailchimpDetector, {0: Use("mailchimp-key", ("-us",))}),
    Plugin(NpmDetector, {0: Use("npm-token", (":_authtoken=",), whole=False)}),
    Plugin(OpenAIDetector, {0: Use("openai-key", ("t3blbkfj",))}),
    Plugin(PypiTokenDetector, {0: Use("pypi-token", ("pypi-ag",)), 1: Use("pypi-token", ("pypi-ag",))}),
    Plugin(SendGridDetector, {0: Use("sendgrid-key", ("sg.",), tail=JWT_TAIL)}),
    Plugin(
        SlackDetector,
        {
            0: Use("slack-token", ("xox",)),
            1: Use("slack-webhook-url", ("hooks.slack.com/services/",), tail=TOKEN_TAIL | frozenset("/")),
        },
    ),
    Plugin(SquareOAuthDetector, {0: Use("square-oauth-secret", ("sq0csp-",))}),
    Plugin(StripeDetector, {0: Use("stripe-key", ("sk_live_", "rk_live_"))}),
)

# detect-secrets' plugins not used, and why. Each must be named here or in PLUGINS (a test checks).
SKIPPED: dict[str, str] = {
    "ArtifactoryDetector": "its password shape (AP + 9 letters or digits) has no keyword and flags ordinary words",
    "CloudantDetector": "assignment shapes (cl_key = …) av-cloud's context rules already take, and a 2-letter prefix",
    "DiscordBotTokenDetector": "no literal every match contains, so it would run over every text",
    "IbmCloudIamDetector": "an assignment shape (api_key = …) av-cloud's context rules already take",
    "IbmCosHmacDetector": "an assignment shape (secret_access_key = …) av-cloud's context rules already take",
    "SoftlayerDetector": "a 2-letter prefix (sl_key = …) in an assignment shape the context rules already take",
    "TelegramBotTokenDetector": "no literal every match contains, so it would run over every text",
    "TwilioKeyDetector": "AC/SK + 32 lowercase characters: a 2-letter keyword, present in most text",
    "PrivateKeyDetector": "it marks the BEGIN line only; client/redact_rules.py's private-key takes the block",
    "Base64HighEntropyString": "an entropy heuristic for files: it flags ids, hashes and base64 data in logs",
    "HexHighEntropyString": "an entropy heuristic for files: it flags commit ids and hashes",
    "KeywordDetector": "keyword = value in source files; av-cloud's context rules do this with fewer false alarms",
    "IPPublicDetector": "an IP address is not a secret to redact from a session",
}


@dataclass(frozen=True)
class ProviderRule:
    kind: str
    pattern: re.Pattern[str]
    keywords: tuple[str, ...]
    description: str
    whole: bool
    tail: frozenset[str]
    backstop: bool


def provider_rules() -> tuple[ProviderRule, ...]:
    """Every used regex of the installed plugins, in PLUGINS' order."""
    rules = []
    for plugin in PLUGINS:
        denylist = list(plugin.detector().denylist)
        for index, use in plugin.uses.items():
            regex = denylist[index]
            pattern = re.compile(f"(?P<secret>{regex.pattern})", regex.flags) if use.whole else regex
            description = f"{plugin.detector.secret_type} ({plugin.detector.__name__}, denylist[{index}])"
            rules.append(
                ProviderRule(use.kind, pattern, use.keywords, description, use.whole, use.tail, use.backstop)
            )
    return tuple(rules)
