"""Operator commands: `flask --app wsgi create-admin --email E --password P`."""

import click
from flask.cli import with_appcontext

from uzbekhub.accounts.services import create_staff_user


@click.command("create-admin")
@click.option("--email", required=True, help="Email of the staff user.")
@click.option("--password", required=True, help="Password (8-128 characters).")
@with_appcontext
def create_admin(email: str, password: str) -> None:
    """Create an active staff user, or promote and reset the user with this email."""
    try:
        user = create_staff_user(email, password)
    except ValueError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Staff user {user.email} (id {user.id}) is ready.")
