"""The book builds, its links and images resolve, and its pages render in a browser.

The book is built once per session, with the same flags as `make book`, into a
temporary folder (so `make book`'s own `_build/` is left alone). The static checks parse
the HTML with the standard library. The browser checks serve the HTML on 127.0.0.1 and
load each page into an iframe of a small same-origin wrapper page, whose script writes
a JSON summary (image sizes, table rows, typeset math); once the page's own load
events, image decoding and MathJax have finished,
the summary is POSTed back to the test's server, which waits for it (or for the
browser to exit: one retry), never for a guessed number of seconds. No network is
used: Chromium resolves no host other than 127.0.0.1, so a page that needs the
internet fails here.
"""

import functools
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from html.parser import HTMLParser
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, quote, unquote, urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
PROTOCOL = "notebooks/00_protocol"
SCREENSHOT = ROOT / "_build" / "screenshots" / "00_protocol.png"
CHECK_PAGE = "_check.html"

# Loads ?page=... into an iframe, waits for its images and MathJax, then writes what
# it found into <pre id="result">.
CHECK_HTML = """<!doctype html>
<html><head><meta charset="utf-8"><title>book check</title></head>
<body>
<pre id="result">pending</pre>
<iframe id="page" width="1280" height="1600"></iframe>
<script>
const frame = document.getElementById("page");
const out = document.getElementById("result");
frame.addEventListener("load", async () => {
  try {
    const win = frame.contentWindow;
    const doc = frame.contentDocument;
    const images = Array.from(doc.images);
    images.forEach((img) => { img.loading = "eager"; });
    await Promise.all(images.map((img) => img.decode().catch(() => null)));
    if (win.MathJax && win.MathJax.startup) { await win.MathJax.startup.promise; }
    out.textContent = JSON.stringify({
      path: win.location.pathname,
      title: doc.title,
      images: images.map((img) => ({src: img.getAttribute("src"),
                                    width: img.naturalWidth})),
      // The page's content column: the article, inside its padding.
      column: (() => {
        const col = doc.querySelector("article.bd-article") || doc.querySelector("main")
          || doc.body;
        const css = win.getComputedStyle(col);
        return col.clientWidth - parseFloat(css.paddingLeft)
          - parseFloat(css.paddingRight);
      })(),
      // Per table: rows, the width it renders at (its own, even inside a scrolling
      // output) and its first headers, to name it.
      tables: Array.from(doc.querySelectorAll("table")).map((t) => ({
        rows: t.rows.length,
        width: Math.max(t.getBoundingClientRect().width, t.scrollWidth),
        headers: Array.from(t.querySelectorAll("thead th")).slice(0, 4)
          .map((th) => th.textContent.trim()),
      })),
      math: doc.querySelectorAll(".math").length,
      typeset: doc.querySelectorAll("mjx-container").length,
    });
  } catch (err) {
    out.textContent = JSON.stringify({error: String(err)});
  }
  // Hand the summary to the test's server: the test waits for this POST (or the
  // browser's exit), not for a fixed amount of the browser's virtual time.
  const id = new URLSearchParams(location.search).get("id");
  await fetch("/_result?id=" + encodeURIComponent(id),
              {method: "POST", body: out.textContent});
});
frame.src = new URLSearchParams(location.search).get("page");
</script>
</body></html>
"""


