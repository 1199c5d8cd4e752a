# One image for web (gunicorn), Celery worker and Celery beat; docker-compose.yml picks the command.
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
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--threads", "4", "--timeout", "120", "--access-logfile", "-"]
