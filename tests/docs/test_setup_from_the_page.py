"""docs/setup.md as a reader uses it: the BUILT page's code blocks, copied into a new project.

The site is built, the Setup page's HTML is read, and every titled block of its "Add Sentry to
your project" section is written to the file its title names, in a project fresh from
`django-admin startproject bahk`, with nothing else: a new file is created, an existing one
gets the block at its end (at its top when the block only imports). The project then runs in
processes of its own, without `example_app/` on their path, against a loopback Sentry ingest
endpoint and the test Redis server.
"""

from __future__ import annotations

import ast
import importlib
import os
import re
import shlex
import subprocess
import sys
import textwrap
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from importlib.metadata import requires, version
from pathlib import Path

import pytest
import redis
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

from harness.environ import clean_environ
from harness.ports import free_port
from harness.redis_server import on_database

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent
COPY_SECTION = "add-sentry-to-your-project"
INSTALL_SECTION = "install-the-sdk"
HEROKU_SECTION = "on-heroku"
QUICK_START = "quick-start"
ENTRIES = ("daily-fast-notifications", "hourly-fast-map-updates")
# pymdownx.snippets leaves out its section markers when it includes a whole file.
SECTION_MARKER = re.compile(r"^[ \t]*# --8<-- \[(?:start|end):[a-z][-_0-9a-z]*\]\n", re.MULTILINE)


@dataclass(frozen=True)
class CodeBlock:
    section: str  # id of the h2 the block sits under
    title: str | None  # the file name shown above the block
    code: str


class _CodeBlocks(HTMLParser):
    """Every `div.highlight` of a Material page: its section, title and text."""

    def __init__(self) -> None:
        super().__init__()
        self.blocks: list[CodeBlock] = []
        self._section = ""
        self._depth = 0  # open <div>s inside the current code block, 0 when outside one
        self._title: list[str] | None = None
        self._code: list[str] | None = None
        self._in = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        classes = (attributes.get("class") or "").split()
        if tag == "h2" and not self._depth:
            self._section = attributes.get("id", "")
        elif tag == "div" and self._depth:
            self._depth += 1
        elif tag == "div" and "highlight" in classes:
            self._depth, self._title, self._code, self._in = 1, None, [], None
        elif self._depth and tag == "span" and "filename" in classes:
            self._title, self._in = [], "title"
        elif self._depth and tag == "code":
            self._in = "code"

    def handle_endtag(self, tag):
        if not self._depth:
            return
        if tag == "span" and self._in == "title":
            self._in = None
        elif tag == "code":
            self._in = None
        elif tag == "div":
            self._depth -= 1
            if not self._depth:
                title = "".join(self._title).strip() if self._title is not None else None
                self.blocks.append(CodeBlock(self._section, title, "".join(self._code)))

    def handle_data(self, data):
        if self._in == "title":
            self._title.append(data)
        elif self._in == "code":
            self._code.append(data)


def code_blocks(html: str) -> list[CodeBlock]:
    parser = _CodeBlocks()
    parser.feed(html)
    parser.close()
    return parser.blocks


def blocks_in(blocks: list[CodeBlock], section: str) -> list[CodeBlock]:
    found = [block for block in blocks if block.section == section]
    assert found, f"no code block under the heading #{section}"
    return found


@pytest.fixture(scope="module")
def setup_page(built_site) -> list[CodeBlock]:
    return code_blocks((built_site / "setup" / "index.html").read_text())


def is_only_imports(code: str) -> bool:
    body = ast.parse(code).body
    return bool(body) and all(isinstance(node, ast.Import | ast.ImportFrom) for node in body)


def copy_into(project: Path, blocks: list[CodeBlock]) -> None:
    """What a reader does with each block: a new file, or added to the file that exists."""
    for block in blocks:
        path = project / block.title
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(block.code)
        elif is_only_imports(block.code):
            path.write_text(block.code + "\n" + path.read_text())
        else:
            path.write_text(path.read_text() + "\n" + block.code)


def heroku_config_vars(setup_page) -> dict[str, str]:
    """The NAME=value pairs of the page's `heroku config:set` command."""
    (block,) = blocks_in(setup_page, HEROKU_SECTION)
    (config_set,) = [
        shlex.split(line)
        for line in block.code.replace("\\\n", " ").splitlines()
        if line.startswith("heroku config:set ")
    ]
    return dict(word.split("=", 1) for word in config_set[2:])


