"""The benchmark's floor: a bare Django view that reads 25 queue rows in one query and renders them.

Served beside the product by the ``benchmark`` command (``gunicorn
complaints.benchmark_floor:application``), it is what a page showing the same rows cannot
beat: no middleware, session, permission or template inheritance, one SQL statement. The
schema is named by ``BENCHMARK_SCHEMA``; it is never part of the product's URLs.
"""

from __future__ import annotations

import os
from typing import Any

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
django.setup()

from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402

TEMPLATE = engines["django"].from_string(
    "<!doctype html><title>Floor</title><table>{% for row in rows %}<tr>"
    "<td>{{ row.0 }}</td><td>{{ row.1 }}</td><td>{{ row.2 }}</td><td>{{ row.3 }}</td>"
    "<td>{{ row.4 }}</td><td>{{ row.5 }}</td><td>{{ row.6|date:'j M Y, H:i' }}</td>"
    "<td>{{ row.7|default:'—' }}</td></tr>{% endfor %}</table>"
)
QUERY = """
SELECT c.reference, c.subject, u.full_name, c.status, c.priority, t.name, c.received_at,
       a.full_name
FROM {schema}.complaints_complaint c
JOIN {schema}.accounts_user u ON u.id = c.consumer_id
LEFT JOIN {schema}.complaints_team t ON t.id = c.team_id
LEFT JOIN {schema}.accounts_user a ON a.id = c.assignee_id
WHERE c.status IN ('new', 'open', 'awaiting_consumer', 'reopened')
ORDER BY c.received_at, c.id
LIMIT 25
"""


def floor_page(request: Any = None) -> HttpResponse:
    """The 25 oldest active complaints of the benchmark tenant, as a bare table."""
    schema = connection.ops.quote_name(os.environ.get("BENCHMARK_SCHEMA", "t_bench"))
    with connection.cursor() as cursor:
        cursor.execute(QUERY.format(schema=schema))
        rows = cursor.fetchall()
    return HttpResponse(TEMPLATE.render({"rows": rows}))


class FloorHandler(WSGIHandler):
    """Every path is the floor page, with Django's request cycle but none of the product's."""

    def get_response(self, request: HttpRequest) -> HttpResponse:
        return floor_page(request)


application = FloorHandler()
