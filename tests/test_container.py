"""The image (Dockerfile) and docker-compose.yml as the containers see them,
where no Docker engine runs: the image's build-time Django commands run
with the image's environment and nothing else, and the settings load with
the environment compose gives the application's containers."""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.workers import database_url

ROOT = Path(__file__).resolve().parents[1]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
# What an operator puts in .env next to docker-compose.yml (its header).
DOT_ENV = {"SECRET_KEY": "k" * 50, "AUDIT_KEY": "a" * 50, "MINIO_ROOT_PASSWORD": "m" * 24}


def _final_stage() -> list[tuple[str, str]]:
    """The instructions of the Dockerfile's last stage, continuation lines
    joined: (instruction, arguments)."""
    text = re.sub(r"\\\n\s*", " ", (ROOT / "Dockerfile").read_text())
    lines = [line.strip() for line in text.splitlines()]
    lines = [line for line in lines if line and not line.startswith("#")]
    last_from = max(i for i, line in enumerate(lines) if line.startswith("FROM "))
    return [tuple(line.split(None, 1)) for line in lines[last_from + 1 :]]


def _image_env(tmp_path: Path) -> dict[str, str]:
    """The image's ENV, with its directories moved under ``tmp_path``."""
    env: dict[str, str] = {}
    for instruction, args in _final_stage():
        if instruction == "ENV":
            env.update(item.split("=", 1) for item in shlex.split(args))
    env["VAR_DIR"] = str(tmp_path / "var")
    env["MEDIA_ROOT"] = str(tmp_path / "media")
    return env


def _interpolate(value: str, dot_env: dict[str, str]) -> str:
    """Compose's interpolation of ``${NAME}``, ``${NAME:-default}`` and
    ``${NAME:?error}`` from ``dot_env``, and ``$$`` as ``$``."""

    def one(match: re.Match) -> str:
        name, op, rest = match.group(1), match.group(2), match.group(3) or ""
        found = dot_env.get(name, "")
        if op == ":?" and not found:
            raise AssertionError(f"compose refuses to start without {name}: {rest}")
        return found or (rest if op == ":-" else "")

    value = re.sub(r"\$\{(\w+)(?:(:-|:\?)([^}]*))?\}", one, value.replace("$$", "\0"))
    return value.replace("\0", "$")


def _container_env(tmp_path: Path, dot_env: dict[str, str]) -> dict[str, str]:
    app = COMPOSE["x-app"]["environment"]
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        **_image_env(tmp_path),
        **{name: _interpolate(str(value), dot_env) for name, value in app.items()},
    }
    # The checkpoint file is on the audit volume, in the container.
    assert env.pop("AUDIT_CHECKPOINT_FILE").startswith("/data/audit/")
    env["AUDIT_CHECKPOINT_FILE"] = str(tmp_path / "audit" / "audit-checkpoints.jsonl")
    return env


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )


def test_the_image_build_runs_its_django_commands_with_only_the_image_environment(tmp_path):
    """``docker compose build`` runs collectstatic with DEBUG off: the settings
    must load with the image's ENV and the step's own variables alone."""
    commands = [args for instruction, args in _final_stage() if instruction == "RUN"]
    manage = [args for args in commands if "manage.py" in args]
    assert manage, "the image collects its static files at build time"
    for args in manage:
        words = shlex.split(args)
        assignments = {}
        while "=" in words[0] and not words[0].startswith("-"):
            name, value = words.pop(0).split("=", 1)
            assignments[name] = value
        assert words[:2] == ["python", "manage.py"], args
        env = {"PATH": os.environ["PATH"], "HOME": str(tmp_path), **_image_env(tmp_path)}
        env.update(assignments)
        done = _run(words[1:], env)
        assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "var" / "staticfiles" / "css").is_dir()


def test_every_volume_of_the_application_is_a_directory_its_user_owns_in_the_image():
    """A named volume starts as a copy of the image's directory, owner
    included: one the image lacks is root's, and the application (uid 1000)
    could not write its audit checkpoints or beat its schedule there."""
    stage = _final_stage()
    user = next(args for instruction, args in stage if instruction == "USER")
    setup = " ".join(args for instruction, args in stage if instruction == "RUN")
    created = set(re.search(r"mkdir -p ([^&]+)", setup).group(1).split())
    owned = re.search(rf"chown -R {user}:{user} ([^&;]+)", setup).group(1).split()
    services = COMPOSE["services"].values()
    app_services = [service for service in services if service.get("image") == "stagegate:latest"]
    assert len(app_services) == 4, "migrate, web, worker and beat run the image"
    # yaml.safe_load merges x-app into each: beat's own list replaces its volumes.
    mounts = {volume.split(":")[1] for service in app_services for volume in service["volumes"]}
    assert {"/data/audit", "/data/beat"} <= mounts
    for mount in mounts:
        assert mount in created, f"the image does not create {mount}"
        assert any(mount == top or mount.startswith(top + "/") for top in owned), mount