@pytest.fixture
def project(tmp_path, setup_page) -> Path:
    """`django-admin startproject bahk`, then the page's files, and nothing else."""
    project = startproject(tmp_path / "project")
    copy_into(project, blocks_in(setup_page, COPY_SECTION))
    return project


def startproject(directory: Path) -> Path:
    """`django-admin startproject bahk` into a new directory, as a reader's shell runs it."""
    directory.mkdir()
    subprocess.run(
        [sys.executable, "-m", "django", "startproject", "bahk", str(directory)],
        check=True,
        env=plain_environ(),
    )
    return directory


@pytest.fixture
def project_redis_url(_redis_session_url) -> str:
    """A database of the test Redis of its own: the in-process test worker must not consume
    the tasks this project sends."""
    url = on_database(_redis_session_url, 3)
    redis.Redis.from_url(url).flushdb()
    return url


def plain_environ(**extra: str) -> dict[str, str]:
    """A shell's environment: no SENTRY_*, Heroku, Django or Redis variables, no PYTHONPATH."""
    env = clean_environ()
    env.pop("PYTHONPATH", None)
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **extra}


@pytest.fixture
def reader_environ(setup_page, sentry_endpoint, project_redis_url) -> dict[str, str]:
    """The config vars the page sets on Heroku, the DSN pointing at the loopback endpoint."""
    config_vars = heroku_config_vars(setup_page)
    assert set(config_vars) == {"SENTRY_DSN", "SENTRY_ENVIRONMENT"}
    return plain_environ(
        **{**config_vars, "SENTRY_DSN": sentry_endpoint.dsn, "REDIS_URL": project_redis_url}
    )


def run(project: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=project, env=env, capture_output=True, text=True, timeout=60
    )


def test_every_block_to_copy_names_a_file_of_the_project(setup_page):
    blocks = blocks_in(setup_page, COPY_SECTION)

    titles = [block.title for block in blocks]
    assert all(titles), f"an untitled block: the reader cannot know where it goes ({titles})"
    assert all(title.startswith("bahk/") for title in titles), titles
    # The whole of bahk/sentry.py, nothing left out.
    (sentry_py,) = [block for block in blocks if block.title == "bahk/sentry.py"]
    source = (ROOT / "example_app" / "bahk" / "sentry.py").read_text()
    assert sentry_py.code == SECTION_MARKER.sub("", source)


def test_the_project_has_nothing_but_the_page_and_startproject(project, setup_page, tmp_path):
    fresh = startproject(tmp_path / "fresh")

    files = {str(p.relative_to(project)) for p in project.rglob("*") if p.is_file()}
    started = {str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file()}
    titles = {block.title for block in blocks_in(setup_page, COPY_SECTION)}
    assert files == started | titles
    assert {"bahk/sentry.py", "bahk/celery.py", "bahk/views.py"} <= titles - started
    # And it cannot borrow from example_app/: bahk's own app is not importable there.
    result = run(project, plain_environ(), "-c", "import hub")
    assert "ModuleNotFoundError: No module named 'hub'" in result.stderr


def test_manage_py_check_passes(project, reader_environ):
    result = run(project, reader_environ, "manage.py", "check")

    assert result.returncode == 0, result.stderr
    assert "System check identified no issues" in result.stdout


