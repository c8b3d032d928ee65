"""The three database roles and what each may do, set up by any role with CREATEROLE.

* ``av_owner`` owns the schema and runs migrations (NOLOGIN: administrators
  ``SET ROLE`` to it, so no extra password exists);
* ``av_ingest`` is the writer: DML on the data tables only (grants live in the
  migrations, next to the tables they cover);
* ``av_viewer`` is the reader: SELECT only, and every transaction it opens is
  read-only by default, so even a bug that tried to write would be refused.

Managed PostgreSQL (Amazon RDS, Aurora) gives its master user ``CREATEROLE`` and
``CREATEDB`` but not ``SUPERUSER``. So nothing here sends a statement "just in
case": :func:`plan_roles` reads what is already in place and plans only the
changes, each with the privilege it needs. A second run plans nothing, a run
against a database someone else prepared touches nothing it does not have to,
and a refusal names the statement and the privilege it lacked. The plan runs
in one transaction, so a refusal leaves nothing half done; ``--dry-run`` prints
it instead of running it.

Passwords are hashed by libpq on this side (``PQencryptPasswordConn``) before
they are sent, so no clear-text password reaches the server's statement log.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psycopg
from psycopg import sql

from avcore.schema import DB_SCHEMA, INGEST_ROLE, OWNER_ROLE, VIEWER_ROLE
from infra.admin_db import AdminError

CREATEROLE = "CREATEROLE (the RDS/Aurora master user has it)"
ADMIN_ON = (
    "CREATEROLE; on PostgreSQL 16 and later also the ADMIN option on {role} "
    "(the role that created {role} has it)"
)
SUPERUSER_ONLY = "SUPERUSER: only a superuser can change the SUPERUSER, REPLICATION or BYPASSRLS attribute"

# The attributes each role must have; False means it must not. pg_roles column -> keyword.
ATTRIBUTES = {
    "rolsuper": "SUPERUSER",
    "rolcreatedb": "CREATEDB",
    "rolcreaterole": "CREATEROLE",
    "rolreplication": "REPLICATION",
    "rolbypassrls": "BYPASSRLS",
    "rolcanlogin": "LOGIN",
}
SUPERUSER_ATTRIBUTES = frozenset({"rolsuper", "rolreplication", "rolbypassrls"})
LOGIN_ROLES = {OWNER_ROLE: False, INGEST_ROLE: True, VIEWER_ROLE: True}
ROLE_SETTINGS = {
    OWNER_ROLE: {"search_path": DB_SCHEMA},
    INGEST_ROLE: {"search_path": DB_SCHEMA},
    VIEWER_ROLE: {"search_path": DB_SCHEMA, "default_transaction_read_only": "on"},
}

CALLER_SQL = """
SELECT current_user, rolsuper, rolcreaterole, current_database(), pg_get_userbyid(d.datdba),
       pg_has_role(current_user, d.datdba, 'MEMBER')
FROM pg_roles r, pg_database d
WHERE r.rolname = current_user AND d.datname = current_database()"""
ROLES_SQL = """
SELECT rolname, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin,
       coalesce((SELECT setconfig FROM pg_db_role_setting s WHERE s.setrole = r.oid AND s.setdatabase = 0),
                '{}')
FROM pg_roles r WHERE rolname = ANY(%s)"""
PUBLIC_SCHEMA_SQL = """
SELECT EXISTS (SELECT 1 FROM aclexplode(coalesce(n.nspacl, acldefault('n', n.nspowner))) a
               WHERE a.grantee = 0 AND a.privilege_type = 'CREATE'),
       pg_has_role(current_user, n.nspowner, 'MEMBER'), pg_get_userbyid(n.nspowner)
