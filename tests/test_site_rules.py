"""The rules that keep every line of code on the site executed and checked.

Numbered as in the README's "Rules the tests enforce", which is their one list:

1. No code typed inline in docs/**/*.md: every fenced block only includes repository files.
2. Every file in snippets/ is included by at least one page.
3. (In pyproject.toml, enforced by `nox -s tests`: 100% line coverage of snippets/.)
4. Every Python snippet is used by a test in tests/docs/ that reads the recorded envelopes
   (`recorder`) and asserts on them.
5. (pyproject.toml, tests/harness/network_guard.py: warnings are errors, no host but loopback.)
6. Every recorded payload in tests/payloads/ is shown by a page and written by a test
   (`assert_payload("<page>/<name>", ...)` in tests/docs/ or tests/app/): none is stale.
7. Code blocks are titled with their file's path; no included line passes 100 characters.
8. (tests/docs/test_setup_from_the_page.py: the Setup page's blocks make a working project.)
9. Names line up: docs/<page>.md, tests/docs/test_<page>.py, and a payload named after the
   snippet or test section beside it (tests/payloads/<page>/<stem>[__<variant>].json).
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SNIPPETS = ROOT / "snippets"
DOC_TESTS = ROOT / "tests" / "docs"
PAYLOADS = ROOT / "tests" / "payloads"
PAYLOAD_WRITERS = [DOC_TESTS, ROOT / "tests" / "app"]

FENCE = re.compile(r"^(?P<indent>\s*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
INCLUDE = re.compile(r'^\s*-{1,3}8<-{1,3}\s+"(?P<target>[^"]+)"\s*$')


def fenced_blocks(text: str) -> list[tuple[int, list[str]]]:
    """(line number, body lines) of each fenced code block in a Markdown text."""
    blocks, body, opener, start = [], [], None, 0
    for number, line in enumerate(text.splitlines(), start=1):
        match = FENCE.match(line)
        if opener is None:
            if match:
                opener, start, body = match["fence"], number, []
        elif match and match["fence"].startswith(opener) and not match["info"].strip():
            blocks.append((start, body))
            opener = None
        else:
            body.append(line)
    if opener is not None:
        blocks.append((start, body))
    return blocks


def doc_pages() -> list[Path]:
    return sorted(DOCS.rglob("*.md"))


def snippet_files() -> list[Path]:
    return sorted(
        path
        for path in SNIPPETS.rglob("*")
        if path.is_file() and "__pycache__" not in path.parts and path.name != "__init__.py"
    )


def included_targets() -> set[str]:
    targets = set()
    for page in doc_pages():
        for line in page.read_text().splitlines():
            if match := INCLUDE.match(line):
                targets.add(match["target"].split(":", 1)[0])
    return targets


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_inline_code_in_pages(page):
    inline = [
        f"{page.relative_to(ROOT)}:{start + offset + 1}: {line.strip()}"
        for start, body in fenced_blocks(page.read_text())
        for offset, line in enumerate(body)
        if line.strip() and not INCLUDE.match(line)
    ]
    assert not inline, "Code typed inline; put it in snippets/ and include it:\n" + "\n".join(
        inline
    )


def not_included(paths: list[Path]) -> list[str]:
    """The paths, relative to the repository, that no page includes."""
    targets = included_targets()
    return [
        str(path.relative_to(ROOT)) for path in paths if str(path.relative_to(ROOT)) not in targets
    ]


def test_every_snippet_is_included_by_a_page():
    orphans = not_included(snippet_files())
    assert not orphans, f"Snippets no page includes: {orphans}"


def _snippet_module(path: Path) -> str:
    return ".".join(path.relative_to(ROOT).with_suffix("").parts)


def _tests_asserting_on_snippets() -> dict[str, list[str]]:
    """Map a snippet module name to the tests that use it, read `recorder` and assert."""
    found: dict[str, list[str]] = {}
    for test_file in sorted(DOC_TESTS.rglob("test_*.py")):
        tree = ast.parse(test_file.read_text())
        aliases: dict[str, str] = {}
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("snippets")
            ):
                for name in node.names:
                    aliases[name.asname or name.name] = f"{node.module}.{name.name}"
            elif isinstance(node, ast.Import):
                for name in node.names:
                    if name.name.startswith("snippets."):
                        aliases[name.asname or name.name] = name.name
        for func in ast.walk(tree):
            if not (isinstance(func, ast.FunctionDef) and func.name.startswith("test_")):
                continue
            names = {n.id for n in ast.walk(func) if isinstance(n, ast.Name)}
            params = {a.arg for a in func.args.args}
            asserts = any(isinstance(n, ast.Assert) for n in ast.walk(func))
            if "recorder" in params | names and asserts:
                for alias in names & aliases.keys():
                    found.setdefault(aliases[alias], []).append(f"{test_file.name}::{func.name}")
    return found


def test_every_python_snippet_has_a_test_asserting_on_envelopes():
    tested = _tests_asserting_on_snippets()
    untested = [
        str(path.relative_to(ROOT))
        for path in snippet_files()
        if path.suffix == ".py" and _snippet_module(path) not in tested
    ]
    assert not untested, (
        f"Snippets with no test in tests/docs/ that uses `recorder` and asserts: {untested}"
    )


def test_fenced_block_parser_sees_inline_code():
    text = '# Page\n\n```python\n--8<-- "snippets/a.py"\n```\n\n~~~bash\nrm -rf /\n~~~\n'
    assert fenced_blocks(text) == [(3, ['--8<-- "snippets/a.py"']), (7, ["rm -rf /"])]


def payload_files() -> list[Path]:
    """Recorded payloads, without the timings kept beside some (<name>.timings.json)."""
    return sorted(p for p in PAYLOADS.rglob("*.json") if not p.name.endswith(".timings.json"))


def test_every_payload_file_is_shown_by_a_page():
    unshown = not_included(payload_files())
    assert not unshown, f"Recorded payloads no page includes (stale? delete them): {unshown}"


TAB = re.compile(r'^===\s+"(?P<label>[^"]*)"')


def test_every_payload_is_shown_in_a_what_sentry_receives_tab():
    misplaced = []
    for page in doc_pages():
        label = None
        for number, line in enumerate(page.read_text().splitlines(), start=1):
            if match := TAB.match(line):
                label = match["label"]
            elif not line.startswith((" ", "\t")) and line.strip():
                label = None
            if '"tests/payloads/' in line and label != "What Sentry receives":
                misplaced.append(f"{page.relative_to(ROOT)}:{number} (tab: {label!r})")
    assert not misplaced, (
        'Show payloads in a tab labelled exactly "What Sentry receives", beside "Code":\n'
        + "\n".join(misplaced)
    )


def _string_literals(directory: Path) -> set[str]:
    return {
        node.value
        for test_file in directory.rglob("*.py")
        for node in ast.walk(ast.parse(test_file.read_text()))
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
    }


def test_every_payload_file_is_written_by_a_test():
    names = set().union(*(_string_literals(directory) for directory in PAYLOAD_WRITERS))
    unwritten = [
        str(path.relative_to(ROOT))
        for path in payload_files()
        if path.relative_to(PAYLOADS).with_suffix("").as_posix() not in names
    ]
    assert not unwritten, (
        f"Payload files no test writes with assert_payload (stale? delete them): {unwritten}"
    )


def test_stack_versions_are_the_ones_the_tests_run_with():
    """The home page's stack table reads uv.lock at build time; the tests use the same."""
    import platform
    from importlib.metadata import version

    import docs_macros

    locked = docs_macros.locked_versions()
    for name in docs_macros.VERIFIED_PACKAGES:
        assert locked[name] == version(name), f"{name}: uv.lock and this environment disagree"
    table = docs_macros.stack_versions()
    assert f"| Python | {platform.python_version()} |" in table
    for name, label in docs_macros.VERIFIED_PACKAGES.items():
        assert f"| {label} | {version(name)} |" in table


