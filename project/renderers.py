"""Media types the API answers in besides plain JSON."""

from __future__ import annotations

from rest_framework.renderers import JSONRenderer

from project.problems import PROBLEM_JSON


class ProblemJSONRenderer(JSONRenderer):
    """Lets a client that accepts only ``application/problem+json`` still be answered."""

    media_type = PROBLEM_JSON
