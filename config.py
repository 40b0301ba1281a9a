"""Configuration read from the environment (README, Configuration).

Nothing is read at import time: `load_config()` builds a plain dict from an
environment mapping when the application is created.
"""

import os
from collections.abc import Mapping

GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v3/certs"
DEV_SECRET = "dev-only-secret-change-me-0123456789abcdef"
GEOCODERS = ("offline", "nominatim")
LOG_FORMATS = ("text", "json")
MEDIA_STORAGES = ("local", "s3")


class ConfigError(RuntimeError):
    """The environment does not describe a runnable service."""


def _bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw in (None, ""):
        return default
    try:
        return float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None


def _int(env: Mapping[str, str], name: str, default: int) -> int:
    return int(_float(env, name, default))


def normalise_database_url(url: str) -> str:
    """Accept Heroku-style `postgres://` and pick psycopg2, which psycogreen makes green."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg2://" + url[len(prefix) :]
    return url


def load_config(env: Mapping[str, str] | None = None) -> dict:
    env = os.environ if env is None else env
    app_env = (env.get("APP_ENV") or env.get("FLASK_ENV") or "development").lower()
    production = app_env == "production"
    debug_defaults = not production

    cfg: dict = {
        "APP_ENV": app_env,
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            env.get("DATABASE_URL") or "sqlite:///uzbekhub.db"
        ),
        # Each process keeps this many PostgreSQL connections once it has needed them; up to
        # DATABASE_MAX_OVERFLOW more are opened at peaks and closed when given back.
        "DATABASE_POOL_SIZE": _int(env, "DATABASE_POOL_SIZE", 32),
        "DATABASE_MAX_OVERFLOW": _int(env, "DATABASE_MAX_OVERFLOW", 8),
        "REDIS_URL": env.get("REDIS_URL") or None,
        "SECRET_KEY": env.get("SECRET_KEY") or (DEV_SECRET if debug_defaults else None),
        "JWT_SECRET_KEY": env.get("JWT_SECRET_KEY") or (DEV_SECRET if debug_defaults else None),
        # Platforms that run the Procfile route to the container's public interface.
        "HOST": env.get("HOST") or ("0.0.0.0" if production else "127.0.0.1"),  # noqa: S104
        "PORT": _int(env, "PORT", 5000),
        "ASYNC_MODE": env.get("ASYNC_MODE") or "eventlet",
        "JWT_ACCESS_MINUTES": _float(env, "JWT_ACCESS_MINUTES", 15),
        "JWT_REFRESH_DAYS": _float(env, "JWT_REFRESH_DAYS", 7),
        # A rotated refresh token sent again this soon is a client's retry, not a theft.
        "REFRESH_RETRY_SECONDS": _float(env, "REFRESH_RETRY_SECONDS", 10),
        # The token states each process keeps (README, "Tokens and sessions").
        "TOKEN_STATE_CACHE_SIZE": _int(env, "TOKEN_STATE_CACHE_SIZE", 10_000),
        "TOKEN_STATE_TTL_SECONDS": _float(env, "TOKEN_STATE_TTL_SECONDS", 60),
        "MAIL_SERVER": env.get("MAIL_SERVER") or None,
        "MAIL_PORT": _int(env, "MAIL_PORT", 25),
        "MAIL_USE_TLS": _bool(env.get("MAIL_USE_TLS"), False),
        "MAIL_USE_SSL": _bool(env.get("MAIL_USE_SSL"), False),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER")
        or "UzbekHub <no-reply@uzbekhub.local>",
        "FRONTEND_URL": (env.get("FRONTEND_URL") or "http://localhost:3000").rstrip("/"),
        "GOOGLE_CLIENT_ID": env.get("GOOGLE_CLIENT_ID") or None,
        "GOOGLE_JWKS_URL": env.get("GOOGLE_JWKS_URL") or GOOGLE_CERTS_URL,
        "GEOCODER": (env.get("GEOCODER") or "offline").lower(),
        "NOMINATIM_DOMAIN": env.get("NOMINATIM_DOMAIN") or "nominatim.openstreetmap.org",
        "GEOCODER_USER_AGENT": env.get("GEOCODER_USER_AGENT") or "uzbekhub",
        "GEOCODER_TIMEOUT": _float(env, "GEOCODER_TIMEOUT", 5),
        # OSM's Nominatim usage policy: at most one request per second.
        "GEOCODER_MIN_DELAY": _float(env, "GEOCODER_MIN_DELAY", 1),
        # Relative paths (the defaults included) resolve against the instance folder.
        "MEDIA_ROOT": env.get("MEDIA_ROOT") or "media",
        "MEDIA_URL": _media_url(env.get("MEDIA_URL") or "/media/"),
        # Where media bytes live (README, Operations): `local` (MEDIA_ROOT) or `s3`, a bucket
        # reached with the standard AWS credentials; fetches redirect to URLs signed for
        # S3_URL_SECONDS.
        "MEDIA_STORAGE": (env.get("MEDIA_STORAGE") or "local").lower(),
        "S3_BUCKET": env.get("S3_BUCKET") or None,
        "S3_ENDPOINT_URL": env.get("S3_ENDPOINT_URL") or None,
        "S3_REGION": env.get("S3_REGION") or None,
        "S3_URL_SECONDS": _int(env, "S3_URL_SECONDS", 300),
        # How long the bucket may take to connect, and to answer each read (two tries).
        "S3_TIMEOUT_SECONDS": _float(env, "S3_TIMEOUT_SECONDS", 10),
        "MAX_UPLOAD_MB": _float(env, "MAX_UPLOAD_MB", 25),
        # One quota across post images, story media and chat files (CHAT_QUOTA_MB, its
        # name before it covered posts and stories, is still read).
        "MEDIA_QUOTA_MB": _float(env, "MEDIA_QUOTA_MB", _float(env, "CHAT_QUOTA_MB", 200)),
        # A chat file uploaded and never sent is removed by `flask purge` after this long.
        "CHAT_TEMP_FILE_HOURS": _float(env, "CHAT_TEMP_FILE_HOURS", 24),
        "RATELIMIT_ENABLED": _bool(env.get("RATELIMIT_ENABLED"), True),
        "THROTTLE_EMAIL_VERIFY": env.get("THROTTLE_EMAIL_VERIFY") or "6/minute",
        "THROTTLE_FORGET_PASSWORD": env.get("THROTTLE_FORGET_PASSWORD") or "6/minute",
        "THROTTLE_NEW_PASSWORD": env.get("THROTTLE_NEW_PASSWORD") or "6/minute",
        "THROTTLE_PROFILE_SEARCH": env.get("THROTTLE_PROFILE_SEARCH") or "60/minute",
        "THROTTLE_PUBLIC_PROFILE": env.get("THROTTLE_PUBLIC_PROFILE") or "10/minute",
        "THROTTLE_SIGNIN": env.get("THROTTLE_SIGNIN") or "10/minute",
        # Wrong passwords for one account: from one client address, and from all together.
        "THROTTLE_SIGNIN_ACCOUNT": env.get("THROTTLE_SIGNIN_ACCOUNT") or "10/hour",
        "THROTTLE_SIGNIN_ACCOUNT_ALL": env.get("THROTTLE_SIGNIN_ACCOUNT_ALL") or "100/hour",
        "THROTTLE_SIGNUP": env.get("THROTTLE_SIGNUP") or "5/minute",
        "THROTTLE_COMMENTS": env.get("THROTTLE_COMMENTS") or "10/minute",
        "THROTTLE_CODE_CONFIRM": env.get("THROTTLE_CODE_CONFIRM") or "6/minute",
        "THROTTLE_LOCATION": env.get("THROTTLE_LOCATION") or "20/hour",
        "THROTTLE_NEARBY": env.get("THROTTLE_NEARBY") or "120/hour",
        # Wrong codes per user and purpose: from one client address, and from all together;
        # for the sign-up verification that names no user, all together.
        "THROTTLE_CODE_GUESSES": env.get("THROTTLE_CODE_GUESSES") or "10/hour",
        "THROTTLE_CODE_GUESSES_ALL": env.get("THROTTLE_CODE_GUESSES_ALL") or "100/hour",
        "THROTTLE_CODE_ONLY_GUESSES": env.get("THROTTLE_CODE_ONLY_GUESSES") or "20/hour",
        "STORY_TTL_HOURS": _float(env, "STORY_TTL_HOURS", 24),
        # Real-time chat (README, "Real-time chat"): heartbeat of plain WebSockets, frames a
        # connection may send (a token bucket), frame sizes answered with an error and the
        # size that closes the socket, frames queued for a slow client, and how long a
        # stopping server waits for frames in progress.
        "CHAT_PING_SECONDS": _float(env, "CHAT_PING_SECONDS", 25),
        "CHAT_FRAMES_PER_SECOND": _float(env, "CHAT_FRAMES_PER_SECOND", 10),
        "CHAT_FRAME_BURST": _int(env, "CHAT_FRAME_BURST", 30),
        "CHAT_FRAME_MAX_BYTES": _int(env, "CHAT_FRAME_MAX_BYTES", 64 * 1024),
        "CHAT_SOCKET_MAX_BYTES": _int(env, "CHAT_SOCKET_MAX_BYTES", 2 * 1024 * 1024),
        "CHAT_SEND_QUEUE": _int(env, "CHAT_SEND_QUEUE", 1000),
        "SHUTDOWN_TIMEOUT": _float(env, "SHUTDOWN_TIMEOUT", 10),
        # Connections `python wsgi.py` serves at once (eventlet's default is 1024, and every
        # open WebSocket holds one); the process also needs as many file descriptors.
        "MAX_CONNECTIONS": _int(env, "MAX_CONNECTIONS", 10000),
        "CORS_ORIGINS": _list(env.get("CORS_ORIGINS")) or (["*"] if debug_defaults else []),
        # Deployments (Procfile, Docker) sit behind one proxy; `make run` behind none.
        "PROXY_FIX_HOPS": _int(env, "PROXY_FIX_HOPS", 1 if production else 0),
        "PASSWORD_HASH_TIME_COST": _int(env, "PASSWORD_HASH_TIME_COST", 3),
        "PASSWORD_HASH_MEMORY_KIB": _int(env, "PASSWORD_HASH_MEMORY_KIB", 65536),
        "LOG_LEVEL": (env.get("LOG_LEVEL") or "INFO").upper(),
        # Web Push of notifications (README, "Notifications"): off without the VAPID keys.
        "VAPID_PRIVATE_KEY": env.get("VAPID_PRIVATE_KEY") or None,
        "VAPID_PUBLIC_KEY": env.get("VAPID_PUBLIC_KEY") or None,
        "VAPID_SUBJECT": env.get("VAPID_SUBJECT") or None,
        "WEBPUSH_ALLOW_HTTP": _bool(env.get("WEBPUSH_ALLOW_HTTP"), False),
        "WEBPUSH_TTL": _int(env, "WEBPUSH_TTL", 24 * 3600),
        "WEBPUSH_TIMEOUT": _float(env, "WEBPUSH_TIMEOUT", 10),
        "LOG_FORMAT": (env.get("LOG_FORMAT") or "text").lower(),
        # Processes serving the app (platforms set it); more than one must meet through Redis.
        "WEB_CONCURRENCY": _int(env, "WEB_CONCURRENCY", 1),
        "METRICS_ENABLED": _bool(env.get("METRICS_ENABLED"), False),
        "METRICS_TOKEN": env.get("METRICS_TOKEN") or None,
    }
    if cfg["GEOCODER"] not in GEOCODERS:
        choices = ", ".join(GEOCODERS)
        raise ConfigError(f"GEOCODER must be one of {choices}, got {cfg['GEOCODER']!r}")
    if cfg["MEDIA_STORAGE"] not in MEDIA_STORAGES:
        raise ConfigError(f"MEDIA_STORAGE must be local or s3, got {cfg['MEDIA_STORAGE']!r}")
    if cfg["MEDIA_STORAGE"] == "s3" and not cfg["S3_BUCKET"]:
        raise ConfigError("MEDIA_STORAGE=s3 needs S3_BUCKET")
    if cfg["LOG_FORMAT"] not in LOG_FORMATS:
        raise ConfigError(f"LOG_FORMAT must be text or json, got {cfg['LOG_FORMAT']!r}")
    # SQLAlchemy reads a pool size of 0 as "no limit": an operator's 0 would open a
    # connection per concurrent request, past PostgreSQL's max_connections.
    if cfg["DATABASE_POOL_SIZE"] < 1 or cfg["DATABASE_MAX_OVERFLOW"] < 0:
        raise ConfigError("DATABASE_POOL_SIZE must be 1 or more, DATABASE_MAX_OVERFLOW 0 or more")
    if cfg["WEB_CONCURRENCY"] > 1 and not cfg["REDIS_URL"]:
        raise ConfigError(
            "REDIS_URL is required when WEB_CONCURRENCY > 1: processes share throttles, "
            "the token blocklist and chat events only through Redis"
        )
    if production:
        check_production(cfg)
    return cfg


def _media_url(raw: str) -> str:
    """A path prefix the app serves (`/media/`), or the absolute URL of a CDN in front of
    the public media (README, Operations)."""
    if raw.startswith(("http://", "https://")):
        return raw.rstrip("/") + "/"
    return "/" + raw.strip("/") + "/"


def _list(raw: str | None) -> list[str]:
    return [item.strip() for item in (raw or "").split(",") if item.strip()]


def check_production(cfg: Mapping) -> None:
    """Fail fast instead of running production on development secrets."""
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        value = cfg.get(name)
        if not value or value == DEV_SECRET or len(value) < 32:
            raise ConfigError(
                f"{name} must be set to a random value of 32+ characters in production"
            )
    if cfg.get("WEBPUSH_ALLOW_HTTP"):
        raise ConfigError("WEBPUSH_ALLOW_HTTP is for development and tests, not production")
