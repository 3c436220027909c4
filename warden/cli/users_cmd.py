"""``warden users``: the people who may log in to the web console and the API.

There is no default account; the first admin is made here (or by ``warden serve --demo``).
Passwords are read from a hidden prompt (twice) or, for scripts, one line of stdin; never
from an argument, where ``ps`` and the shell history would show them.
"""

from __future__ import annotations

import sys

import click

from core.models import Role, UserPublic
from core.services import users as users_service
from warden.cli.context import CliContext, json_option, pass_ctx
from warden.cli.output import print_json, print_table, safe

_ROLES = click.Choice([r.value for r in Role])
_password_stdin = click.option(
    "--password-stdin", is_flag=True, help="Read the password from one line of stdin."
)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    return click.prompt("Password", hide_input=True, confirmation_prompt=True)


def _show(user: UserPublic, as_json: bool, what: str) -> None:
    if as_json:
        print_json(user)
    else:
        click.echo(f"user {safe(user.name)} {what}")


@click.group()
def users() -> None:
    """Users and roles: viewer reads, operator acts on findings, intents and actions,
    admin manages everything."""


@users.command("list")
@json_option
@pass_ctx
def list_(state: CliContext, as_json: bool) -> None:
    """Every user with role, state and last login."""
    with state.read_core.db.reader() as session:
        found = users_service.list_users(session=session, actor=state.actor).items
    if as_json:
        print_json(found)
    elif not found:
        click.echo("no users; `warden users add NAME --role admin` makes the first")
    else:
        print_table(
            ["name", "role", "state", "created", "last login"],
            [
                (
                    u.name,
                    u.role,
                    "disabled" if u.disabled else "enabled",
                    u.created_at,
                    u.last_login_at,
                )
                for u in found
            ],
        )


@users.command("add")
@click.argument("name")
@click.option("--role", type=_ROLES, required=True, help="What the user may do.")
@_password_stdin
@json_option
@pass_ctx
def add(state: CliContext, name: str, role: str, password_stdin: bool, as_json: bool) -> None:
    """Add a user (at least 12 characters of password, not a common one)."""
    password = _read_password(password_stdin)
    with state.core.db.writer() as session:
        user = users_service.add_user(
            session=session,
            name=name,
            password=password,
            role=Role(role),
            actor=state.actor,
            now=state.core.clock.now(),
        )
    _show(user, as_json, f"added as {user.role}")


@users.command("passwd")
@click.argument("name")
@_password_stdin
@pass_ctx
def passwd(state: CliContext, name: str, password_stdin: bool) -> None:
    """Set a user's password; the user's sessions end. No current password is asked:
    whoever runs this on the gateway can read the database anyway."""
    password = _read_password(password_stdin)
    with state.core.db.writer() as session:
        user = users_service.set_password(
            session=session,
            name=name,
            password=password,
            actor=state.actor,
            now=state.core.clock.now(),
        )
    _show(user, False, "has a new password; their sessions ended")


def _set_disabled(state: CliContext, name: str, disabled: bool) -> UserPublic:
    with state.core.db.writer() as session:
        return users_service.set_disabled(
            session=session,
            name=name,
            disabled=disabled,
            actor=state.actor,
            now=state.core.clock.now(),
        )


@users.command("disable")
@click.argument("name")
@pass_ctx
def disable(state: CliContext, name: str) -> None:
    """Stop a user from logging in; their sessions end."""
    _show(_set_disabled(state, name, True), False, "disabled")


@users.command("enable")
@click.argument("name")
@pass_ctx
def enable(state: CliContext, name: str) -> None:
    """Let a disabled user log in again."""
    _show(_set_disabled(state, name, False), False, "enabled")


@users.command("role")
@click.argument("name")
@click.argument("role", type=_ROLES)
@pass_ctx
def role(state: CliContext, name: str, role: str) -> None:
    """Change a user's role; their sessions end."""
    with state.core.db.writer() as session:
        user = users_service.set_role(
            session=session,
            name=name,
            role=Role(role),
            actor=state.actor,
            now=state.core.clock.now(),
        )
    _show(user, False, f"is now {user.role}")
