"""The commands an operator runs (``verify_audit``, ``verify_stored_files``,
``copy_media_to_storage``, ``seed_demo``) with the database down: one line
that names what did not answer and what to check, exit status 1, no
traceback. (Part-way through a run: tests/storage/test_verify_stored_files.py.)"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.workers import app_environment, free_port

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [
    ["verify_audit"],
    ["verify_stored_files"],
    ["copy_media_to_storage", "--from", "{tmp}"],
    ["seed_demo"],
]


def test_with_the_database_down_each_command_says_so_in_one_line(tmp_path):
    port = free_port()  # nothing listens there: PostgreSQL is down
    env = app_environment(
        "redis://127.0.0.1:1/0",
        {"DATABASE_URL": f"postgres://stagegate:stagegate@127.0.0.1:{port}/stagegate"},
    )
    runs = [
        subprocess.Popen(
            [sys.executable, "manage.py", *(arg.format(tmp=tmp_path) for arg in command)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in COMMANDS
    ]
    said = (
        f'CommandError: The database did not answer: connection to server at "127.0.0.1", '
        f"port {port} failed: Connection refused. Check DATABASE_URL and that the database "
        "server is running, then run the command again."
    )
    for command, run in zip(COMMANDS, runs, strict=True):
        out, err = run.communicate(timeout=120)
        assert run.returncode == 1, (command, err)
        assert err.strip() == said, (command, err)
        assert out == "", (command, out)
