"""Walk a consumer and two agents through the production configuration on two web nodes.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python deploy/two_node_walk.py   (or make two-node)

Starts nginx (TLS on 127.0.0.1:8680, the site in deploy/nginx/) in front of two gunicorn
nodes (127.0.0.1:8601 and :8602, no sticky sessions), one Celery worker and Celery beat as
separate processes, in production mode against DATABASE_URL and REDIS_URL. Each step checks
which node answered and that requests alternate between them. Everything it starts is
stopped at the end; its files live under /tmp/prod-nginx. Exits non-zero on the first
failed check.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import secrets
import shutil
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from http.cookies import SimpleCookie
from pathlib import Path
from string import Template
from typing import Any
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
WORK = Path(os.environ.get("WALK_DIR", "/tmp/prod-nginx"))  # noqa: S108 - made anew each run
PROXY_PORT = 8680
NODES = ("127.0.0.1:8601", "127.0.0.1:8602")
BASE_DOMAIN = "complaints.test"
HOST = f"walk.{BASE_DOMAIN}"
PASSWORD = "walk-through-password-2026"
TOTP_KEY_HEX = "3132333435363738393031323334353637383930"
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))


def production_env() -> dict[str, str]:
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            sys.exit(f"{name} must be set")
    return {
        **os.environ,
        "DJANGO_ENV": "production",
        "DJANGO_SETTINGS_MODULE": "project.settings",
        "SECRET_KEY": secrets.token_urlsafe(48),
        "BASE_DOMAIN": BASE_DOMAIN,
        "PUBLIC_PORT": str(PROXY_PORT),
        "DATA_DIR": str(WORK / "data"),  # absent on purpose: beat must make it
        "MEDIA_ROOT": str(WORK / "media"),
        "EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend",
        "API_NUM_PROXIES": "1",
        "API_TOKEN_RATE": "5/min",
        "WEB_WORKERS": "2",
        "WEB_THREADS": "2",
        "DATABASE_POOL_MAX": "4",
    }


ENV = production_env()
os.environ.update(ENV)


def say(line: str) -> None:
    print(line, flush=True)


def check(condition: bool, what: str) -> None:
    if not condition:
        raise SystemExit(f"FAILED: {what}")
    say(f"  ok   {what}")


# --- processes ------------------------------------------------------------------------------

processes: list[tuple[str, subprocess.Popen[bytes]]] = []


def start(name: str, command: list[str], **env: str) -> None:
    log = (WORK / f"{name}.log").open("wb")
    process = subprocess.Popen(  # noqa: S603 - fixed commands of this project
        command, cwd=ROOT, env={**ENV, **env}, stdout=log, stderr=subprocess.STDOUT
    )
    processes.append((name, process))


def stop_all() -> None:
    for _name, process in reversed(processes):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for name, process in reversed(processes):
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            say(f"  {name} did not stop in 30 s; killed")


def manage(*args: str) -> None:
    subprocess.run(  # noqa: S603 - fixed commands of this project
        [str(BIN / "python"), "manage.py", *args], cwd=ROOT, env=ENV, check=True
    )


def wait_until(what: str, ready: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if ready():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise SystemExit(f"FAILED: {what} within {seconds:.0f} s")


def nginx_site() -> Path:
    certificate, key = WORK / "tls.crt", WORK / "tls.key"
    subprocess.run(  # noqa: S603
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",  # noqa: S607
         "-subj", f"/CN=*.{BASE_DOMAIN}", "-keyout", str(key), "-out", str(certificate)],
        check=True, capture_output=True,
    )  # fmt: skip
    site = Template((ROOT / "deploy/nginx/complaints.conf.template").read_text()).safe_substitute(
        LISTEN=f"127.0.0.1:{PROXY_PORT}",
        SERVER_NAME=f".{BASE_DOMAIN}",
        TLS_CERT=str(certificate),
        TLS_KEY=str(key),
        UPSTREAMS=" ".join(f"server {node};" for node in NODES),
    )
    # The plain-HTTP redirect server needs port 80, which a walk-through on a shared machine
    # does not take.
    site = site[: site.index("server {\n    listen 80;")]
    config = WORK / "nginx.conf"
    spool = WORK / "spool"
    config.write_text(
        f"worker_processes 1;\npid {WORK}/nginx.pid;\nerror_log {WORK}/nginx-error.log;\n"
        "events { worker_connections 256; }\n"
        f"http {{\n  access_log {WORK}/nginx-access.log;\n"
        f"  client_body_temp_path {spool}; proxy_temp_path {spool};\n"
        f"  fastcgi_temp_path {spool}; uwsgi_temp_path {spool}; scgi_temp_path {spool};\n"
        f"{site}\n}}\n"
    )
    spool.mkdir()
    return config


# --- a browser that keeps cookies and follows nothing by itself ---------------------------


class Browser:
    def __init__(self, host: str = HOST) -> None:
        self.host = host
        self.cookies: dict[str, str] = {}
        self.nodes: list[str] = []
        self.context = ssl.create_default_context()
        self.context.check_hostname = False
        self.context.verify_mode = ssl.CERT_NONE  # the walk's own self-signed certificate

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, **headers: str
    ) -> tuple[int, dict[str, str], str]:
        connection = http.client.HTTPSConnection(
            "127.0.0.1", PROXY_PORT, context=self.context, timeout=30
        )
        sent = {"Host": self.host, "Referer": f"https://{self.host}/", **headers}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            form = {"csrfmiddlewaretoken": self.cookies.get("csrftoken", ""), **form}
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        if "json" in headers:
            body = headers.pop("json")
        connection.request(method, path, body=body, headers=sent)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        node = response.headers.get("X-Served-By", "?")
        self.nodes.append(node)
        connection.close()
        return response.status, dict(response.headers.items()), text

    def get(self, path: str) -> tuple[int, dict[str, str], str]:
        return self.request("GET", path)

    def post(self, path: str, form: dict[str, str]) -> tuple[int, dict[str, str], str]:
        return self.request("POST", path, form)

    def post_json(self, path: str, data: Any, token: str = "") -> tuple[int, dict[str, str], str]:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        connection = http.client.HTTPSConnection(
            "127.0.0.1", PROXY_PORT, context=self.context, timeout=30
        )
        connection.request(
            "POST", path, body=json.dumps(data), headers={"Host": self.host, **headers}
        )
        response = connection.getresponse()
        text = response.read().decode()
        self.nodes.append(response.headers.get("X-Served-By", "?"))
        return response.status, dict(response.headers.items()), text

    def last_two_nodes_differ(self) -> bool:
        return len(self.nodes) >= 2 and self.nodes[-1] != self.nodes[-2]


def sign_in(browser: Browser, email: str) -> None:
    browser.get("/accounts/login/")
    status = browser.post("/accounts/login/", {"login": email, "password": PASSWORD})[0]
    check(status == 302, f"{email} signs in on {browser.nodes[-1]} (302)")


# --- the walk ---------------------------------------------------------------------------


def prepare_data() -> dict[str, Any]:
    """A tenant with a consumer, two agents (known TOTP key) and a default team."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.db import connection
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import Role, User
    from complaints.models import Team
    from tenancy import current
    from tenancy.models import Domain, Tenant

    current.use_public_schema()
    if not Tenant.objects.filter(schema_name="public").exists():
        public = Tenant(schema_name="public", name="Platform", slug="platform")
        public.save(verbosity=0)
        Domain.objects.create(domain=BASE_DOMAIN, tenant=public, is_primary=True)
    Tenant.objects.filter(slug="walk").delete()
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS t_walk CASCADE")
    tenant = Tenant(schema_name="t_walk", slug="walk", name="Walk-through Bank")
    tenant.save(verbosity=0)
    Domain.objects.create(domain=HOST, tenant=tenant, is_primary=True)
    current.use_tenant(tenant)
    team = Team.objects.create(name="Front line", is_default=True)
    people = {}
    for role, email in [
        (Role.CONSUMER, "casey@walk.example"),
        (Role.AGENT, "alex@walk.example"),
        (Role.AGENT, "robin@walk.example"),
    ]:
        user = User.objects.create_user(email, PASSWORD, role=role, full_name=email.split("@")[0])
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
        if role == Role.AGENT:
            TOTPDevice.objects.create(user=user, name="Phone", key=TOTP_KEY_HEX, confirmed=True)
            team.members.add(user)
        people[email] = user
    current.use_public_schema()
    return {"tenant": tenant, "people": people}


