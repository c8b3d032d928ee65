"""Every parameter combination docs/deploy.md documents: accepted, linted, built, and shaped right.

The combinations are read from docs/deploy.md itself (each is a `sam deploy` command under a
``# combination: <name>`` line), so the docs cannot name one the tests do not check. For each:

* CloudFormation's own checks pass: parameter declarations, then the Rules;
* ``cfn-lint`` (what ``sam validate --lint`` runs) is clean with those parameters;
* ``sam build --parameter-overrides`` succeeds (one shared cache, so the layer is built once);
* the resources the stack would hold are the ones that combination promises (a database
  that is private and encrypted, functions in its VPC, TLS 1.2 on a custom domain, ...).

Invalid combinations are refused by the Rules with a message naming the fix.
Needs aws-sam-cli in .venv-sam, like tests/infra/test_sam.py (they fail, never skip, without it).
"""

from __future__ import annotations

import functools
import json
import re
import shlex
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.infra.cfn_template import Stack, TemplateError
from tests.infra.cfn_template import load as load_template
from tests.infra.test_sam import REPO, TEMPLATE, require_sam, run_sam

pytestmark = pytest.mark.sam

DOC = REPO / "docs" / "deploy.md"
CFN_LINT = REPO / ".venv-sam" / "bin" / "cfn-lint"
ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:av/x-AbCdEf"


def documented_combinations() -> dict[str, dict[str, str]]:
    """``{name: parameters}`` for each ``# combination: <name>`` block of docs/deploy.md."""
    combos: dict[str, dict[str, str]] = {}
    lines = DOC.read_text().splitlines()
    for i, line in enumerate(lines):
        found = re.fullmatch(r"\s*# combination: ([a-z0-9-]+)\s*", line)
        if not found:
            continue
        command = []
        for follow in lines[i + 1 :]:
            command.append(follow.rstrip("\\").strip())
            if not follow.rstrip().endswith("\\"):
                break
        words = shlex.split(" ".join(command))
        assert "--parameter-overrides" in words, f"combination {found[1]}: no --parameter-overrides"
        pairs = words[words.index("--parameter-overrides") + 1 :]
        combos[found[1]] = dict(
            pair.split("=", 1) for pair in pairs if "=" in pair and not pair.startswith("-")
        )
    return combos


COMBINATIONS = documented_combinations()


@functools.cache
def template() -> dict[str, Any]:
    return load_template(TEMPLATE)


def _shape(combo: str) -> Callable[[Stack], None]:
    return SHAPES[combo]


def external(stack: Stack) -> None:
    names = set(stack.resources)
    assert not {"Vpc", "DatabaseCluster", "DatabaseInstance", "DatabaseProxy"} & names
    ingest = stack.resolve(stack.resources["IngestFunction"]["Properties"])
    assert (
        ingest["Environment"]["Variables"]["AV_DATABASE_SECRET_ARN"]
        == stack.parameters["DatabaseSecretArnIngest"]
    )


def external_operator_migrates(stack: Stack) -> None:
    external(stack)
    assert "AdminFunction" not in stack.resources and "SchemaMigration" not in stack.resources
    assert stack.resolve(stack.template["Globals"]["Function"]).get("VpcConfig") is None


def external_private(stack: Stack) -> None:
    external(stack)
    assert {"AdminFunction", "SchemaMigration"} <= set(stack.resources)
    vpc = stack.resolve(stack.template["Globals"]["Function"]["VpcConfig"])
    assert vpc["SubnetIds"] == stack.parameters["VpcSubnetIds"]


