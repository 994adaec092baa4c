"""Every ```python block in README.md and docs/**/*.md runs here.

The convention, shared by every page:

* Untitled ```python blocks (and blocks whose title is not a file name) of one page run
  in order, with ``exec``, in one fresh module namespace per page named ``docs_<page>``.
* A ```python block whose fence carries a file-name title, such as
  ```` ```python title="test_signup.py" ````, is written as that file into a fresh
  ``pytester`` directory. Once the page is read, pytest runs that directory in a new
  interpreter through ``inner_pytest`` (plugin autoload off: fixturekit's plugin, plus
  pytest-asyncio, anyio's plugin or pytest-xdist when the page's files use them), and
  every test in it must pass. Two blocks of a page may not share a title.
* A line ``--8<-- "path"`` inside a block is replaced by that file (path from the
  repository root), as the docs site's snippets extension does.
* Blocks in any other fence language (console, bash, toml, text...) are not run.
"""

from __future__ import annotations

import linecache
import re
import sys
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from fixturekit.clock import _timepatch

if TYPE_CHECKING:
    from tests.conftest import InnerPytest

ROOT = Path(__file__).resolve().parents[1]

_FENCE_OPEN = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*(?P<info>[^`]*?)[ \t]*$")
_TITLE = re.compile(r"""\btitle=(?:"(?P<dq>[^"]*)"|'(?P<sq>[^']*)')""")
_FILE_NAME = re.compile(r"^(?:[\w.-]+/)*[\w.-]+\.[A-Za-z0-9]+$")
_SNIPPET = re.compile(r"""^[ \t]*-{1,}8<-{1,}[ \t]+(?:"(?P<dq>[^"]+)"|'(?P<sq>[^']+)')[ \t]*$""")
_RUN_LANGUAGES = {"python", "py"}

#: The plugins a page's files may use, found by what the files say.
_PLUGIN_USES = {
    "asyncio": re.compile(r"pytest\.mark\.asyncio|\bpytest_asyncio\b"),
    "anyio": re.compile(r"pytest\.mark\.anyio|\banyio_backend\b"),
    "xdist": re.compile(r"\bworker_id\b|\bPYTEST_XDIST_WORKER\b|\btestrun_uid\b"),
}


class SampleError(Exception):
    """A docs sample is malformed or failed; the message names the page and line."""


@dataclass(frozen=True)
class Block:
    page: str  # path relative to the repository root, with forward slashes
    line: int  # line of the block's first code line in the page (1-based)
    language: str
    title: str | None
    code: str
    expanded: bool = False  # True when snippet lines were replaced by files

    @property
    def runs(self) -> bool:
        return self.language in _RUN_LANGUAGES

    @property
    def file_name(self) -> str | None:
        """The file this block is written as, if its title is a file name."""
        if self.title is not None and _FILE_NAME.match(self.title):
            return self.title
        return None

    @property
    def where(self) -> str:
        label = f' (title="{self.title}")' if self.title else ""
        return f"{self.page}:{self.line}{label}"


@dataclass
class Page:
    path: str
    blocks: list[Block] = field(default_factory=list)

    @property
    def exec_blocks(self) -> list[Block]:
        return [block for block in self.blocks if block.runs and block.file_name is None]

    @property
    def file_blocks(self) -> list[Block]:
        return [block for block in self.blocks if block.runs and block.file_name is not None]


def parse_page(text: str, page: str, root: Path = ROOT) -> Page:
    """Find the fenced blocks of a Markdown page (fences may be indented, as in admonitions)."""
    lines = text.splitlines()
    result = Page(page)
    i = 0
    while i < len(lines):
        opening = _FENCE_OPEN.match(lines[i])
        if opening is None:
            i += 1
            continue
        indent, fence, info = opening["indent"], opening["fence"], opening["info"]
        closing = re.compile(rf"^[ \t]*{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        start = i + 1
        end = start
        while end < len(lines) and not closing.match(lines[end]):
            end += 1
        if end == len(lines):
            raise SampleError(f"{page}:{i + 1}: this code fence is never closed")
        language = info.split()[0].lstrip("{.").rstrip("}").lower() if info.split() else ""
        title_match = _TITLE.search(info)
        title = None if title_match is None else (title_match["dq"] or title_match["sq"] or "")
        body = [_strip_indent(line, indent) for line in lines[start:end]]
        code, expanded = _expand_snippets(body, f"{page}:{start + 1}", root)
        result.blocks.append(Block(page, start + 1, language, title, code, expanded))
        i = end + 1
    seen: dict[str, Block] = {}
    for block in result.file_blocks:
        name = block.file_name
        assert name is not None
        if name in seen:
            raise SampleError(
                f'{block.where}: a second block titled "{name}" on this page (the first is at '
                f"line {seen[name].line}); give it another file name or merge the two blocks"
            )
        seen[name] = block
    return result


def _strip_indent(line: str, indent: str) -> str:
    if line.startswith(indent):
        return line[len(indent) :]
    return line.lstrip(" \t")


def _expand_snippets(body: list[str], where: str, root: Path) -> tuple[str, bool]:
    out: list[str] = []
    expanded = False
    for line in body:
        match = _SNIPPET.match(line)
        if match is None:
            out.append(line)
            continue
        target = root / (match["dq"] or match["sq"])
        if not target.is_file():
            raise SampleError(f"{where}: the snippet {target.relative_to(root)} does not exist")
        out.append(target.read_text(encoding="utf-8").rstrip("\n"))
        expanded = True
    return "\n".join(out) + "\n", expanded


def module_name(page: str) -> str:
    stem = page[: -len(".md")] if page.endswith(".md") else page
    return "docs_" + re.sub(r"\W", "_", stem.removeprefix("docs/"))


def run_exec_blocks(page: Page, root: Path = ROOT) -> None:
    """Run the page's exec blocks in order in one fresh namespace.

    Raises SampleError naming the page and line of the failing block, and when a sample
    leaves a patching Clock running, stops it (so it cannot leak into other tests) and
    raises SampleError about that.
    """
    name = module_name(page.path)
    module = types.ModuleType(name)
    module.__file__ = str(root / page.path)
    sys.modules[name] = module
    try:
        for block in page.exec_blocks:
            _exec_block(block, module, root)
    finally:
        del sys.modules[name]
        leftover = _timepatch.active_clock()
        if leftover is not None:
            leftover.stop()
            raise SampleError(
                f"{page.path}: a sample left a Clock running ({leftover!r}); it was stopped. "
                "Use `with Clock(...)` (or stop() it) in the sample"
            )


def _exec_block(block: Block, module: types.ModuleType, root: Path) -> None:
    if block.expanded:
        filename = f"<{block.where}>"
        source = block.code
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    else:
        # Pad with blank lines so tracebacks show the page's own line numbers.
        filename = str(root / block.page)
        source = "\n" * (block.line - 1) + block.code
    try:
        code = compile(source, filename, "exec", dont_inherit=True)
    except SyntaxError as exc:
        raise SampleError(f"{block.where}: the sample is not valid Python: {exc}") from None
    try:
        exec(code, module.__dict__)
    except Exception as exc:
        frames = exc.__traceback__.tb_next if exc.__traceback__ is not None else None
        trace = "".join(traceback.format_exception(type(exc), exc, frames))
        raise SampleError(f"{block.where}: the sample raised\n\n{trace}") from None


def _pages() -> dict[str, Page | SampleError]:
    """Pages with something to run (or that cannot be read), by path from the root."""
    paths = [*sorted(ROOT.glob("docs/**/*.md")), ROOT / "README.md"]
    pages: dict[str, Page | SampleError] = {}
    for path in paths:
        if not path.is_file():
            continue
        name = path.relative_to(ROOT).as_posix()
        try:
            page = parse_page(path.read_text(encoding="utf-8"), name)
        except SampleError as exc:
            pages[name] = exc
            continue
        if page.exec_blocks or page.file_blocks:
            pages[name] = page
    return pages


PAGES = _pages()


@pytest.fixture
def no_running_clock() -> None:
    leftover = _timepatch.active_clock()
    if leftover is not None:  # pragma: no cover - a leak from elsewhere in the suite
        leftover.stop()
        pytest.fail(f"a Clock was still running before this test: {leftover!r}")


def plugins_used(page: Page) -> list[str]:
    """The short names of the plugins the page's files need (see ``_PLUGIN_USES``)."""
    code = "\n".join(block.code for block in page.file_blocks)
    return [name for name, uses in _PLUGIN_USES.items() if uses.search(code)]


def _page_param(path: str) -> object:
    page = PAGES[path]
    runs_pytest = isinstance(page, Page) and bool(page.file_blocks)
    return pytest.param(path, marks=[pytest.mark.slow] if runs_pytest else [])


@pytest.mark.usefixtures("no_running_clock")
@pytest.mark.parametrize("path", [_page_param(path) for path in sorted(PAGES)])
def test_docs_page_samples_run(path: str, request: pytest.FixtureRequest) -> None:
    page = PAGES[path]
    if isinstance(page, SampleError):
        pytest.fail(str(page), pytrace=False)
    failure = None
    try:
        run_exec_blocks(page)
    except SampleError as exc:
        failure = str(exc)
    if failure is not None:
        pytest.fail(failure, pytrace=False)
    if not page.file_blocks:
        return
    # Only now: pytester drops the modules imported while it is active when the test
    # ends, and the samples above must not leave half of fixturekit imported twice.
    inner_pytest: InnerPytest = request.getfixturevalue("inner_pytest")
    for block in page.file_blocks:
        assert block.file_name is not None
        target = inner_pytest.path / block.file_name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(block.code, encoding="utf-8")
    result = inner_pytest.run(plugins=plugins_used(page), timeout=300)
    outcomes = result.parseoutcomes()
    files = ", ".join(f"{block.file_name} (line {block.line})" for block in page.file_blocks)
    failed = outcomes.get("failed", 0) + outcomes.get("errors", 0) + outcomes.get("error", 0)
    if result.ret != 0 or failed or outcomes.get("passed", 0) < 1:
        summary = [line for line in result.outlines if line.startswith(("FAILED", "ERROR"))]
        pytest.fail(
            f"{page.path}: pytest over the page's files ({files}) did not pass cleanly "
            f"(exit code {result.ret}, outcomes {outcomes}); its output is in the "
            "captured stdout below.\n" + "\n".join(summary),
            pytrace=False,
        )


# --- the runner's own behaviour -------------------------------------------------------


def test_docs_runner_finds_samples_in_readme() -> None:
    readme = PAGES["README.md"]
    assert isinstance(readme, Page)
    assert {block.file_name for block in readme.file_blocks} >= {"test_trial.py"}


def test_titled_blocks_become_files_and_others_run_in_order() -> None:
    text = (
        "Intro\n"
        "```python\n"
        "x = 1\n"
        "```\n"
        '```python title="conftest.py"\n'
        "import pytest\n"
        "```\n"
        "```python title='Output of the run'\n"
        "x += 1\n"
        "```\n"
        "```console\n"
        "$ pytest\n"
        "```\n"
    )
    page = parse_page(text, "docs/example.md")
    assert [(b.line, b.language, b.title) for b in page.blocks] == [
        (3, "python", None),
        (6, "python", "conftest.py"),
        (9, "python", "Output of the run"),
        (12, "console", None),
    ]
    assert [b.line for b in page.exec_blocks] == [3, 9]
    assert [b.file_name for b in page.file_blocks] == ["conftest.py"]


def test_indented_fence_inside_an_admonition_is_dedented() -> None:
    text = (
        '!!! note\n\n    ```python title="pkg/test_x.py"\n'
        "    def test_x():\n        pass\n    ```\n"
    )
    (block,) = parse_page(text, "docs/example.md").blocks
    assert block.file_name == "pkg/test_x.py"
    assert block.code == "def test_x():\n    pass\n"


def test_snippet_line_is_replaced_by_the_file(tmp_path: Path) -> None:
    (tmp_path / "examples").mkdir()
    (tmp_path / "examples" / "app.py").write_text("VALUE = 42\n", encoding="utf-8")
    text = '```python\n--8<-- "examples/app.py"\nassert VALUE == 42\n```\n'
    (block,) = parse_page(text, "docs/example.md", root=tmp_path).blocks
    assert block.code == "VALUE = 42\nassert VALUE == 42\n"
    assert block.expanded


def test_missing_snippet_names_page_and_line(tmp_path: Path) -> None:
    with pytest.raises(SampleError, match=r"docs/example\.md:2: the snippet .*nope\.py"):
        parse_page('```python\n--8<-- "nope.py"\n```\n', "docs/example.md", root=tmp_path)


def test_unclosed_fence_names_page_and_line() -> None:
    with pytest.raises(SampleError, match=r"docs/example\.md:2: this code fence is never closed"):
        parse_page("text\n```python\nx = 1\n", "docs/example.md")


def test_two_blocks_with_the_same_file_title_are_refused() -> None:
    text = '```python title="test_a.py"\n```\n\n```python title="test_a.py"\n```\n'
    with pytest.raises(SampleError, match=r'docs/example\.md:5.*second block titled "test_a\.py"'):
        parse_page(text, "docs/example.md")


def test_failing_sample_reports_page_and_line(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    text = "# Page\n\n```python\nvalue = 1\n```\n\n```python\nassert value == 2, 'wrong'\n```\n"
    (tmp_path / "docs" / "broken.md").write_text(text, encoding="utf-8")
    page = parse_page(text, "docs/broken.md", root=tmp_path)
    with pytest.raises(SampleError) as info:
        run_exec_blocks(page, root=tmp_path)
    message = str(info.value)
    assert message.startswith("docs/broken.md:8: the sample raised")
    assert "line 8" in message
    assert "AssertionError: wrong" in message
    assert "docs_broken" not in sys.modules


def test_sample_that_leaves_a_clock_running_is_stopped_and_reported(tmp_path: Path) -> None:
    text = '```python\nimport fixturekit as fk\nfk.Clock("2024-01-01").start()\n```\n'
    page = parse_page(text, "docs/leaky.md", root=tmp_path)
    with pytest.raises(SampleError, match=r"docs/leaky\.md: a sample left a Clock running"):
        run_exec_blocks(page, root=tmp_path)
    assert _timepatch.active_clock() is None


def test_pages_get_their_own_namespace(tmp_path: Path) -> None:
    first = parse_page("```python\nshared = 1\n```\n", "docs/one.md", root=tmp_path)
    second = parse_page(
        "```python\nassert 'shared' not in globals()\nassert __name__ == 'docs_two'\n```\n",
        "docs/two.md",
        root=tmp_path,
    )
    run_exec_blocks(first, root=tmp_path)
    run_exec_blocks(second, root=tmp_path)


def test_plugins_a_page_needs_are_found_in_its_files() -> None:
    text = (
        '```python title="test_a.py"\n@pytest.mark.asyncio\nasync def test_a(): ...\n```\n'
        '```python title="test_b.py"\ndef test_b(worker_id): ...\n```\n'
    )
    assert plugins_used(parse_page(text, "docs/example.md")) == ["asyncio", "xdist"]
    plain = '```python title="test_c.py"\nimport asyncio\n```\n'
    assert plugins_used(parse_page(plain, "docs/example.md")) == []
