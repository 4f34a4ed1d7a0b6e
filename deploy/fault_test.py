"""Faults while integrations log complaints: nothing acknowledged is lost, doubled or unsent.

    DATABASE_URL=... .venv/bin/python deploy/fault_test.py   (or make faults)

Starts its own Redis (127.0.0.1:6391, nothing on disk), two gunicorn web nodes
(127.0.0.1:8611 and :8612) and one Celery worker, in production mode against DATABASE_URL.
Four API clients then log COMPLAINTS complaints between them, each with its own
Idempotency-Key, retrying with the same key after any error as a careful integration does,
while the script:

- kills a web node with SIGKILL and starts it again;
- kills the Celery worker with SIGKILL and starts it again;
- stops Redis for 10 seconds;
- terminates every database connection of the web nodes and the worker.

Afterwards it sweeps the outbox and prints the figures: complaints acknowledged to a client
(201) and found in the database, lost, duplicated, acknowledgement e-mails undelivered, and
answers other than 201 or a clean 503/409. Exits non-zero unless lost, duplicated,
undelivered and bad answers are all 0. Everything it starts is stopped at the end; its
files live under /tmp/fault-test.
"""

from __future__ import annotations

import http.client
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WORK = Path("/tmp/fault-test")  # noqa: S108 - made anew each run
REDIS_PORT = 6391
NODES = ("127.0.0.1:8611", "127.0.0.1:8612")
BASE_DOMAIN = "faults.test"
HOST = f"faults.{BASE_DOMAIN}"
PASSWORD = "fault-test-password-2026"
CLIENTS = 4
COMPLAINTS = int(os.environ.get("FAULT_COMPLAINTS", "1000"))
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

if not os.environ.get("DATABASE_URL"):
    sys.exit("DATABASE_URL must be set")
ENV = {
    **os.environ,
    "DJANGO_ENV": "production",
    "DJANGO_SETTINGS_MODULE": "project.settings",
    "SECRET_KEY": secrets.token_urlsafe(48),
    "BASE_DOMAIN": BASE_DOMAIN,
    "ALLOWED_HOSTS": f".{BASE_DOMAIN}",
    "SECURE_SSL_REDIRECT": "false",
    "REDIS_URL": f"redis://127.0.0.1:{REDIS_PORT}/0",
    "DATA_DIR": str(WORK / "data"),
    "MEDIA_ROOT": str(WORK / "media"),
    "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
    "EMAIL_FILE_PATH": str(WORK / "mail"),
    "API_TOKEN_RATE": "1000/min",
    # Four clients share one consumer's token for a thousand complaints in about a minute.
    "API_USER_RATE": "100000/min",
    "WEB_WORKERS": "2",
    "WEB_THREADS": "4",
    "DATABASE_POOL": "false",
}
os.environ.update(ENV)

processes: dict[str, subprocess.Popen[bytes]] = {}


def say(line: str) -> None:
    print(line, flush=True)


def start(name: str, command: list[str], **env: str) -> None:
    log = (WORK / f"{name}.log").open("ab")
    processes[name] = subprocess.Popen(  # noqa: S603 - fixed commands of this project
        command, cwd=ROOT, env={**ENV, **env}, stdout=log, stderr=subprocess.STDOUT
    )


def start_web(index: int) -> None:
    start(
        f"web-{index}",
        [str(BIN / "gunicorn"), "-c", "deploy/gunicorn.conf.py"],
        WEB_BIND=NODES[index],
    )


def start_worker() -> None:
    start(
        "worker",
        [str(BIN / "celery"), "-A", "project", "worker", "-c", "2", "--loglevel", "WARNING"],
    )


def start_redis() -> None:
    start(
        "redis",
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(WORK)],
    )  # fmt: skip


def kill(name: str, sig: int = signal.SIGKILL) -> None:
    process = processes[name]
    if process.poll() is None:
        process.send_signal(sig)
        process.wait(timeout=30)


