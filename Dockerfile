FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    APP_ENV=production HOST=0.0.0.0 PORT=8000 FLASK_APP=wsgi
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

# .dockerignore leaves out tests/, bench/, the virtualenv and local data.
COPY . .
RUN useradd --create-home uzbekhub && mkdir -p instance/media && chown -R uzbekhub instance
USER uzbekhub

# Uploads with MEDIA_STORAGE=local (the default) live here: mount a volume, or they go with
# the container. With MEDIA_STORAGE=s3 nothing is written to it.
VOLUME ["/app/instance/media"]
EXPOSE 8000
# The process answers (GET /healthz); readiness for traffic is GET /readyz.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '8000'), timeout=4)"]
# Every replica starts the server only. Migrations run once per release, before the new
# replicas start (the Procfile's `release: flask db upgrade`); with Docker:
#   docker run --rm -e DATABASE_URL=… uzbekhub flask db upgrade
CMD ["python", "wsgi.py"]