def totp_code() -> str:
    from django_otp.oath import totp

    return f"{totp(bytes.fromhex(TOTP_KEY_HEX)):06d}"


@contextmanager
def production_on_this_machine() -> Iterator[None]:
    if WORK.exists():
        shutil.rmtree(WORK)
    WORK.mkdir(parents=True)
    say("== setting up: migrations, static files, a tenant with a consumer and two agents")
    manage("migrate_schemas", "--noinput", "-v", "0")
    manage("collectstatic", "--noinput", "-v", "0")
    config = nginx_site()
    for index, node in enumerate(NODES):
        metrics = WORK / f"metrics-{index}"
        metrics.mkdir()
        start(
            f"web-{index}",
            [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
            WEB_BIND=node,
            PROMETHEUS_MULTIPROC_DIR=str(metrics),
        )
    start(
        "worker",
        [str(BIN / "celery"), "-A", "project", "worker", "--loglevel", "INFO", "-c", "2"],
        PROMETHEUS_MULTIPROC_DIR=str(WORK / "metrics-0"),
    )
    start("beat", [str(BIN / "celery"), "-A", "project", "beat", "--loglevel", "INFO"])
    start("nginx", ["/usr/sbin/nginx", "-c", str(config), "-g", "daemon off;"])
    try:
        for node in NODES:
            wait_until(f"{node} answers", partial(_healthy, node))
        wait_until("nginx answers", lambda: Browser().get("/healthz")[0] == 200)
        yield
    finally:
        stop_all()


def _healthy(node: str) -> bool:
    connection = http.client.HTTPConnection(node, timeout=2)
    connection.request("GET", "/healthz")
    return connection.getresponse().status == 200


def walk() -> None:
    data = prepare_data()

    from operations.services import set_tenant_status
    from outbox.models import Message
    from tenancy import current
    from tenancy.models import Tenant

    say("== consumer: sign-in on one node, pages on the other")
    consumer = Browser()
    sign_in(consumer, "casey@walk.example")
    status, _, page = consumer.get("/complaints/")
    check(status == 200 and "My complaints" in page, "the session is valid on the other node")
    check(consumer.last_two_nodes_differ(), f"nodes alternate: {consumer.nodes[-2:]}")

    say("== consumer: API token and a complaint, the outbox delivered by the worker")
    api = Browser()
    status, _, body = api.post_json(
        "/api/v1/auth/token/", {"email": "casey@walk.example", "password": PASSWORD}
    )
    check(status == 200, f"token issued by {api.nodes[-1]}")
    access = json.loads(body)["access"]
    status, _, body = api.post_json(
        "/api/v1/complaints/",
        {"subject": "Card fee", "description": "Charged twice for one payment."},
        token=access,
    )
    check(status == 201, f"complaint created by {api.nodes[-1]} (201)")
    check(api.last_two_nodes_differ(), f"nodes alternate: {api.nodes[-2:]}")
    reference = json.loads(body)["reference"]
    current.use_tenant(data["tenant"])
    started = time.monotonic()
    wait_until(
        "the outbox delivered",
        lambda: (
            Message.objects.exists()
            and not Message.objects.exclude(status=Message.Status.SENT).exists()
        ),
    )
    sent = Message.objects.filter(status=Message.Status.SENT).count()
    check(sent >= 1, f"{sent} e-mail(s) sent by the worker in {time.monotonic() - started:.1f} s")
    current.use_public_schema()

    say("== agents: password on one node, second factor on the other")
    agents = {}
    for email in ("alex@walk.example", "robin@walk.example"):
        browser = Browser()
        sign_in(browser, email)
        status, headers, _ = browser.get("/console/")
        check(
            status == 302 and "two-factor" in headers.get("Location", ""),
            "the console asks for the second factor first",
        )
        status, _, _ = browser.post("/account/two-factor/", {"code": totp_code()})
        check(status == 302, f"second factor accepted by {browser.nodes[-1]}")
        status, _, page = browser.get("/console/")
        check(status == 200, f"console served by {browser.nodes[-1]} after the second factor")
        agents[email] = browser
        # A TOTP code is single-use per device; both agents share the walk's key, so wait for
        # the next step only if the code would repeat.
        time.sleep(0.1)

    say("== presence: one agent views, the other sees it from the other node")
    alex, robin = agents["alex@walk.example"], agents["robin@walk.example"]
    status, _, _ = alex.get(f"/console/complaints/{reference}/")
    check(status == 200, f"alex opens {reference} on {alex.nodes[-1]}")
    for _ in range(2):  # once on each node
        status, _, page = robin.get(f"/console/complaints/{reference}/presence/")
        check(
            status == 200 and "alex" in page and "viewing" in page,
            f"robin sees alex viewing, from {robin.nodes[-1]}",
        )

    say("== rate limit of the token endpoint, shared by both nodes (5/min per client)")
    limiter = Browser()
    answers = []
    for _ in range(6):
        status, _, _ = limiter.post_json(
            "/api/v1/auth/token/", {"email": "casey@walk.example", "password": "wrong"}
        )
        answers.append((status, limiter.nodes[-1]))
    say(f"       answers: {answers}")
    # The consumer's own token request earlier counts too.
    check(answers[-1][0] == 429, "refused with 429 once the limit is spent, on either node")
    check(len({node for _, node in answers}) == 2, "the attempts were spread over both nodes")

    say("== suspension: seen by both nodes at once (the shared tenant cache is dropped)")
    watcher = Browser()
    for _ in range(2):
        status, _, _ = watcher.get("/accounts/login/")
        check(status == 200, f"{watcher.nodes[-1]} serves the tenant (host cached)")
    tenant = Tenant.objects.get(slug="walk")
    set_tenant_status(tenant, Tenant.Status.SUSPENDED, actor=None)
    for _ in range(2):
        status, _, _ = watcher.get("/accounts/login/")
        check(status == 503, f"{watcher.nodes[-1]} answers 503 at once after the suspension")
    set_tenant_status(tenant, Tenant.Status.ACTIVE, actor=None)
    for _ in range(2):
        status, _, _ = watcher.get("/accounts/login/")
        check(status == 200, f"{watcher.nodes[-1]} serves the tenant again after resuming")

    say("== readiness and metrics of node 1 (its workers and the Celery worker)")
    connection_ = http.client.HTTPConnection("127.0.0.1", 8601, timeout=5)
    connection_.request("GET", "/readyz")
    say(f"       /readyz: {connection_.getresponse().read().decode()}")
    connection_.request("GET", "/metrics")
    metrics = connection_.getresponse().read().decode()
    wanted = re.compile(
        r"^(complaints_request_duration_seconds_count|complaints_request_db_queries_sum"
        r"|complaints_request_db_queries_count|complaints_cache_requests_total"
        r"|complaints_outbox_|complaints_celery_queue_length|complaints_deadline_scan_seconds_count"
        r"|complaints_task_publish_failures_total)"
    )
    shown = [line for line in metrics.splitlines() if wanted.match(line)]
    for line in shown[:40]:
        say(f"       {line}")
    check(
        any(line.startswith("complaints_outbox_pending_messages") for line in shown),
        "outbox backlog exported",
    )
    check("complaints_request_duration_seconds_count" in metrics, "request latency exported")
    status, _, _ = Browser().get("/metrics")
    check(status == 404, "/metrics is refused through nginx")

    say("== access log lines (JSON, one per request) from node 1")
    for line in (WORK / "web-0.log").read_text().splitlines():
        if '"logger": "gunicorn.access"' in line and '"/console/' in line:
            say(f"       {line}")
            break
    worker_lines = [
        line for line in (WORK / "worker.log").read_text().splitlines() if "succeeded" in line
    ]
    say(f"       worker: {worker_lines[0] if worker_lines else '(no task line)'}")


def main() -> None:
    with production_on_this_machine():
        walk()
        say("== all checks passed")
    say(f"logs in {WORK}")


if __name__ == "__main__":
    main()