SETTINGS_SCRIPT = """
import json, django
django.setup()
from django.conf import settings as s
print(json.dumps({
    "debug": s.DEBUG,
    "cache": s.CACHES["default"]["BACKEND"],
    "cache_location": s.CACHES["default"].get("LOCATION"),
    "broker": s.CELERY_BROKER_URL,
    "session_cookie_secure": s.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": s.CSRF_COOKIE_SECURE,
    "ssl_redirect": s.SECURE_SSL_REDIRECT,
    "storage": s.STORAGES["default"]["BACKEND"],
    "mail": s.MAILERS["default"]["OPTIONS"],
    "store_call_seconds": (s.S3_CONNECT_TIMEOUT_SECONDS + s.S3_READ_TIMEOUT_SECONDS)
    * s.S3_MAX_ATTEMPTS,
    "site_url": s.SITE_URL,
    "audit_previous_keys": s.AUDIT_PREVIOUS_KEYS,
    "artifact_max_bytes": s.ARTIFACT_MAX_BYTES,
}))
"""


def _settings(tmp_path: Path, dot_env: dict[str, str]) -> dict:
    env = {**_container_env(tmp_path, dot_env), "DJANGO_SETTINGS_MODULE": "config.settings"}
    done = _run(["-c", SETTINGS_SCRIPT], env)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.mark.django_db
