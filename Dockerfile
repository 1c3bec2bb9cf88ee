# The bot in a container: gunicorn with aiohttp's worker (startup.sh), as a non-root user.
# Build and run:  docker build -t streaming-llm-bot . && docker run -p 3978:3978 --env-file .env streaming-llm-bot
# The Python version is the one the tests run on and the App Service template deploys (3.11).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 bot && mkdir -p /app/data && chown bot:bot /app/data
WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY --chown=bot:bot . .
USER bot

# Inside a container the bot must listen on 0.0.0.0: traffic forwarded from outside never reaches
# 127.0.0.1. The default SQLite state file lives in /app/data; mount a volume there to keep it, or use
# STORAGE=redis or blob when several containers run.
ENV HOST=0.0.0.0 \
    PORT=3978
EXPOSE 3978
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s \
    CMD python -c "import os, urllib.request as u; u.urlopen('http://127.0.0.1:' + os.environ['PORT'] + '/healthz', timeout=4)"
CMD ["sh", "startup.sh"]
