# One image for web (granian), Celery worker and Celery beat; docker-compose.yml picks the command.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 DJANGO_SETTINGS_MODULE=config.settings

WORKDIR /app
RUN useradd --create-home --uid 1000 roaming

# Dependencies first, from pyproject.toml alone: a code change rebuilds only the layers below.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install --upgrade pip && pip install -r /tmp/requirements.txt

COPY README.md manage.py ./
COPY config ./config
COPY roaming ./roaming
# DEBUG only for this build step: production settings refuse to start without real secrets, which a build lacks.
RUN pip install --no-deps . && DEBUG=true python manage.py collectstatic --noinput

USER roaming
EXPOSE 8000
# Workers are processes, each serving requests on --blocking-threads threads; SIGTERM stops them gracefully (the
# traffic log writes its buffer), and one that does not stop within --workers-kill-timeout is killed.
CMD ["granian", "--interface", "wsgi", "config.wsgi:application", "--host", "0.0.0.0", "--port", "8000", \
     "--workers", "3", "--blocking-threads", "4", "--workers-kill-timeout", "30", "--respawn-failed-workers", \
     "--access-log"]