def toc_pages() -> list[str]:
    """Every document in _toc.yml (root, parts, chapters, sections), in order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    pages = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                pages.append(entry["file"])
            for key in ("parts", "chapters", "sections"):
                walk(entry.get(key, []))

    walk([toc])
    return [re.sub(r"\.(md|ipynb)$", "", page) for page in pages]


def jupyter_book() -> str:
    beside = Path(sys.executable).with_name("jupyter-book")
    found = str(beside) if beside.exists() else shutil.which("jupyter-book")
    assert found, "jupyter-book is not installed in this environment"
    return found


@pytest.fixture(scope="module")
def html(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # SRCORE_BOOK_HTML: check a book already built (its _build/html) instead.
    if built := os.environ.get("SRCORE_BOOK_HTML"):
        return Path(built)
    out = tmp_path_factory.mktemp("book")
    cmd = [jupyter_book(), "build", str(ROOT), "--path-output", str(out)]
    # As `make book`: the build only reads committed records, it never trains.
    env = {**os.environ, "SRCORE_RESULTS_MODE": "read"}
    proc = subprocess.run(
        [*cmd, "-W", "--keep-going"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    log = proc.stdout[-6000:] + proc.stderr[-6000:]
    assert proc.returncode == 0, f"jupyter-book build failed:\n{log}"
    return out / "_build" / "html"


class Links(HTMLParser):
    """Collects the URLs a page refers to, and counts its tables."""

    ATTRS = {"a": "href", "link": "href", "img": "src", "script": "src"}

    def __init__(self) -> None:
        super().__init__()
        self.refs: list[tuple[str, str]] = []
        self.tables = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tables += tag == "table"
        value = dict(attrs).get(self.ATTRS.get(tag, ""))
        if value:
            self.refs.append((tag, value))


class Headers(HTMLParser):
    """Collects the text of every table header cell (``<th>``) of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.headers: list[str] = []
        self.depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "th":
            self.depth += 1
            self.headers.append("")

    def handle_endtag(self, tag: str) -> None:
        self.depth -= tag == "th" and self.depth > 0

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.headers[-1] += data


def parse(page: Path) -> Links:
    links = Links()
    links.feed(page.read_text(encoding="utf-8"))
    return links


def built_pages(html: Path) -> list[Path]:
    """The book's own pages: not the theme's templates under _static or _sources."""
    return [
        p
        for p in sorted(html.rglob("*.html"))
        if p.relative_to(html).parts[0] not in ("_static", "_sources")
    ]


def test_build_has_index_and_every_chapter(html: Path) -> None:
    assert (html / "index.html").is_file()
    missing = [p for p in toc_pages() if not (html / f"{p}.html").is_file()]
    assert missing == []


def test_local_links_and_images_resolve(html: Path) -> None:
    broken = []
    for page in built_pages(html):
        for tag, ref in parse(page).refs:
            url = urlsplit(ref)
            if url.scheme or url.netloc or not url.path:
                continue  # external, mailto:, data: or an anchor on the same page
            base = html if url.path.startswith("/") else page.parent
            target = base / unquote(url.path).lstrip("/")
            if not (target.is_file() or (target / "index.html").is_file()):
                broken.append(f"{page.relative_to(html)}: <{tag}> {ref}")
    assert broken == []


def test_pages_load_nothing_from_the_network(html: Path) -> None:
    """Scripts, styles and images are all local, MathJax included."""
    external = [
        f"{page.relative_to(html)}: <{tag}> {ref}"
        for page in built_pages(html)
        for tag, ref in parse(page).refs
        if tag != "a" and urlsplit(ref).netloc
    ]
    assert external == []
    assert (html / "_static" / "tex-svg.js").is_file()


def test_protocol_chapter_has_a_table(html: Path) -> None:
    assert parse(html / f"{PROTOCOL}.html").tables > 0


def test_table_headers_are_words_not_identifiers(html: Path) -> None:
    """Every header the book shows is in words: no ``_`` and no raw column name
    (``psnr``, ``dataset``): :data:`srcore.tableformat.HEADERS` names each column."""
    from srcore.tableformat import RAW_NAMES

    raw = []
    for page in built_pages(html):
        found = Headers()
        found.feed(page.read_text(encoding="utf-8"))
        for text in (" ".join(h.split()) for h in found.headers):
            if "_" in text or text in RAW_NAMES:
                raw.append(f"{page.relative_to(html)}: {text!r}")
    assert raw == [], f"headers to name in srcore.tableformat.HEADERS: {raw}"


