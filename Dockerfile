# devnews-bot: one image for the bot (`run`), the CLI (`ingest`, `migrate`, …) and the console.
# Build: docker build -t devnews-bot .    Run: see compose.yaml and README "Deployment".
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    MPLCONFIGDIR=/tmp/matplotlib

WORKDIR /app
RUN useradd --create-home --uid 10001 --shell /usr/sbin/nologin bot \
    && mkdir -p /data && chown bot:bot /data

# Dependencies first (cached while only the code changes). The package is installed editable:
# it reads seeds/ beside its sources (store/paths.py).
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY delivery ./delivery
COPY handlers ./handlers
COPY render ./render
COPY store ./store
COPY seeds ./seeds
RUN pip install -e ".[postgres]"

USER bot
# SQLite default for a single container; compose.yaml sets DATABASE_URL to PostgreSQL.
ENV DATABASE_URL=sqlite:////data/bot.db \
    HEALTH_PORT=8081 \
    HEALTH_LISTEN=0.0.0.0
VOLUME ["/data"]
EXPOSE 8443 8081

HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ['HEALTH_PORT'], timeout=4)"

# SIGTERM (docker stop) drains in-flight updates and sends within SHUTDOWN_TIMEOUT, then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["python", "-m", "bot"]
CMD ["run"]
