#!/bin/sh
# The production server: gunicorn runs the app factory app:init_app with aiohttp's worker.
# Used as the container's command (Dockerfile) and as App Service's startup command
# (deploymentTemplates/). It listens on HOST:PORT, by default on every interface (0.0.0.0: a container
# or App Service forwards outside traffic to it, which never reaches 127.0.0.1) on port 8000.
# One worker process by default; WEB_CONCURRENCY=n runs n (each its own event loop; state is shared
# through STORAGE). SIGTERM drains: no new turns, open answers finished with a note, state saved, exit.
# GUNICORN_CMD_ARGS adds gunicorn options.
exec gunicorn app:init_app \
    --worker-class aiohttp.GunicornWebWorker \
    --bind "${HOST:-0.0.0.0}:${PORT:-8000}" \
    --graceful-timeout 30 \
    --access-logfile -