def test_provenance_lines_are_collapsed_and_never_say_dirty(html: Path) -> None:
    """Each table's provenance is one line over a closed ``<details>`` list
    (:func:`srcore.tableformat.provenance_caption`, rendered as HTML by myst-nb,
    not escaped into text), and no page prints a ``+dirty`` commit."""
    blocks = 0
    for page in built_pages(html):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(html)
        assert "+dirty" not in text, name
        assert "&lt;details" not in text, f"{name}: provenance shown as escaped text"
        found = re.findall(r'<details class="provenance"([^>]*)><summary>', text)
        assert all("open" not in attrs for attrs in found), name
        blocks += len(found)
    assert blocks >= len(toc_pages()) // 2, "hardly any table has its provenance"


class TableBodies(HTMLParser):
    """The number of body rows (``<tr>`` holding a ``<td>``) of every table."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[int] = []
        self.open = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self.rows.append(0)
            self.open += 1
        elif tag == "td" and self.open:
            self._cells += 1
        elif tag == "tr":
            self._cells = 0

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr" and self.open and getattr(self, "_cells", 0):
            self.rows[-1] += 1
        elif tag == "table":
            self.open -= 1


def test_nothing_pending_is_shown_as_evidence(html: Path) -> None:
    """No table without a body row, no "0 of ?", no escaped asterisk and no word of
    the code's own (a "re-make pending" record, an "unchecked" run) on any page."""
    bad = []
    for page in built_pages(html):
        text = page.read_text(encoding="utf-8")
        name = page.relative_to(html)
        bodies = TableBodies()
        bodies.feed(text)
        bad += [f"{name}: a table with no rows" for n in bodies.rows if n == 0]
        for marker in ("0 of ?", "\\*", "re-make pending", "unchecked"):
            if marker in text:
                bad.append(f"{name}: {marker!r}")
    assert bad == []


# --- in the browser ----------------------------------------------------------------


@pytest.fixture(scope="module")
def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail("chromium not found in CI: .ci/run should have installed it")
    pytest.skip(
        "chromium not found: install Debian's chromium to run the browser check"
    )


# What the check page POSTs back, by the id in its URL (see CHECK_HTML).
REPORTS: dict[str, str] = {}
REPORTED = threading.Condition()
# Bounds a hung browser only: the test goes on when the page reports or the browser
# exits, so no check rests on how fast the machine is.
BROWSER_LIMIT_S = 600


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        report_id = parse_qs(urlsplit(self.path).query).get("id", [""])[0]
        with REPORTED:
            REPORTS[report_id] = body.decode("utf-8")
            REPORTED.notify_all()
        self.send_response(204)
        self.end_headers()


def wait_for_report(report_id: str, browser: subprocess.Popen) -> str | None:
    """The page's summary once it is POSTed; ``None`` if the browser exits first
    (or outlives ``BROWSER_LIMIT_S``)."""
    end = time.monotonic() + BROWSER_LIMIT_S
    with REPORTED:
        while report_id not in REPORTS:
            if browser.poll() is not None or time.monotonic() > end:
                break
            REPORTED.wait(timeout=1.0)  # wakes on the POST; else looks at the browser
        return REPORTS.get(report_id)


@pytest.fixture(scope="module")
def server(html: Path) -> Iterator[str]:
    """Serves the built book on 127.0.0.1 for the duration of the module."""
    (html / CHECK_PAGE).write_text(CHECK_HTML, encoding="utf-8")
    handler = functools.partial(QuietHandler, directory=str(html))
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=10)


def chromium_command(chromium: str, profile: Path, *args: str) -> list[str]:
    return [
        chromium,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--no-first-run",
        "--disable-sync",
        "--disable-quic",
        "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
        f"--user-data-dir={profile}",
        *args,
    ]


