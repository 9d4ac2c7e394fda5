"""The documentation cannot drift from the code: the site builds with ``mkdocs build --strict``
(broken links, anchors and API references fail), every flag the CLI's ``--help`` prints is on the
command-line reference page, the Python examples marked ``<!-- test -->`` run on the shared clip
and model, and headless chromium finds the built site's navigation, code and front-page picture.
"""

from __future__ import annotations

import functools
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.chromium import headless_chromium
from tests.conftest import FP32_MODEL, HIGHWAY_CLIP, SHARED, require_shared

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
CLI_PAGE = DOCS / "reference" / "cli.md"
EXAMPLE = re.compile(r"^<!-- test -->\n```python\n(.*?)^```$", re.DOTALL | re.MULTILINE)
README_LINES = 200  # details go to docs/ (issue 21)
WAIT_MS = 60_000  # a guard for a loaded machine, not a measurement


def examples() -> list[pytest.param]:
    """Every ``<!-- test -->`` python block of the docs, named by page and line."""
    found = []
    for page in sorted(DOCS.rglob("*.md")):
        text = page.read_text()
        for match in EXAMPLE.finditer(text):
            line = text.count("\n", 0, match.start(1)) + 1
            name = f"{page.relative_to(DOCS)}:{line}"
            found.append(pytest.param(name, match.group(1), id=name))
    return found


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as ``mkdocs build --strict`` makes it (the front-page picture needs ../shared)."""
    require_shared(HIGHWAY_CLIP)
    require_shared(FP32_MODEL)
    folder = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [
            *(sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet"),
            *("--config-file", str(ROOT / "mkdocs.yml"), "--site-dir", str(folder)),
        ],
        cwd=ROOT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, f"mkdocs build --strict failed:\n{build.stderr}"
    return folder


def test_the_site_builds_strict_with_the_api_reference_and_the_picture(site):
    api = (site / "reference" / "python-api" / "index.html").read_text()
    for name in ("track", "segment", "Segmenter", "Tracker", "Result", "RtsegError"):
        assert f'id="rtseg.{name}"' in api or f'id="rtseg.app.api.{name}"' in api, name
    assert "frames_skipped" in api  # Tracker.update's docstring, rendered
    for picture in ("output.jpg", "zones.jpg"):  # the front page's, the zones page's
        assert (site / "assets" / picture).read_bytes().startswith(b"\xff\xd8")  # JPEGs


@pytest.mark.parametrize("command", ["run", "info", "quantize", "analyze"])
def test_every_flag_of_the_help_is_on_the_cli_page(command):
    shown = subprocess.run(
        [sys.executable, "-m", "rtseg", command, "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    flags = set(re.findall(r"(?<![\w-])(--?[a-z][a-z-]*)", shown.split("options:", 1)[1]))
    assert {"-h", "--help"} <= flags
    page = CLI_PAGE.read_text()
    section = page.split(f"## `rtseg {command}`", 1)[1].split("\n## ", 1)[0]
    missing = sorted(flag for flag in flags if not re.search(rf"`{flag}(?![\w-])", section))
    assert not missing, f"rtseg {command} flags missing from {CLI_PAGE.relative_to(ROOT)}"


def test_the_readme_links_to_files_that_exist():
    """README is outside the site, so the strict build does not check its links."""
    targets = re.findall(r"\]\(([^)#\s]+)[^)]*\)", (ROOT / "README.md").read_text())
    local = [target for target in targets if "://" not in target]
    assert local
    assert not [target for target in local if not (ROOT / target).exists()]


def test_the_readme_stays_a_front_page():
    assert len((ROOT / "README.md").read_text().splitlines()) <= README_LINES


def test_the_docs_have_runnable_examples():
    assert len(examples()) >= 5


@pytest.mark.parametrize(("name", "code"), examples())
def test_python_example_runs(name, code, tmp_path, monkeypatch):
    """Run as written, in a scratch folder, with ``../shared`` meaning the shared folder."""
    require_shared(HIGHWAY_CLIP)
    require_shared(FP32_MODEL)
    monkeypatch.chdir(tmp_path)
    code = code.replace("../shared/", f"{SHARED}/")
    exec(compile(code, name, "exec"), {"__name__": "__docs_example__"})


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """No access log on the test's stderr."""


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    server = ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(QuietHandler, directory=str(site))
    )
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    thread.join()
    server.server_close()


def test_chromium_shows_the_navigation_a_code_block_and_the_picture(served):
    with headless_chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        errors: list[str] = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        assert page.goto(served, wait_until="load").status == 200

        links = page.locator("nav.md-nav--primary a.md-nav__link").all_inner_texts()
        for title in ("Getting started", "Command line", "Python API", "Benchmarks"):
            assert any(title in link for link in links), (title, links)
        page.wait_for_function(
            "() => [...document.images].some(i => i.src.endsWith('assets/output.jpg')"
            " && i.complete && i.naturalWidth === 960)",
            timeout=WAIT_MS,
        )

        page.click("nav.md-nav--primary a.md-nav__link:has-text('Getting started')")
        page.wait_for_url("**/getting-started/")
        code = page.locator(".highlight pre code").filter(has_text="rtseg.track").first
        assert code.is_visible()
        assert code.locator("span").count() > 10  # highlighted, not plain text
        assert not errors
