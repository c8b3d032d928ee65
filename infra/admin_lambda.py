"""AdminFunction: av-admin's database work, run from inside the deployment.

The database may be private (no route from any laptop), so the stack carries the
operator's tools as a function in the same network:

* **at deploy**, a CloudFormation custom resource (``SchemaMigration`` in template.yaml)
  invokes it before the API functions are updated: it puts the roles in place (when the
  stack created the database and holds the roles' secrets) and applies pending
  migrations. Those are expand-only, so the functions still running meanwhile keep
  working, and a stack rollback needs no schema change (avcore/schema.py);
* **on demand**, ``sam remote invoke AdminFunction --event '{"command": "device-add",
  "name": "laptop"}'`` runs one operator command and answers JSON (the new token is in
  the answer only; it is never logged).

It connects with the administrator secret (``AV_ADMIN_SECRET_ARN``: the RDS-managed master
secret, whose value has no host, or any DSN-shaped secret), under the same TLS policy as
every other connection.
"""

from __future__ import annotations

import json
import logging
import os
import urllib.request
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict, make_conninfo

from avcore.db.policy import InsecureConnectionError, InvalidDsnError
from avcore.db.pool import DatabaseUnavailable
from avcore.logs import configure_logging, lambda_request_id_var
from avcore.schema import INGEST_ROLE, SCHEMA_VERSION, VIEWER_ROLE
from avcore.secrets import SecretError
from avcore.secrets import store as secret_store
from avcore.settings import SettingsError, dsn_from_secret_value
from infra import credentials
from infra.admin_db import AdminError, become_owner, connect_admin
from infra.migrate import applied_version, migrate, migration_script, pending
from infra.roles import apply_roles, plan_roles

log = logging.getLogger("av.admin")
PHYSICAL_ID = "av-schema"  # one per stack, never replaced: an update must not look like a delete
REQUIRED_FIELDS = {
    "device-add": ("name",),
    "viewer-add": ("name",),
    "device-revoke": ("id",),
    "viewer-revoke": ("id",),
}
EXPECTED = (
    AdminError,
    DatabaseUnavailable,
    InsecureConnectionError,
    InvalidDsnError,
    SecretError,
    SettingsError,
)


def admin_dsn() -> str:
    """The administrator DSN: the secret's value, with host, port and database from the environment
    where the secret does not say (the RDS-managed master secret holds only username and password)."""
    arn = os.environ.get("AV_ADMIN_SECRET_ARN")
    if not arn:
        raise AdminError("AV_ADMIN_SECRET_ARN is not set: the stack gives AdminFunction no database secret")
    value = secret_store.current(arn, force=True)  # rotated by RDS: read it fresh every time
    data = json.loads(value) if value.strip().startswith("{") else None
    if isinstance(data, dict) and "dsn" not in data:
        for key, variable in (("host", "AV_ADMIN_DB_HOST"), ("port", "AV_ADMIN_DB_PORT")):
            if key not in data and os.environ.get(variable):
                data[key] = os.environ[variable]
        value = json.dumps(data)
    params = conninfo_to_dict(dsn_from_secret_value(value, arn))
    if os.environ.get("AV_ADMIN_DB_NAME"):
        params["dbname"] = os.environ["AV_ADMIN_DB_NAME"]
    return make_conninfo("", **{k: str(v) for k, v in params.items() if v is not None})


def _role_password(variable: str, role: str) -> str | None:
    """A login role's password from the secret the stack generated for it (its functions read the same)."""
    arn = os.environ.get(variable)
    if not arn:
        return None
    data = json.loads(secret_store.current(arn, force=True))
    if data.get("username") != role:
        raise AdminError(f"{variable}: the secret is for user {data.get('username')!r}, not {role}")
    return str(data["password"])


def _roles(conn: psycopg.Connection, *, dry_run: bool) -> dict[str, Any]:
    plan = plan_roles(
        conn,
        ingest_password=_role_password("AV_INGEST_SECRET_ARN", INGEST_ROLE),
        viewer_password=_role_password("AV_VIEWER_SECRET_ARN", VIEWER_ROLE),
    )
    if not dry_run:
        apply_roles(conn, plan)
    return {
        "changes": len(plan.steps),
        "warnings": list(plan.warnings),
        "sql": plan.script() if dry_run else None,
    }


def _migrate(conn: psycopg.Connection, *, dry_run: bool) -> dict[str, Any]:
    if dry_run:
        return {"sql": migration_script(conn)}
    done = migrate(conn)
    return {"applied": [f"{m.version:04d}_{m.name}" for m in done], "schema_version": applied_version(conn)}


def _status(conn: psycopg.Connection) -> dict[str, Any]:
    return {
        "schema_version": applied_version(conn),
        "code_schema_version": SCHEMA_VERSION,
        "pending": [f"{m.version:04d}_{m.name}" for m in pending(conn)],
    }


def _as_owner(action: Callable[[psycopg.Connection], Any]) -> Callable[[psycopg.Connection], Any]:
    def run(conn: psycopg.Connection) -> Any:
        become_owner(conn)
        return action(conn)

    return run