FROM pg_namespace n WHERE n.nspname = 'public'"""
SCHEMA_OWNER_SQL = "SELECT pg_get_userbyid(nspowner) FROM pg_namespace WHERE nspname = %s"


class RolesError(AdminError):
    """The roles cannot be put in place; the message names the statement and the missing privilege."""


@dataclass(frozen=True)
class Step:
    """One statement of the plan, what ``--dry-run`` shows for it, and the privilege it needs."""

    statement: sql.SQL | sql.Composed
    display: str
    needs: str
    needs_createrole: bool = False
    # Set when the plan already knows the caller lacks what the step needs. PostgreSQL would not
    # always refuse: a GRANT by a role without the grant option only warns and grants nothing.
    lacking: bool = False


@dataclass(frozen=True)
class RolesPlan:
    user: str
    database: str
    steps: tuple[Step, ...]
    warnings: tuple[str, ...] = field(default=())

    def script(self) -> str:
        """The plan as SQL a reader can check (passwords masked)."""
        lines = [f"-- av-admin roles: as {self.user} on database {self.database}"]
        if not self.steps:
            return "\n".join([*lines, "-- nothing to change: the roles, grants and schema are in place"])
        lines.append("BEGIN;")
        for step in self.steps:
            missing = f"; {self.user} lacks it" if step.lacking else ""
            lines.append(f"{step.display};  -- needs {step.needs}{missing}")
        lines.append("COMMIT;")
        return "\n".join(lines)


@dataclass
class _Caller:
    user: str
    superuser: bool
    createrole: bool
    database: str
    database_owner: str
    owns_database: bool


def _caller(conn: psycopg.Connection) -> _Caller:
    row = conn.execute(CALLER_SQL).fetchone()
    assert row is not None, "current_user always has a pg_roles row"
    return _Caller(*row)


def _existing_roles(conn: psycopg.Connection) -> dict[str, dict[str, Any]]:
    roles = {}
    for row in conn.execute(ROLES_SQL, (list(LOGIN_ROLES),)).fetchall():
        name, *flags, settings = row
        attrs = dict(zip(ATTRIBUTES, flags, strict=True))
        attrs["settings"] = dict(item.split("=", 1) for item in settings)
        roles[name] = attrs
    return roles


def _role_steps(
    conn: psycopg.Connection, role: str, current: dict[str, Any] | None, password: str | None
) -> list[Step]:
    ident = sql.Identifier(role)
    steps = []
    wanted = {attr: False for attr in ATTRIBUTES} | {"rolcanlogin": LOGIN_ROLES[role]}
    if current is None:
        login = sql.SQL("LOGIN" if LOGIN_ROLES[role] else "NOLOGIN")
        statement = sql.SQL("CREATE ROLE {} {}").format(ident, login)
        steps.append(Step(statement, statement.as_string(conn), CREATEROLE, needs_createrole=True))
        current = wanted | {"settings": {}}
    for attr, keyword in ATTRIBUTES.items():
        if bool(current[attr]) == wanted[attr]:
            continue
        word = sql.SQL(keyword if wanted[attr] else f"NO{keyword}")
        statement = sql.SQL("ALTER ROLE {} {}").format(ident, word)
        needs = SUPERUSER_ONLY if attr in SUPERUSER_ATTRIBUTES else ADMIN_ON.format(role=role)
        steps.append(Step(statement, statement.as_string(conn), needs, needs_createrole=True))
    if password is not None:
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode()).decode()
        statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(ident, sql.Literal(verifier))
        shown = sql.SQL("ALTER ROLE {} PASSWORD '********'").format(ident).as_string(conn)
        steps.append(Step(statement, shown, ADMIN_ON.format(role=role), needs_createrole=True))
    for name, value in ROLE_SETTINGS[role].items():
        if current["settings"].get(name) == value:
            continue
        statement = sql.SQL("ALTER ROLE {} SET {} = {}").format(
            ident, sql.Identifier(name), sql.Literal(value)
        )
        steps.append(
            Step(statement, statement.as_string(conn), ADMIN_ON.format(role=role), needs_createrole=True)
        )
    return steps


def _has(conn: psycopg.Connection, query: sql.SQL | sql.Composed) -> bool:
    row = conn.execute(query).fetchone()
    return bool(row and row[0])


def _database_steps(conn: psycopg.Connection, caller: _Caller, existing: set[str]) -> list[Step]:
    db = sql.Identifier(caller.database)
    needs = (
        f"ownership of database {caller.database} (owned by {caller.database_owner}; "
        "the RDS/Aurora master user owns the databases it creates)"
    )
    steps: list[Step] = []
    lacking = not (caller.superuser or caller.owns_database)

    def lacks(role: str, privilege: str) -> bool:
        if role not in existing:
            return True
        check = sql.SQL("SELECT has_database_privilege({}, current_database(), {})").format(
            sql.Literal(role), sql.Literal(privilege)
        )
        return not _has(conn, check)

    if lacks(OWNER_ROLE, "CREATE") or lacks(OWNER_ROLE, "CONNECT"):
        statement = sql.SQL("GRANT CREATE, CONNECT ON DATABASE {} TO {}").format(
            db, sql.Identifier(OWNER_ROLE)
        )
        steps.append(Step(statement, statement.as_string(conn), needs, lacking=lacking))
    readers = [role for role in (INGEST_ROLE, VIEWER_ROLE) if lacks(role, "CONNECT")]
    if readers:
        statement = sql.SQL("GRANT CONNECT ON DATABASE {} TO {}").format(
            db, sql.SQL(", ").join(map(sql.Identifier, readers))
        )
        steps.append(Step(statement, statement.as_string(conn), needs, lacking=lacking))
    return steps


def plan_roles(
    conn: psycopg.Connection, *, ingest_password: str | None = None, viewer_password: str | None = None
) -> RolesPlan:
    """What must change for the roles, grants and schema to be in place; changes nothing."""
    caller = _caller(conn)
    existing = _existing_roles(conn)
    passwords = {OWNER_ROLE: None, INGEST_ROLE: ingest_password, VIEWER_ROLE: viewer_password}
    steps: list[Step] = []
    for role in LOGIN_ROLES:
        steps += _role_steps(conn, role, existing.get(role), passwords[role])
    warnings: list[str] = []

    # The administrator must be able to SET ROLE av_owner to migrate and to issue credentials.
    member = OWNER_ROLE in existing and _has(
        conn, sql.SQL("SELECT pg_has_role(current_user, {}, 'MEMBER')").format(sql.Literal(OWNER_ROLE))
    )
    if not member:
        statement = sql.SQL("GRANT {} TO {}").format(sql.Identifier(OWNER_ROLE), sql.Identifier(caller.user))
        steps.append(Step(statement, statement.as_string(conn), ADMIN_ON.format(role=OWNER_ROLE)))
    steps += _database_steps(conn, caller, set(existing))

    # Nobody else may create objects in public (PostgreSQL before 15 allowed it by default).
    row = conn.execute(PUBLIC_SCHEMA_SQL).fetchone()
    if row and row[0]:
        revoke = sql.SQL("REVOKE CREATE ON SCHEMA public FROM PUBLIC")
        if row[1]:
            steps.append(Step(revoke, revoke.as_string(conn), f"ownership of schema public ({row[2]})"))
        else:
            warnings.append(
                f"every role may create objects in schema public, and only its owner ({row[2]}) can "
                f"change that: ask them to run `{revoke.as_string(conn)}`. av-cloud's roles do not "
                "search schema public, so this is hygiene, not a hole in av-cloud."
            )

    schema_owner = conn.execute(SCHEMA_OWNER_SQL, (DB_SCHEMA,)).fetchone()
    schema, owner = sql.Identifier(DB_SCHEMA), sql.Identifier(OWNER_ROLE)
    if schema_owner is None:
        statement = sql.SQL("CREATE SCHEMA {} AUTHORIZATION {}").format(schema, owner)
        needs = f"CREATE on database {caller.database} (its owner has it)"
        steps.append(Step(statement, statement.as_string(conn), needs))
    elif schema_owner[0] != OWNER_ROLE:
        statement = sql.SQL("ALTER SCHEMA {} OWNER TO {}").format(schema, owner)
        steps.append(
            Step(statement, statement.as_string(conn), f"ownership of schema {DB_SCHEMA} ({schema_owner[0]})")
        )
    return RolesPlan(caller.user, caller.database, tuple(steps), tuple(warnings))


def apply_roles(conn: psycopg.Connection, plan: RolesPlan) -> None:
    """Run the plan in one transaction; a refusal rolls all of it back and names what was missing."""
    caller = _caller(conn)
    if not (caller.superuser or caller.createrole) and any(s.needs_createrole for s in plan.steps):
        raise RolesError(
            f"{caller.user} has neither CREATEROLE nor SUPERUSER, and creating or changing the roles "
            f"needs CREATEROLE: run `av-admin roles` as a role that has it (on Amazon RDS and Aurora, "
            "the master user). Nothing was changed."
        )
    for step in plan.steps:
        if step.lacking:
            raise RolesError(
                f"{step.display}: it needs {step.needs}; {caller.user} lacks it. Connect to a database "
                f"{caller.user} owns (create it as {caller.user}: `CREATE DATABASE av`). Nothing was changed."
            )
    conn.autocommit = True
    with conn.transaction():  # a RolesError leaves the block, so everything is rolled back
        for step in plan.steps:
            try:
                conn.execute(step.statement)
            except psycopg.errors.InsufficientPrivilege as exc:
                detail = exc.diag.message_detail
                raise RolesError(
                    f"{step.display}: {exc.diag.message_primary}"
                    + (f" ({detail})" if detail else "")
                    + f". It needs {step.needs}; {caller.user} lacks it. Nothing was changed."
                ) from None


def ensure_roles(
    conn: psycopg.Connection, *, ingest_password: str | None = None, viewer_password: str | None = None
) -> RolesPlan:
    """Create or update the owner, writer and reader roles, and the schema; return what was done."""
    plan = plan_roles(conn, ingest_password=ingest_password, viewer_password=viewer_password)
    apply_roles(conn, plan)
    return plan
