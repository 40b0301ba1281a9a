FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 \
    APP_ENV=production HOST=0.0.0.0 PORT=8000 FLASK_APP=wsgi
WORKDIR /app

COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --create-home uzbekhub && mkdir -p instance/media && chown -R uzbekhub instance
USER uzbekhub

EXPOSE 8000
# Migrations run first, then the eventlet server (HTTP, Socket.IO and WebSocket on one port).
CMD ["sh", "-c", "flask db upgrade && exec python wsgi.py"]
