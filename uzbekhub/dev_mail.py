"""Development only: the last mails sent, kept in memory and shown at `GET /dev/mail/` (a page,
or JSON for `Accept: application/json`). Mails carry codes and reset links, so in production
nothing is kept and the route does not exist."""

from collections import deque

from flask import Blueprint, Flask, current_app, render_template_string, request

from uzbekhub.common.db import utcnow

KEPT = 50

dev_mail = Blueprint("dev_mail", __name__, url_prefix="/dev/mail")

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Mail sent by UzbekHub (development)</title></head>
<body><h1>The last {{ mails|length }} mails (newest first, development only)</h1>
{% for mail in mails %}<article><h2>{{ mail.subject }}</h2>
<p>To {{ mail.to }} at {{ mail.sent_at }}</p><pre>{{ mail.body }}</pre></article><hr>
{% else %}<p>No mail yet: sign up, or ask for a password reset.</p>{% endfor %}
</body></html>"""


def register_dev_mail(app: Flask) -> None:
    if app.config["APP_ENV"] == "production":
        return
    app.extensions["dev_mail"] = deque(maxlen=KEPT)
    app.register_blueprint(dev_mail)


def keep(to: str, subject: str, body: str) -> None:
    mails = current_app.extensions.get("dev_mail")
    if mails is not None:
        sent_at = utcnow().isoformat().replace("+00:00", "Z")
        mails.appendleft({"to": to, "subject": subject, "body": body, "sent_at": sent_at})


def forget_all(app: Flask) -> None:
    app.extensions.get("dev_mail", deque()).clear()


@dev_mail.get("/")
def recent_mail():
    """The last mails sent, newest first."""
    mails = list(current_app.extensions["dev_mail"])
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        return {"mails": mails}
    return render_template_string(PAGE, mails=mails)