def created(stack: Stack, *, engine: str) -> None:
    names = set(stack.resources)
    assert {"Vpc", "PrivateSubnetA", "PrivateSubnetB", "SecretsManagerEndpoint", "S3Endpoint"} <= names
    assert {"IngestDatabaseSecret", "ViewerDatabaseSecret", "AdminFunction", "SchemaMigration"} <= names
    assert not ({"InternetGateway", "NatGateway"} & names), "the database's VPC has no internet route"
    database = stack.resolve(stack.resources["DatabaseCluster" if engine == "aurora" else "DatabaseInstance"])
    props = database["Properties"]
    assert props["StorageEncrypted"] is True and props["ManageMasterUserPassword"] is True
    assert database["DeletionPolicy"] == "Snapshot"
    if engine == "rds":
        assert props["PubliclyAccessible"] is False
    else:
        assert (
            stack.resolve(stack.resources["DatabaseClusterWriter"])["Properties"]["PubliclyAccessible"]
            is False
        )
    group = "AuroraParameters" if engine == "aurora" else "RdsParameters"
    assert stack.resources[group]["Properties"]["Parameters"] == {"rds.force_ssl": "1"}
    vpc = stack.template["Globals"]["Function"]["VpcConfig"]
    assert stack.resolve(vpc)["SecurityGroupIds"] == [{"Ref": "FunctionSecurityGroup"}]
    migration = stack.resolve(stack.resources["SchemaMigration"]["Properties"])
    assert migration["ManageRoles"] == "true"


def with_proxy(stack: Stack) -> None:
    assert {"DatabaseProxy", "DatabaseProxyTargets", "ProxySecurityGroup"} <= set(stack.resources)
    assert stack.resources["DatabaseProxy"]["Properties"]["RequireTLS"] is True
    env = stack.resolve(stack.resources["IngestFunction"]["Properties"]["Environment"]["Variables"])
    assert env["AV_DATABASE_HOST"] == {"Fn::GetAtt": ["DatabaseProxy", "Endpoint"]}
    assert (
        stack.resolve(stack.template["Globals"]["Function"]["Environment"]["Variables"])["PGSSLROOTCERT"]
        == "system"
    )
    admin_env = stack.resolve(stack.resources["AdminFunction"]["Properties"]["Environment"]["Variables"])
    assert admin_env["PGSSLROOTCERT"] != "system", (
        "migrations go to the database itself, verified by the RDS CA"
    )


def with_domain(stack: Stack) -> None:
    assert {"ApiDomain", "ApiMapping"} <= set(stack.resources)
    config = stack.resolve(stack.resources["ApiDomain"]["Properties"])["DomainNameConfigurations"][0]
    assert config["SecurityPolicy"] == "TLS_1_2" and config["EndpointType"] == "REGIONAL"
    api = stack.resolve(stack.resources["HttpApi"]["Properties"])
    assert api["DisableExecuteApiEndpoint"] is True
    outputs = stack.resolve(stack.template["Outputs"])
    base = stack.parameters["BasePath"]
    assert outputs["ClientEndpoint"]["Value"] == {"Fn::Sub": "https://${DomainName}${BasePath}"}
    if base:
        mapping = stack.resolve(stack.resources["ApiMapping"]["Properties"])
        assert mapping["ApiMappingKey"] == {"Fn::Select": [1, {"Fn::Split": ["/", base]}]}


def without_domain(stack: Stack) -> None:
    assert "ApiDomain" not in stack.resources
    assert stack.resolve(stack.resources["HttpApi"]["Properties"])["DisableExecuteApiEndpoint"] is False


SHAPES: dict[str, Callable[[Stack], None]] = {
    "external": lambda s: (external_operator_migrates(s), without_domain(s)),
    "external-private": lambda s: (external_private(s), without_domain(s)),
    "external-domain": lambda s: (external_operator_migrates(s), with_domain(s)),
    "aurora": lambda s: (created(s, engine="aurora"), without_domain(s)),
    "aurora-proxy-domain": lambda s: (created(s, engine="aurora"), with_proxy(s), with_domain(s)),
    "rds": lambda s: (created(s, engine="rds"), without_domain(s)),
    "rds-proxy": lambda s: (created(s, engine="rds"), with_proxy(s), without_domain(s)),
}