def _nav_sections() -> list[tuple[str | None, str]]:
    """(section title, or None at the top level; page file) for every page of the nav."""
    import yaml

    class _Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml may use !!python/name tags (Material's emoji, for one): read them as text.
    _Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(), Loader=_Loader)
    pages = []
    for item in config["nav"]:
        ((title, value),) = item.items()
        if isinstance(value, list):
            pages += [(title, next(iter(child.values()))) for child in value]
        else:
            pages.append((None, value))
    return pages


def test_nav_is_in_sections_and_lists_every_page():
    """A reader's journey: every page but the home page sits in a section of the nav."""
    pages = _nav_sections()
    loose = [page for section, page in pages if section is None and page != "index.md"]
    assert not loose, f"Pages outside a nav section: {loose}"
    listed = {page for _, page in pages}
    unlisted = [
        str(p.relative_to(DOCS)) for p in doc_pages() if str(p.relative_to(DOCS)) not in listed
    ]
    assert not unlisted, f"Pages missing from the nav: {unlisted}"


NEXT_HEADING = "## Where to go next"
MARKDOWN_LINK = re.compile(r"\[[^\]]+\]\([^)\s]+\.md(#[^)]*)?\)")


@pytest.mark.parametrize(
    "page",
    [p for p in doc_pages() if p.name != "index.md"],
    ids=lambda p: str(p.relative_to(ROOT)),
)
def test_every_page_ends_with_where_to_go_next(page):
    text = page.read_text()
    assert NEXT_HEADING in text, f"{page.name}: end the page with {NEXT_HEADING!r} and links"
    last_section = text.rsplit(NEXT_HEADING, 1)[1]
    assert "\n## " not in last_section, f"{page.name}: {NEXT_HEADING!r} must be the last section"
    assert MARKDOWN_LINK.search(last_section), f"{page.name}: {NEXT_HEADING!r} links no page"