def test_the_compose_containers_pass_the_deploy_checks_with_the_env_file_of_its_header(
    tmp_path,
):
    env = _container_env(tmp_path, DOT_ENV)
    # The checks ask PostgreSQL its version: the test database stands for db.
    assert env["DATABASE_URL"].startswith("postgres://stagegate:stagegate@db:5432/")
    env["DATABASE_URL"] = database_url()
    done = _run(["manage.py", "check", "--deploy", "--fail-level", "ERROR"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "stagegate.W001" not in done.stdout + done.stderr
    # Without CACHE_IN_REDIS the web processes would not share the cache.
    alone = _run(["manage.py", "check", "--deploy"], {**env, "CACHE_IN_REDIS": "0"})
    assert alone.returncode == 0, alone.stderr[-2000:]
    assert "(stagegate.W001) Django's cache is in each process's memory" in alone.stderr
    assert "set CACHE_IN_REDIS=1" in alone.stderr


def _readme_recipe() -> tuple[dict[str, str], list[list[str]]]:
    """The README's full-stack recipe: the variables it exports, and its
    commands (each as its words)."""
    text = (ROOT / "README.md").read_text()
    block = text.split("\n## The full stack\n", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [
        shlex.split(line, comments=True) for line in block.replace("\\\n", " ").splitlines()
    ]
    export, *rest = commands
    assert export[0] == "export", export
    return dict(word.split("=", 1) for word in export[1:]), rest


@pytest.mark.django_db
def test_the_readme_full_stack_recipe_passes_the_deploy_checks_as_written(tmp_path):
    """What an operator copies from the README: with its elided secrets
    filled in and the test database for its host, ``check --deploy`` has
    nothing to say (a shared cache: no stagegate.W001), and gunicorn's
    timeout outlasts an upload waiting on a store that does not answer
    (156 s, as for docker-compose.yml's web below)."""
    recipe, commands = _readme_recipe()
    (tmp_path / "prometheus").mkdir()
    secrets = {name: name.lower() * 8 for name, value in recipe.items() if value == "..."}
    env = {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path),
        **recipe,
        **secrets,
        "DATABASE_URL": database_url(),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "prometheus"),
        "AUDIT_CHECKPOINT_FILE": str(tmp_path / "audit-checkpoints.jsonl"),
    }
    done = _run(["manage.py", "check", "--deploy"], env)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "System check identified no issues" in done.stdout, done.stdout + done.stderr
    [gunicorn] = [words for words in commands if "gunicorn" in words[0]]
    assert int(gunicorn[gunicorn.index("--timeout") + 1]) > 156, gunicorn
    assert "--access-logfile" in gunicorn


def test_what_the_header_says_to_set_in_the_env_file_reaches_the_containers(tmp_path):
    """The production steps of docker-compose.yml's header and the README's
    key rotation name settings an operator puts in .env: each must reach the
    application, not only the ones compose sets itself."""
    defaults = _settings(tmp_path, DOT_ENV)
    assert defaults["site_url"] == "http://127.0.0.1:8000"
    assert defaults["audit_previous_keys"] == []
    assert defaults["artifact_max_bytes"] == 25 * 1024 * 1024
    given = _settings(
        tmp_path,
        {
            **DOT_ENV,
            "SITE_URL": "https://gates.example.com",
            "AUDIT_PREVIOUS_KEYS": "o" * 50,
            "ARTIFACT_MAX_BYTES": "1048576",
        },
    )
    assert given["site_url"] == "https://gates.example.com"
    assert given["audit_previous_keys"] == ["o" * 50]
    assert given["artifact_max_bytes"] == 1048576


def test_the_compose_web_processes_share_one_cache_and_plain_http_keeps_its_cookies(tmp_path):
    web = " ".join(COMPOSE["services"]["web"]["command"])
    assert int(re.search(r"--workers (\d+)", web).group(1)) > 1
    plain = _settings(tmp_path, DOT_ENV)
    assert plain["debug"] is False
    # Rate limits and the bulk import's checked file, whichever process answers.
    assert plain["cache"] == "django.core.cache.backends.redis.RedisCache"
    # The cache in a Redis database of its own: clearing it leaves the queue.
    assert plain["cache_location"] == "redis://redis:6379/1"
    assert plain["broker"] == "redis://redis:6379/0"
    assert plain["storage"] == "core.object_storage.ObjectStorage"
    # Plain http on 127.0.0.1: cookies a browser keeps over http.
    assert (plain["ssl_redirect"], plain["session_cookie_secure"]) == (False, False)
    assert plain["csrf_cookie_secure"] is False
    # Behind the TLS proxy one setting turns on the redirect and Secure cookies.
    behind_tls = _settings(tmp_path, {**DOT_ENV, "SECURE_SSL_REDIRECT": "1"})
    assert behind_tls["ssl_redirect"] is True
    assert behind_tls["session_cookie_secure"] is True
    assert behind_tls["csrf_cookie_secure"] is True
    # A store that does not answer: an upload's two calls end in the 503
    # before gunicorn would kill the worker without an answer (a write waits
    # up to 1 s more a try, of 3, for the store to take its body).
    timeout = int(re.search(r"--timeout (\d+)", web).group(1))
    assert timeout > 2 * (plain["store_call_seconds"] + 3) == 156
    # Mail goes where EMAIL_HOST says, with STARTTLS unless told otherwise.
    mail = _settings(tmp_path, {**DOT_ENV, "EMAIL_HOST": "smtp.example.org"})["mail"]
    assert (mail["host"], mail["port"], mail["use_tls"]) == ("smtp.example.org", 587, True)


def _dockerignore_excludes(path: str, patterns: list[str]) -> bool:
    """Whether Docker leaves ``path`` (relative to the build context) out of
    the context: the last pattern matching it or one of its parent
    directories decides (``!`` re-includes); ``**`` spans directories."""

    def regex(pattern: str) -> re.Pattern:
        out = ""
        for part in re.split(r"(\*\*/|\*\*|\*|\?)", pattern.strip("/")):
            out += {"**/": "(?:.*/)?", "**": ".*", "*": "[^/]*", "?": "[^/]"}.get(
                part, re.escape(part)
            )
        return re.compile(out + r"\Z")

    parts = path.split("/")
    prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
    excluded = False
    for pattern in patterns:
        negate = pattern.startswith("!")
        if any(regex(pattern.removeprefix("!")).match(prefix) for prefix in prefixes):
            excluded = not negate
    return excluded


def test_the_build_context_holds_what_git_tracks_and_nothing_git_ignores():
    """What ``make run`` and ``make test`` leave in a clone (the keys in
    var/, the virtualenv, the test provider's node_modules, caches) stays
    out of the image; the application's files go in."""
    patterns = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    git = ["git", "-C", str(ROOT), "ls-files"]
    tracked = subprocess.run(git, capture_output=True, text=True, check=True).stdout.split()
    left_out = {path for path in tracked if _dockerignore_excludes(path, patterns)}
    # Only what builds or runs the containers from outside.
    assert left_out <= {".dockerignore", ".gitignore", "Dockerfile", "docker-compose.yml"} | {
        path for path in tracked if path.startswith(".ci/")
    }
    assert "manage.py" not in left_out and "config/settings.py" not in left_out
    ignored = [
        "var/secret-key",
        "var/audit-key",
        "var/db.sqlite3",
        ".env",
        ".venv/bin/python",
        "tests/identity/provider/node_modules/oidc-provider/package.json",
        "gates/__pycache__/models.cpython-313.pyc",
        ".hypothesis/constants/x",
        ".import_linter_cache/core.meta.json",
        ".pytest_cache/v/cache/nodeids",
        ".ruff_cache/CACHEDIR.TAG",
    ]
    present = subprocess.run(
        [*git, "--others", "--ignored", "--exclude-standard", "--directory"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    # The compiled catalogues are built again in the image (its messages stage).
    ignored += [path for path in present if not path.endswith(".mo")]
    sent = [path for path in ignored if not _dockerignore_excludes(path.rstrip("/"), patterns)]
    assert not sent, f"the build context would carry {sent}"
