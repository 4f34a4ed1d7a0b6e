"""The development server for `make run`, ending its start-up output with the demo's addresses.

    python manage.py serve_demo 0.0.0.0:8000

Django's ``runserver`` (with static files), which prints the demo accounts and addresses
once it is listening, so they are the last thing in the terminal.
"""

from __future__ import annotations

import os

from django.contrib.staticfiles.management.commands.runserver import Command as RunServer

from operations.management.commands.seed_demo import Command as SeedDemo


class Command(RunServer):
    help = "Serve the demo with the development server and print its addresses."

    def on_bind(self, server_port: int) -> None:
        # `make run` is the demo, not a deployment: the README says how to serve production.
        os.environ.setdefault("DJANGO_RUNSERVER_HIDE_WARNING", "true")
        super().on_bind(server_port)
        summary = SeedDemo()
        summary.stdout = self.stdout
        summary.print_summary()