SECTION_MARKER = re.compile(r"^\s*(?:#|<!--)\s*-{1,3}8<-{1,3}\s+\[(start|end):([a-z][-_0-9a-z]*)\]")
INFO = re.compile(r"^(?P<language>[\w+-]*)\s*(?P<options>.*)$")


def included_text(target: str) -> str:
    """What pymdownx.snippets puts on the page for `file` or `file:section`."""
    import textwrap

    path, _, section = target.partition(":")
    lines = (ROOT / path).read_text().splitlines()
    if not section:
        return "\n".join(line for line in lines if not SECTION_MARKER.match(line))
    start = next(i for i, line in enumerate(lines) if _marks(line, "start", section))
    end = next(i for i, line in enumerate(lines) if _marks(line, "end", section))
    body = [line for line in lines[start + 1 : end] if not SECTION_MARKER.match(line)]
    return textwrap.dedent("\n".join(body))


def _marks(line: str, kind: str, section: str) -> bool:
    match = SECTION_MARKER.match(line)
    return bool(match) and match.groups() == (kind, section)


def fenced_includes() -> list[tuple[Path, int, str, str, str]]:
    """(page, line, language, fence options, include target) of each block that includes."""
    found = []
    for page in doc_pages():
        lines = page.read_text().splitlines()
        for start, body in fenced_blocks(page.read_text()):
            info = INFO.match(FENCE.match(lines[start - 1])["info"].strip())
            for line in body:
                if match := INCLUDE.match(line):
                    found.append((page, start, info["language"], info["options"], match["target"]))
    return found


MAX_CODE_LINE = 100  # ruff's line length; readable.css makes room for it at 1280 px


def test_code_lines_fit_a_laptop_screen():
    """JSON payloads wrap (readable.css); every other included line must fit as it is."""
    too_long = [
        f"{page.relative_to(ROOT)}:{start} {target}: {len(line)} characters: {line.strip()[:50]}"
        for page, start, language, _, target in fenced_includes()
        if language != "json"
        for line in included_text(target).splitlines()
        if len(line) > MAX_CODE_LINE
    ]
    assert not too_long, f"Lines over {MAX_CODE_LINE} characters:\n" + "\n".join(too_long)


PAYLOADS_NOTE = '--8<-- "snippets/common/payloads_note.md"'


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_page_with_payloads_says_once_how_to_read_them(page):
    """Trimmed to the fields discussed, `<...>` placeholders: said once, before the first."""
    lines = page.read_text().splitlines()
    payloads = [i for i, line in enumerate(lines) if '"tests/payloads/' in line]
    notes = [i for i, line in enumerate(lines) if line.strip() == PAYLOADS_NOTE]
    if not payloads:
        assert not notes, f"{page.name} shows no payload: leave out {PAYLOADS_NOTE}"
        return
    assert len(notes) == 1, f"{page.name}: include {PAYLOADS_NOTE} once, not {len(notes)} times"
    assert notes[0] < payloads[0], f"{page.name}: {PAYLOADS_NOTE} must come before the first"


# The traps a reader must not miss stand out as warnings, not as a sentence among others.
GOTCHAS = {
    "heroku.md": ["Exactly one beat", "dyno metadata"],
    "crons.md": ["Beat and the worker both start Sentry"],
    "testing.md": ["test `Client` records no transaction"],
    "celery.md": ["Eager mode"],
}
ADMONITION = re.compile(r'^(?:!!!|\?\?\?\+?) warning "(?P<title>[^"]+)"', re.MULTILINE)


@pytest.mark.parametrize(("page", "gotchas"), GOTCHAS.items())
def test_gotchas_are_warnings(page, gotchas):
    titles = ADMONITION.findall((DOCS / page).read_text())
    missing = [gotcha for gotcha in gotchas if not any(gotcha in title for title in titles)]
    assert not missing, f"{page}: put these in a `!!! warning` admonition: {missing}"