def start_chromium(chromium: str, profile: Path, log: Path, *args: str):
    """Chromium in its own process group, its output in ``log`` (a pipe would keep
    the test waiting for every helper process that inherited it)."""
    with open(log, "w") as out:
        return subprocess.Popen(
            chromium_command(chromium, profile, *args),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def stop_chromium(browser: subprocess.Popen) -> None:
    """The browser and every process it started."""
    try:
        os.killpg(browser.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    browser.wait()


def page_report(chromium: str, server: str, page: str, tmp_path: Path) -> str:
    """Open the check page on ``page`` and wait for the summary it POSTs back;
    one retry with a fresh browser if the first exits without it."""
    logs = []
    for attempt in range(2):
        report_id = f"{page}#{attempt}"
        url = f"{server}/{CHECK_PAGE}?id={quote(report_id)}&page=/{quote(page)}.html"
        log = tmp_path / f"chromium{attempt}.log"
        browser = start_chromium(chromium, tmp_path / f"profile{attempt}", log, url)
        try:
            report = wait_for_report(report_id, browser)
        finally:
            stop_chromium(browser)
        if report is not None:
            return report
        logs.append(log.read_text(errors="replace")[-1500:])
    pytest.fail(f"{page} reported nothing, twice:\n{logs}")


# Each page's summary, by page: the render and width checks share one browser run.
SUMMARIES: dict[str, dict] = {}


def page_summary(chromium: str, server: str, page: str, tmp_path: Path) -> dict:
    if page not in SUMMARIES:
        SUMMARIES[page] = json.loads(page_report(chromium, server, page, tmp_path))
    return SUMMARIES[page]


@pytest.mark.parametrize("page", toc_pages())
def test_page_renders_in_chromium(
    page: str, chromium: str, server: str, tmp_path: Path
) -> None:
    summary = page_summary(chromium, server, page, tmp_path)

    assert "error" not in summary, summary
    assert summary["path"] == f"/{page}.html"
    assert summary["title"] and not summary["title"].startswith("Error response")
    assert [i for i in summary["images"] if i["width"] == 0] == [], "broken images"
    assert all(t["rows"] > 0 for t in summary["tables"]), summary["tables"]
    if summary["math"]:
        assert summary["typeset"] > 0, "the page has math but MathJax did not run"
    if page == PROTOCOL:
        assert summary["tables"], "the protocol chapter shows no table"


@pytest.mark.parametrize("page", toc_pages())
def test_tables_fit_the_page_column(
    page: str, chromium: str, server: str, tmp_path: Path
) -> None:
    """No table is wider than the page's content column at 1280 px (a table in a
    horizontally scrolling output still overflows: the reader has to scroll it)."""
    summary = page_summary(chromium, server, page, tmp_path)
    column = summary["column"]
    assert column > 300, f"content column not found: {column} px"
    wide = [
        f"table {k + 1} ({' | '.join(t['headers'])} ...): {t['width']:.0f} px"
        for k, t in enumerate(summary["tables"])
        if t["width"] > column + 1
    ]
    assert wide == [], f"{page}: wider than the {column:.0f}-px column: {wide}"


def test_protocol_screenshot(chromium: str, server: str, tmp_path: Path) -> None:
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    SCREENSHOT.unlink(missing_ok=True)
    browser = start_chromium(
        chromium,
        tmp_path / "profile",
        tmp_path / "chromium.log",
        "--hide-scrollbars",
        "--window-size=1280,1600",
        "--virtual-time-budget=5000",  # a picture for people; no check rests on it
        f"--screenshot={SCREENSHOT}",
        f"{server}/{PROTOCOL}.html",
    )
    try:
        browser.wait(BROWSER_LIMIT_S)  # it exits once the screenshot is written
    finally:
        stop_chromium(browser)
    assert SCREENSHOT.is_file()
    assert SCREENSHOT.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert SCREENSHOT.stat().st_size > 10_000