def test_the_docs_document_each_combination_the_tests_check() -> None:
    assert set(COMBINATIONS) == set(SHAPES), "docs/deploy.md and SHAPES must name the same combinations"


@pytest.mark.parametrize("combo", sorted(SHAPES))
def test_each_combination_is_accepted_and_shaped_as_documented(combo: str) -> None:
    stack = Stack(template(), COMBINATIONS[combo])
    _shape(combo)(stack)
    # load protection holds in every combination
    ingest = stack.resolve(stack.resources["IngestFunction"]["Properties"])
    assert ingest["ReservedConcurrentExecutions"] == stack.parameters["IngestReservedConcurrency"]
    api = stack.resolve(stack.resources["HttpApi"]["Properties"])
    assert set(api["DefaultRouteSettings"]) == {"ThrottlingRateLimit", "ThrottlingBurstLimit"}
    for group in ("IngestLogGroup", "ViewerLogGroup", "IndexerLogGroup", "ApiAccessLogGroup"):
        assert "RetentionInDays" in stack.resources[group]["Properties"]
    assert stack.resources["IndexerFunction"]["Properties"]["DeadLetterQueue"]["Type"] == "SQS"


@pytest.mark.parametrize(
    ("overrides", "refusal"),
    [
        ({"DatabaseMode": "external"}, "give DatabaseSecretArnIngest and DatabaseSecretArnViewer"),
        ({"DatabaseMode": "aurora-serverless", "DatabaseSecretArnIngest": ARN}, "leave the"),
        ({"DatabaseMode": "external", "DatabaseSecretArnIngest": ARN, "DatabaseSecretArnViewer": ARN,
          "UseRdsProxy": "true"}, "UseRdsProxy needs DatabaseMode aurora-serverless or rds-instance"),
        ({"DatabaseMode": "aurora-serverless", "UseRdsProxy": "true", "AuroraMinCapacity": "0"}, "never pauses"),
        ({"DatabaseMode": "aurora-serverless", "DomainName": "av.example.com"}, "DomainName needs CertificateArn"),
        ({"DatabaseMode": "aurora-serverless", "HostedZoneId": "Z123"}, "CertificateArn and HostedZoneId need DomainName"),
        ({"DatabaseMode": "aurora-serverless", "BasePath": "/a/b"}, "BasePath"),
        ({"DatabaseMode": "aurora-serverless", "DatabaseMajorVersion": "13"}, "DatabaseMajorVersion"),
    ],
)  # fmt: skip
def test_invalid_combinations_are_refused_naming_the_fix(overrides: dict[str, str], refusal: str) -> None:
    with pytest.raises(TemplateError, match=re.escape(refusal)):
        Stack(template(), overrides)


def test_cfn_lint_is_clean_for_each_combination(tmp_path: Path) -> None:
    require_sam()
    files = []
    for name, parameters in COMBINATIONS.items():
        path = tmp_path / f"{name}.json"
        path.write_text(json.dumps([{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]))
        files.append(str(path))
    proc = subprocess.run(
        [str(CFN_LINT), str(TEMPLATE), "--parameter-files", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.parametrize("combo", sorted(SHAPES))
def test_sam_build_succeeds_for_each_combination(combo: str, sam_cache_dir: Path, tmp_path: Path) -> None:
    require_sam()
    overrides = [f"{k}={v}" for k, v in COMBINATIONS[combo].items()]
    proc = run_sam(
        "build",
        "--template-file", str(TEMPLATE),
        "--build-dir", str(tmp_path / "build"),
        "--cache-dir", str(sam_cache_dir),
        "--cached",
        "--parallel",
        "--parameter-overrides", *overrides,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    built: dict[str, Any] = {p.name for p in (tmp_path / "build").iterdir() if p.is_dir()}  # type: ignore[assignment]
    assert {"CoreLayer", "IngestFunction", "ViewerFunction", "IndexerFunction", "AdminFunction"} <= built