def stop_all() -> None:
    for name in list(processes):
        try:
            kill(name, signal.SIGTERM)
        except subprocess.TimeoutExpired:
            kill(name)


def manage(*args: str) -> str:
    done = subprocess.run(  # noqa: S603 - fixed commands of this project
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=ENV,
        capture_output=True,
        text=True,
    )
    if done.returncode:
        raise SystemExit(f"FAILED: manage.py {' '.join(args)}\n{done.stderr[-3000:]}")
    return done.stdout


def wait_until_healthy(node: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection(node, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"FAILED: {node} did not answer within {seconds:.0f} s")


def prepare() -> None:
    """A tenant with one consumer whose token the clients share."""
    import django

    django.setup()
    from allauth.account.models import EmailAddress
    from django.db import connection

    from accounts.models import Role, User
    from complaints.models import Team
    from tenancy import current
    from tenancy.models import Domain, Tenant

    current.use_public_schema()
    if not Tenant.objects.filter(schema_name="public").exists():
        public = Tenant(schema_name="public", name="Platform", slug="platform")
        public.save(verbosity=0)
    Domain.objects.get_or_create(
        domain=BASE_DOMAIN, defaults={"tenant": Tenant.objects.get(schema_name="public")}
    )
    Tenant.objects.filter(slug="faults").delete()
    with connection.cursor() as cursor:
        cursor.execute("DROP SCHEMA IF EXISTS t_faults CASCADE")
    tenant = Tenant(schema_name="t_faults", slug="faults", name="Fault-test Bank")
    tenant.save(verbosity=0)
    Domain.objects.create(domain=HOST, tenant=tenant, is_primary=True)
    current.use_tenant(tenant)
    Team.objects.create(name="Front line", is_default=True)
    user = User.objects.create_user(
        "casey@faults.example", PASSWORD, role=Role.CONSUMER, full_name="Casey"
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    current.use_public_schema()
    connection.close()


def call(node: str, method: str, path: str, body: Any = None, **headers: str) -> tuple[int, Any]:
    connection = http.client.HTTPConnection(node, timeout=30)
    connection.request(
        method,
        path,
        body=json.dumps(body) if body is not None else None,
        headers={"Host": HOST, "Content-Type": "application/json", **headers},
    )
    response = connection.getresponse()
    text = response.read().decode("utf-8", "replace")
    try:
        return response.status, json.loads(text)
    except ValueError:
        return response.status, text


answers: Counter[int] = Counter()
bad_answers: list[str] = []
acknowledged: dict[str, str] = {}
lock = threading.Lock()


def client(number: int, token: str, keys: list[str]) -> None:
    turn = number
    for key in keys:
        while True:
            node = NODES[turn % len(NODES)]
            turn += 1
            try:
                status, data = call(
                    node,
                    "POST",
                    "/api/v1/complaints/",
                    {"subject": f"Fault test {key}", "description": "Logged while things broke."},
                    Authorization=f"Bearer {token}",
                    **{"Idempotency-Key": key},
                )
            except OSError:
                time.sleep(0.2)  # the node is down: try the other one
                continue
            with lock:
                answers[status] += 1
                if status not in (201, 409, 503):
                    bad_answers.append(f"{status} for {key}: {str(data)[:200]}")
            if status == 201:
                with lock:
                    acknowledged[key] = data["reference"]
                break
            time.sleep(0.2)


def when_logged(share: float) -> None:
    """Wait until ``share`` of the complaints have been acknowledged."""
    while len(acknowledged) < share * COMPLAINTS:
        time.sleep(0.1)


def faults() -> None:
    when_logged(0.1)
    say(f"   fault at {len(acknowledged)} logged: SIGKILL web node 1, then start it again")
    kill("web-0")
    time.sleep(2)
    start_web(0)
    when_logged(0.3)
    say(f"   fault at {len(acknowledged)} logged: SIGKILL the Celery worker, then start it again")
    kill("worker")
    time.sleep(2)
    start_worker()
    when_logged(0.45)
    say(f"   fault at {len(acknowledged)} logged: Redis stopped for 10 s")
    kill("redis")
    time.sleep(10)
    start_redis()
    when_logged(0.75)
    say(
        f"   fault at {len(acknowledged)} logged: every database connection of the web nodes "
        "and the worker terminated"
    )
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


def figures() -> dict[str, int]:
    from django.db import connection

    from complaints.models import Complaint
    from outbox.models import Message
    from tenancy import current
    from tenancy.models import Tenant

    connection.close()
    current.use_tenant(Tenant.objects.get(slug="faults"))
    stored = Counter(
        subject.removeprefix("Fault test ")
        for subject in Complaint.objects.values_list("subject", flat=True)
    )
    references = set(Complaint.objects.values_list("reference", flat=True))
    undelivered = Message.objects.exclude(status=Message.Status.SENT).count()
    mail = (
        "\n".join(path.read_text() for path in (WORK / "mail").glob("*"))
        if (WORK / "mail").exists()
        else ""
    )
    sent_per_reference = Counter(
        line.split()[-1]
        for line in mail.splitlines()
        if line.startswith("Subject:") and "C-" in line
    )
    return {
        "acknowledged (201)": len(acknowledged),
        "stored": sum(stored.values()),
        "lost": sum(1 for key, reference in acknowledged.items() if reference not in references),
        "duplicated": sum(count - 1 for count in stored.values() if count > 1),
        "undelivered e-mails": undelivered,
        "acknowledgements delivered": len(sent_per_reference),
        "e-mails sent twice": sum(count - 1 for count in sent_per_reference.values() if count > 1),
        "answers other than 201, 409, 503": len(bad_answers),
    }


def main() -> int:
    if WORK.exists():
        shutil.rmtree(WORK)
    (WORK / "mail").mkdir(parents=True)
    say("== setting up: migrations, a tenant, Redis, two web nodes, one worker")
    manage("migrate_schemas", "--noinput", "-v", "0")
    prepare()
    start_redis()
    for index in range(len(NODES)):
        start_web(index)
    start_worker()
    try:
        for node in NODES:
            wait_until_healthy(node)
        status, data = call(
            NODES[0],
            "POST",
            "/api/v1/auth/token/",
            {"email": "casey@faults.example", "password": PASSWORD},
        )
        if status != 200:
            raise SystemExit(f"FAILED: token {status} {data}")
        token = data["access"]
        keys = [f"fault-{number:05d}" for number in range(COMPLAINTS)]
        say(f"== {CLIENTS} clients log {COMPLAINTS} complaints while faults happen")
        started = time.monotonic()
        threads = [
            threading.Thread(target=client, args=(number, token, keys[number::CLIENTS]))
            for number in range(CLIENTS)
        ]
        breaker = threading.Thread(target=faults)
        for thread in [*threads, breaker]:
            thread.start()
        for thread in [*threads, breaker]:
            thread.join()
        say(
            f"   done in {time.monotonic() - started:.0f} s; answers {dict(sorted(answers.items()))}"
        )
        say("== the outbox sweep delivers what the faults left behind")
        for _ in range(3):
            manage("run_periodic")
        result = figures()
    finally:
        stop_all()
    for name, value in result.items():
        say(f"   {name}: {value}")
    for line in bad_answers[:10]:
        say(f"   bad answer: {line}")
    failed = any(
        result[name]
        for name in (
            "lost",
            "duplicated",
            "undelivered e-mails",
            "e-mails sent twice",
            "answers other than 201, 409, 503",
        )
    ) or not (
        result["acknowledged (201)"]
        == result["stored"]
        == result["acknowledgements delivered"]
        == COMPLAINTS
    )
    say("FAILED" if failed else "PASSED: 0 lost, 0 duplicated, 0 undelivered, 0 bad answers")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
