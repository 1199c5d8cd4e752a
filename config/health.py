"""``/health`` for load balancers and container healthchecks.

Answered by a middleware placed first, before anything reads the Host header: a healthcheck calls the container on
``127.0.0.1`` whatever ``ALLOWED_HOSTS`` says, and must not be refused as a disallowed host (HTTP 400) by the very
validation that protects the public site. It checks the database, so a web container that lost PostgreSQL is
reported unhealthy.
"""

from django.db import connection
from django.http import JsonResponse

HEALTH_PATH = "/health"


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info != HEALTH_PATH:
            return self.get_response(request)
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except Exception as exc:  # any database failure means "unhealthy", never a 500 page
            return JsonResponse({"status": "error", "database": type(exc).__name__}, status=503)
        return JsonResponse({"status": "ok"})