def get(url: str, timeout: float = 15.0) -> int:
    """The status of a GET, retried while the server is still starting."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except (urllib.error.URLError, ConnectionError):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def test_sentry_debug_sends_the_error_and_its_transaction(project, reader_environ, sentry_endpoint):
    # As the Verify page says: every request traced while you check.
    env = {**reader_environ, "SENTRY_TRACES_SAMPLE_RATE": "1.0"}
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert get(f"http://127.0.0.1:{port}/sentry-debug/") == 500
        sentry_endpoint.wait_for(lambda e: e.items("event") and e.items("transaction"))
    finally:
        server.terminate()
        _, stderr = server.communicate(timeout=10)

    (event,) = sentry_endpoint.items("event")
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ZeroDivisionError"
    assert exception["mechanism"]["handled"] is False
    assert event["environment"] == "production"  # from the page's heroku config:set
    (transaction,) = sentry_endpoint.items("transaction")
    assert transaction["transaction"] == event["transaction"] == "/sentry-debug/"
    assert transaction["contexts"]["trace"]["trace_id"] == event["contexts"]["trace"]["trace_id"]
    assert "Traceback" in stderr  # Django logged it too: Sentry took nothing away


BEAT = textwrap.dedent(
    """
    # What `celery -A bahk beat` does when the entries are due.
    from celery.beat import Scheduler

    from bahk.celery import app

    scheduler = Scheduler(app, lazy=True)
    scheduler.setup_schedule()
    print(sorted(name for name in scheduler.schedule if not name.startswith("celery.")))
    for name in {entries!r}:
        scheduler.apply_entry(scheduler.schedule[name], producer=None)
    """
)


def test_celery_app_loads_the_beat_schedule_and_beat_sends_check_ins(
    project, reader_environ, sentry_endpoint, project_redis_url
):
    result = run(project, reader_environ, "-c", BEAT.format(entries=ENTRIES))

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == repr(sorted(ENTRIES))
    check_ins = sentry_endpoint.items("check_in")
    assert sorted(c["monitor_slug"] for c in check_ins) == sorted(ENTRIES)
    assert {c["status"] for c in check_ins} == {"in_progress"}
    assert {c["monitor_config"]["schedule"]["type"] for c in check_ins} == {"crontab"}
    # The tasks went to the project's Redis broker, through kombu's Redis transport.
    assert redis.Redis.from_url(project_redis_url).llen("celery") == len(ENTRIES)


def install_commands(setup_page) -> dict[str, list[Requirement]]:
    """The requirements each install tab names, by its tool."""
    commands = {}
    for block in blocks_in(setup_page, INSTALL_SECTION):
        words = shlex.split(block.code)
        tool = words[0] if words[0] != "python" else words[2]
        commands[tool] = [Requirement(word) for word in words if "[" in word or ">" in word]
    return commands


def test_install_tabs_name_the_same_requirements_as_the_example_app(setup_page):
    commands = install_commands(setup_page)

    assert set(commands) == {"pip", "uv", "poetry"}
    pip = [str(requirement) for requirement in commands["pip"]]
    assert all([str(r) for r in requirements] == pip for requirements in commands.values())
    with (ROOT / "pyproject.toml").open("rb") as file:
        import tomllib

        app = {
            canonicalize_name(r.name): r
            for r in map(Requirement, tomllib.load(file)["project"]["dependencies"])
        }
    for requirement in commands["pip"]:
        name = canonicalize_name(requirement.name)
        # The same range as the example app, so the page cannot drift from what is tested...
        assert requirement.specifier == app[name].specifier, requirement
        assert requirement.extras == app[name].extras, requirement
        # ...and the versions the tests run with are in it.
        assert version(name) in requirement.specifier, requirement
    celery = next(r for r in commands["pip"] if r.name == "celery")
    assert celery.extras == {"redis"}


def test_celery_redis_extra_brings_what_kombus_redis_transport_imports():
    transport = ast.parse(
        Path(importlib.import_module("kombu.transport.redis").__file__).read_text()
    )
    imported = {
        node.module.split(".")[0]
        for node in ast.walk(transport)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert "packaging" in imported
    kombu_requires = [Requirement(r) for r in requires("kombu")]
    (packaging,) = [r for r in kombu_requires if r.name == "packaging"]
    if Version(version("kombu")) < Version("5.7"):  # Celery 5.5's kombu 5.5: always required
        assert packaging.marker is None
    else:
        assert packaging.marker.evaluate({"extra": "redis"})
        assert not packaging.marker.evaluate({"extra": ""})  # plain `celery` does not bring it
    # Either way, redis-py comes with the extra only.
    (redis_py,) = [r for r in kombu_requires if r.name == "redis"]
    assert redis_py.marker.evaluate({"extra": "redis"})
    assert not redis_py.marker.evaluate({"extra": ""})
    celery_requires = [Requirement(r) for r in requires("celery")]
    assert any(r.name == "kombu" and r.extras == {"redis"} for r in celery_requires)


def test_quick_start_shows_the_setup_pages_own_blocks(built_site, setup_page):
    home = code_blocks((built_site / "index.html").read_text())

    quick_start = blocks_in(home, QUICK_START)
    on_setup = {(block.title, block.code) for block in setup_page}
    assert {(block.title, block.code) for block in quick_start} <= on_setup
