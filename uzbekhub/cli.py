"""Operator commands: `flask --app wsgi create-admin --email E --password P`, and
`flask --app wsgi seed-demo` (development only)."""

import click
from flask import current_app
from flask.cli import with_appcontext

from uzbekhub import demo
from uzbekhub.accounts.users import create_staff_user


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


@click.command("seed-demo")
@with_appcontext
def seed_demo() -> None:
    """Fill the database with a small demo world (not in production; runs once)."""
    if current_app.config["APP_ENV"] == "production":
        raise click.ClickException(
            "seed-demo is refused when APP_ENV=production: its users have published passwords."
        )
    people = demo.seed()
    if people is None:
        click.echo("The demo world is already there; nothing was changed.")
        people = demo.PEOPLE
    else:
        click.echo("The demo world is ready: 12 users, posts, stories, a private chat and a group.")
    click.echo(f"Sign in as any of them with the password {demo.PASSWORD!r}:")
    for person in people:
        notes = ", ".join(
            note
            for note, applies in (("staff", person.staff), ("private account", person.private))
            if applies
        )
        city = person.city[0] if person.city else "no location"
        click.echo(f"  {person.email:<28} {person.first} {person.last}, {city}  {notes}".rstrip())
    for relation in demo.RELATIONS:
        click.echo(f"- {relation}")