def _command(event: dict[str, Any]) -> Callable[[psycopg.Connection], dict[str, Any]]:
    """The command an operator's event asks for, as a function of an administrator connection."""
    name, dry_run = event.get("command"), bool(event.get("dry_run"))

    def device_add(conn: psycopg.Connection) -> dict[str, Any]:
        issued = credentials.add_device(
            conn, machine=event.get("machine") or event["name"], name=event["name"]
        )
        return {
            "device_id": issued.id,
            "token": issued.token,
            "note": "shown once; give it to av-client init",
        }

    def viewer_add(conn: psycopg.Connection) -> dict[str, Any]:
        issued = credentials.add_viewer(conn, name=event["name"])
        return {
            "viewer_id": issued.id,
            "token": issued.token,
            "note": "shown once; log in to the viewer with it",
        }

    def device_revoke(conn: psycopg.Connection) -> dict[str, Any]:
        credentials.revoke_device(conn, int(event["id"]))
        return {"revoked_device": int(event["id"])}

    def viewer_revoke(conn: psycopg.Connection) -> dict[str, Any]:
        credentials.revoke_viewer(conn, int(event["id"]))
        return {"revoked_viewer": int(event["id"])}

    def device_list(conn: psycopg.Connection) -> dict[str, Any]:
        return {
            "devices": [
                {
                    "id": d.id,
                    "name": d.name,
                    "machine": d.machine,
                    "hint": d.hint,
                    "last_seen_at": d.last_seen_at.isoformat() if d.last_seen_at else None,
                    "revoked_at": d.revoked_at.isoformat() if d.revoked_at else None,
                }
                for d in credentials.list_devices(conn)
            ]
        }

    def viewer_list(conn: psycopg.Connection) -> dict[str, Any]:
        rows = credentials.list_viewers(conn)
        return {
            "viewers": [{"id": r[0], "name": r[1], "hint": r[2], "revoked": r[6] is not None} for r in rows]
        }

    commands: dict[str, Callable[[psycopg.Connection], dict[str, Any]]] = {
        "migrate": lambda conn: _migrate(conn, dry_run=dry_run),
        "roles": lambda conn: _roles(conn, dry_run=dry_run),
        "status": _status,
        "device-add": _as_owner(device_add),
        "device-list": _as_owner(device_list),
        "device-revoke": _as_owner(device_revoke),
        "viewer-add": _as_owner(viewer_add),
        "viewer-list": _as_owner(viewer_list),
        "viewer-revoke": _as_owner(viewer_revoke),
    }
    if name not in commands:
        raise AdminError(f"unknown command {name!r}; choose one of {', '.join(sorted(commands))}")
    missing = [field for field in REQUIRED_FIELDS.get(str(name), ()) if field not in event]
    if missing:
        raise AdminError(f"{name} needs {', '.join(repr(f) for f in missing)} in the event")
    return commands[name]


def run_command(event: dict[str, Any]) -> dict[str, Any]:
    """One operator command; expected failures are an answer with ``ok: false``, not an exception."""
    try:
        action = _command(event)
        with connect_admin(admin_dsn()) as conn:
            result = action(conn)
    except EXPECTED as exc:
        log.warning("admin command refused", extra={"command": event.get("command"), "error": str(exc)})
        return {"ok": False, "error": str(exc)}
    log.info("admin command done", extra={"command": event.get("command")})
    return {"ok": True, **result}


def deploy(*, manage_roles: bool) -> dict[str, str]:
    """What the custom resource does on create and update: roles (if managed here), then migrations."""
    with connect_admin(admin_dsn()) as conn:
        if manage_roles:
            _roles(conn, dry_run=False)
        done = migrate(conn)
        version = applied_version(conn)
    log.info(
        "schema migrated at deploy", extra={"applied": [m.version for m in done], "schema_version": version}
    )
    return {"SchemaVersion": str(version)}


def _respond(event: dict[str, Any], status: str, reason: str, data: dict[str, str]) -> None:
    """Answer CloudFormation through the pre-signed URL it sent (an S3 PUT, no AWS credentials)."""
    body = json.dumps(
        {
            "Status": status,
            "Reason": reason[:3000],
            "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID,
            "StackId": event["StackId"],
            "RequestId": event["RequestId"],
            "LogicalResourceId": event["LogicalResourceId"],
            "Data": data,
        }
    ).encode()
    request = urllib.request.Request(  # noqa: S310 - the URL is CloudFormation's own https S3 URL
        event["ResponseURL"], data=body, method="PUT", headers={"Content-Type": ""}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()


def custom_resource(event: dict[str, Any]) -> None:
    """Handle a CloudFormation custom resource event; always answer, or the stack waits an hour."""
    status, reason, data = "SUCCESS", "", {}
    try:
        if event["RequestType"] in ("Create", "Update"):
            manage = str(event.get("ResourceProperties", {}).get("ManageRoles", "false")).lower() == "true"
            data = deploy(manage_roles=manage)
            reason = f"schema at version {data['SchemaVersion']}"
        else:
            reason = "nothing to do: the database and its data are kept"  # Delete
    except EXPECTED as exc:
        status, reason = "FAILED", str(exc)
        log.error("schema migration at deploy failed", extra={"error": reason})
    except Exception as exc:  # an answer CloudFormation can show beats an hour-long wait
        status, reason = "FAILED", f"{type(exc).__name__}: {exc}; see the AdminFunction log"
        log.exception("schema migration at deploy failed unexpectedly")
    _respond(event, status, reason, data)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any] | None:
    configure_logging()
    lambda_request_id_var.set(getattr(context, "aws_request_id", None))
    if "RequestType" in event and "ResponseURL" in event:
        custom_resource(event)
        return None
    return run_command(event)