TEST_MODULE = re.compile(r"`(?P<path>tests/[\w/]+\.py)`")
LONG_FILE = 60  # lines: longer included files are collapsed (`???`) or linked, not shown whole


def _prose(page: Path) -> str:
    """The page without its fenced blocks and include lines: what the reader reads."""
    lines = page.read_text().splitlines()
    in_fences = {
        start + offset
        for start, body in fenced_blocks("\n".join(lines))
        for offset in range(len(body) + 2)
    }
    return "\n".join(
        line
        for number, line in enumerate(lines, start=1)
        if number not in in_fences and not INCLUDE.match(line)
    )


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_prose_cites_only_test_modules_the_reader_can_open(page):
    """A path under tests/ in the text is a module the site shows (the Test helpers page),
    not a reference to this project's own test suite."""
    shown = included_targets()
    cited = [m["path"] for m in TEST_MODULE.finditer(_prose(page)) if m["path"] not in shown]
    assert not cited, f"{page.name} cites test files the reader cannot open on the site: {cited}"


def test_long_files_are_collapsed_not_shown_whole():
    lines = {page: page.read_text().splitlines() for page in doc_pages()}
    shown_whole = [
        f"{page.relative_to(ROOT)}:{start} {target}"
        for page, start, language, _, target in fenced_includes()
        if language != "json"
        and len(included_text(target).splitlines()) > LONG_FILE
        and not _in_collapsible(lines[page], start)
    ]
    assert not shown_whole, (
        f"Included files over {LONG_FILE} lines, shown whole: collapse them in a `???` block "
        "or link to the page that has them:\n" + "\n".join(shown_whole)
    )


def _in_collapsible(lines: list[str], fence_line: int) -> bool:
    """Whether the fence at this 1-based line sits in a `???` block (indented below it)."""
    indent = len(lines[fence_line - 1]) - len(lines[fence_line - 1].lstrip())
    for line in reversed(lines[: fence_line - 1]):
        if line.strip() and len(line) - len(line.lstrip()) < indent:
            return line.lstrip().startswith("???")
    return False


TITLE = re.compile(r'(?:^|\s)title="(?P<title>[^"]*)"')


def reader_path(target: str) -> str:
    """The path a reader writes for an included file: bahk's own files from the project root
    (`bahk/sentry.py`, `hub/tasks.py`, `Procfile`), everything else from the repository's."""
    return target.split(":", 1)[0].removeprefix("example_app/")


def test_every_code_block_names_its_file():
    """The title of each block is derived from its include, so it cannot drift from it."""
    wrong = []
    for page, start, _, options, target in fenced_includes():
        title = TITLE.search(options)
        expected = reader_path(target)
        if not title or title["title"] != expected:
            found = title["title"] if title else "no title"
            wrong.append(f'{page.relative_to(ROOT)}:{start}: {found}, not title="{expected}"')
    assert not wrong, "Code blocks must name their file:\n" + "\n".join(wrong)


def test_a_block_without_a_title_breaks_the_rule(tmp_path, monkeypatch):
    page = tmp_path / "page.md"
    page.write_text('```python\n--8<-- "example_app/bahk/celery.py:beat-schedule"\n```\n')
    monkeypatch.setattr(sys.modules[__name__], "doc_pages", lambda: [page])
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)

    with pytest.raises(AssertionError, match=r'no title, not title="bahk/celery.py"'):
        test_every_code_block_names_its_file()


HL_LINES = re.compile(r'hl_lines="(?P<lines>[^"]*)"')
JSON_KEY = re.compile(r'^\s*"(?P<key>[^"]+)":')


def _numbers(spec: str) -> list[int]:
    numbers = []
    for part in spec.split():
        first, _, last = part.partition("-")
        numbers += range(int(first), int(last or first) + 1)
    return numbers


def test_highlighted_payload_lines_are_fields_the_page_talks_about():
    """A highlighted line of a payload holds a key the page names in backticks: when a payload
    is recorded again and its lines move, a highlight that lands elsewhere fails here."""
    wrong = []
    for page, start, language, options, target in fenced_includes():
        hl_lines = HL_LINES.search(options)
        if language != "json" or not hl_lines:
            continue
        mentioned = " ".join(re.findall(r"`([^`]+)`", _prose(page)))
        lines = included_text(target).splitlines()
        for number in _numbers(hl_lines["lines"]):
            key = JSON_KEY.match(lines[number - 1]) if number <= len(lines) else None
            if not key or key["key"] not in mentioned:
                shown = lines[number - 1].strip() if number <= len(lines) else "(no such line)"
                wrong.append(f"{page.relative_to(ROOT)}:{start} line {number}: {shown}")
    assert not wrong, "Highlighted payload lines the page does not talk about:\n" + "\n".join(wrong)


TRACE_CALL = re.compile(r'\{\{\s*trace_picture\("(?P<name>[^"]+)"\)\s*\}\}')


@pytest.mark.parametrize("page", doc_pages(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_transaction_payload_is_drawn_beside_it(page):
    """Where a payload with recorded timings is shown, its trace picture is in the next tab;
    and a page draws only payloads it shows."""
    text = page.read_text()
    shown = [
        target.removeprefix("tests/payloads/").removesuffix(".json")
        for _, _, _, _, target in (f for f in fenced_includes() if f[0] == page)
        if target.startswith("tests/payloads/")
    ]
    drawable = [name for name in shown if (PAYLOADS / f"{name}.timings.json").exists()]
    drawn = TRACE_CALL.findall(text)
    assert sorted(drawn) == sorted(drawable), f"{page.name}: draw {drawable}, not {drawn}"
    for name in drawn:
        tab = f'=== "As a trace"\n\n    {{{{ trace_picture("{name}") }}}}'
        assert tab in text, f'{page.name}: put the picture of {name} in an "As a trace" tab'
    if drawn:
        assert text.startswith("---\nrender_macros: true\n---\n"), page.name


# Rule 9, the names (README, "From a page to its code, test and payload"): a page's tests are
# tests/docs/test_<page>.py; a payload beside snippets/<page>/<stem>.py, or beside a section
# of a test file, tests/docs/test_<page>.py:<section>, is named after it:
# tests/payloads/<page>/<stem or section>[__<variant>].json.
def page_folder(page: Path) -> str:
    return page.stem.replace("-", "_")


def code_beside_payloads(page: Path) -> list[tuple[str | None, str]]:
    """(the Code tab's include, the payload's include) of each payload the page shows."""
    pairs, code = [], None
    for line in page.read_text().splitlines():
        if match := INCLUDE.match(line):
            if match["target"].startswith("tests/payloads/"):
                pairs.append((code, match["target"]))
            else:
                code = match["target"]
    return pairs


def payload_name_for(page: Path, code: str | None) -> str | None:
    """The name a payload beside `code` must have on `page`, when the rule names it."""
    path, _, section = (code or "").partition(":")
    if match := re.fullmatch(r"snippets/(?P<folder>\w+)/(?P<stem>\w+)\.py", path):
        if match["folder"] == page_folder(page):
            return f"{match['folder']}/{match['stem']}"
    if (match := re.fullmatch(r"tests/docs/test_(?P<folder>\w+)\.py", path)) and section:
        return f"{match['folder']}/{section.replace('-', '_')}"
    return None


def test_a_payload_is_named_after_the_code_beside_it():
    wrong = [
        f"{page.relative_to(ROOT)}: {payload} beside {code} (expected tests/payloads/{name}"
        "[__<variant>].json)"
        for page in doc_pages()
        for code, payload in code_beside_payloads(page)
        if (name := payload_name_for(page, code)) is not None
        and payload.removeprefix("tests/payloads/").removesuffix(".json").split("__")[0] != name
    ]
    assert not wrong, "\n".join(wrong)


def test_a_pages_tests_are_named_after_it():
    pages = {page_folder(page) for page in doc_pages()}
    with_payloads = {page_folder(p) for p in doc_pages() if code_beside_payloads(p)}
    missing = sorted(f"tests/docs/test_{folder}.py" for folder in with_payloads)
    missing = [path for path in missing if not (ROOT / path).exists()]
    strays = [
        path.name
        for path in DOC_TESTS.glob("test_*.py")
        if not any(re.fullmatch(rf"test_{folder}(_\w+)?\.py", path.name) for folder in pages)
    ]
    assert not missing, f"Pages with payloads and no test file of their name: {missing}"
    assert not strays, f"Test files in tests/docs/ that no page names: {strays}"


def test_a_payload_lives_in_the_folder_of_a_page_that_shows_it():
    shown_on: dict[str, set[str]] = {}
    for page in doc_pages():
        for _, payload in code_beside_payloads(page):
            shown_on.setdefault(payload, set()).add(page_folder(page))
    wrong = [
        f"{payload} (shown on: {', '.join(sorted(folders))})"
        for payload, folders in sorted(shown_on.items())
        if payload.split("/")[2] not in folders
    ]
    assert not wrong, "\n".join(wrong)
