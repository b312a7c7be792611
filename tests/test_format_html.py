"""The HTML report: one self-contained page under a strict content-security policy, snapshot
values escaped, and, rendered in headless Chromium, the chart and the findings on screen."""

import io
import re
import shutil
import tempfile
from html.parser import HTMLParser

import pytest
from format_support import fixture_ids, options, report, varied_report

from cdap_policy.formatters import render

CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"
URL_ATTRIBUTES = {
    "src",
    "href",
    "srcset",
    "poster",
    "data",
    "action",
    "formaction",
    "xlink:href",
    "background",
    "cite",
    "longdesc",
    "manifest",
    "ping",
}


class Page(HTMLParser):
    """Elements (tag, attributes, text) in document order, and the text of every <style>."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.elements, self.styles, self.stack = [], [], []
        self.feed(text)
        self.close()

    VOID = {
        "meta",
        "link",
        "br",
        "img",
        "input",
        "hr",
        "wbr",
        "source",
        "area",
        "base",
        "col",
        "embed",
        "param",
        "track",
    }

    def handle_startendtag(self, tag, attrs):  # <rect .../>: an element without content
        self.handle_starttag(tag, attrs, void=True)

    def handle_starttag(self, tag, attrs, void=False):
        family = next(
            (
                e["attrs"].get("id")
                for e in reversed(self.stack)
                if "family" in e["attrs"].get("class", "").split()
            ),
            None,
        )
        element = {"tag": tag, "attrs": dict(attrs), "text": [], "family": family}
        self.elements.append(element)
        if not void and tag not in self.VOID:
            self.stack.append(element)

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()["tag"] == tag:
                break

    def handle_data(self, data):
        for element in self.stack:
            element["text"].append(data)
        if self.stack and self.stack[-1]["tag"] == "style":
            self.styles.append(data)

    def find(self, tag=None, cls=None):
        return [
            e
            for e in self.elements
            if (tag is None or e["tag"] == tag)
            and (cls is None or cls in e["attrs"].get("class", "").split())
        ]

    @staticmethod
    def text(element) -> str:
        return " ".join("".join(element["text"]).split())


def assert_self_contained(text: str):
    page = Page(text)
    assert "<script" not in text.lower()
    metas = [
        e["attrs"]
        for e in page.find("meta")
        if e["attrs"].get("http-equiv", "").lower() == "content-security-policy"
    ]
    assert [m["content"] for m in metas] == [CSP]
    for element in page.elements:
        assert element["tag"] not in ("script", "link", "iframe", "object", "embed", "img", "base")
        for name, value in element["attrs"].items():
            assert not name.startswith("on"), (element["tag"], name)  # no inline event handler
            if name in URL_ATTRIBUTES:
                assert value.startswith("#"), (
                    element["tag"],
                    name,
                    value,
                )  # links within the page only
            assert "http://" not in (value or "") and "https://" not in (value or ""), (
                element["tag"],
                name,
                value,
            )
    css = "".join(page.styles)
    assert "@import" not in css and "url(" not in css and "@font-face" not in css
    assert "@media print" in css
    return page


@pytest.mark.parametrize("name", fixture_ids())
def test_every_fixture_gives_a_self_contained_page_with_findings_by_family(name):
    rep = report(name)
    text = render("html", [rep], options())
    page = assert_self_contained(text)
    assert page.find("html")[0]["attrs"]["lang"] == "fr"
    body = Page.text(page.find("body")[0])
    for needle in (
        rep.partner,
        rep.siret,
        rep.as_of,
        str(rep.edition),
        rep.pack_name,
        rep.pack_version,
    ):
        assert needle in body
    articles = page.find("article", "finding")
    by_id = {f"f-{f.fingerprint}": f for f in rep.listed()}
    assert sorted(a["attrs"]["id"] for a in articles) == sorted(by_id)
    sections = [s["attrs"]["id"].split("-")[-1].upper() for s in page.find("section", "family")]
    assert sections == sorted(set(sections), key=sections.index)  # one section per family
    for article in articles:
        finding = by_id[article["attrs"]["id"]]
        assert article["family"].split("-")[-1].upper() == finding.family  # grouped by family
        content = Page.text(article)
        assert finding.rule_id in content
        assert " ".join(finding.message["fr"].split()) in content
        assert finding.references[0]["article"] in content
        if finding.remediation["fr"]:
            assert " ".join(finding.remediation["fr"].split()) in content
    assert page.find("svg", "chart") and page.find("rect")


def test_notices_come_before_the_findings():
    rep = report("commune-t2-cafpro.yaml")
    assert rep.notices
    page = Page(render("html", [rep], options()))
    order = [
        e
        for e in page.elements
        if "notice" in e["attrs"].get("class", "").split() or e["tag"] == "article"
    ]
    assert order[0]["tag"] == "div" and "CAFPRO" in Page.text(order[0])


def test_snapshot_values_are_escaped_and_waivers_shown():
    rep = varied_report()
    text = render("html", [rep], options(lang="en"))
    page = assert_self_contained(text)
    assert page.find("html")[0]["attrs"]["lang"] == "en"
    assert "<script>alert" not in text and "&lt;script&gt;alert(" in text
    body = Page.text(page.find("body")[0])
    assert "<script>alert('x')</script> & co" in body  # shown as text
    waivers = page.find("div", "waiver")
    assert len(waivers) == 1
    content = Page.text(waivers[0])
    full = next(f for f in rep.listed() if f.waiver)
    for value in full.waiver.values():
        assert value in content
    assert (
        len(page.find("article", "status-waived")) == 2
        and len(page.find("article", "status-error")) == 1
    )


def test_evidence_named_like_a_mapping_method_shows_its_value():
    """A value a rule read may be named `values`, `items`, `keys` or `get`: a template reading
    names as attributes of a dict would print « <built-in method …> » instead of the value."""
    import dataclasses

    rep = report("ccas-2025.yaml")
    first = next(f for f in rep.findings if f.status == "fail")
    evidence = {
        "values": "valeur-lue-1",
        "items": ["article-a", "article-b"],
        "keys": "cle-7",
        "get": "lu-9",
    }
    rep = dataclasses.replace(
        rep,
        findings=[
            dataclasses.replace(f, evidence=evidence) if f is first else f for f in rep.findings
        ],
    )
    for lang in ("fr", "en"):
        text = render("html", [rep], options(lang=lang))
        assert "built-in method" not in text and "bound method" not in text
        article = next(
            a
            for a in Page(text).find("article")
            if a["attrs"].get("id", "").endswith(first.fingerprint)
        )
        shown = Page.text(article)
        for name, value in (
            ("values", "valeur-lue-1"),
            ("keys", "cle-7"),
            ("get", "lu-9"),
            ("items", "article-a"),
        ):
            assert re.search(rf"<code>{name}</code></td><td>[^<]*{value}", text), name
            assert value in shown


def test_several_snapshots_one_page_with_an_overview():
    reps = [
        report(n)
        for n in ("ccas-2025.yaml", "departement-2017.yaml", "hopital-2025-hebergeur.yaml")
    ]
    page = assert_self_contained(render("html", reps, options()))
    overview = page.find("table", "overview-table")
    assert len(overview) == 1
    first_cells = [
        e for e in page.elements[page.elements.index(overview[0]) :] if e["tag"] == "td"
    ][::10][:3]
    assert [Page.text(cell) for cell in first_cells] == [r.partner for r in reps]
    sections = page.find("section", "snapshot")
    assert [s["attrs"]["id"] for s in sections] == ["snapshot-1", "snapshot-2", "snapshot-3"]
    assert page.elements.index(overview[0]) < page.elements.index(sections[0])


# -- in a real browser -------------------------------------------------------------------------


def _browser():
    """(chromium, chromedriver) paths, or None with the reason."""
    chromium = next(
        (
            shutil.which(n)
            for n in ("chromium", "chromium-browser", "google-chrome")
            if shutil.which(n)
        ),
        None,
    )
    driver = shutil.which("chromedriver")
    if not chromium:
        return (
            None,
            "no Chromium on this machine (.ci/run installs Debian's chromium and chromium-driver)",
        )
    if not driver:
        return None, "Chromium is here but chromedriver is not (Debian package chromium-driver)"
    return (chromium, driver), ""


@pytest.fixture(scope="module")
def browser():
    paths, reason = _browser()
    if paths is None:
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="cdap-chromium-")
    opts = webdriver.ChromeOptions()
    opts.binary_location = paths[0]
    for flag in (
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1280,1600",
        f"--user-data-dir={profile}",
    ):
        opts.add_argument(flag)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # an explicit driver path: Selenium does not look for (or download) one
    driver = webdriver.Chrome(options=opts, service=Service(paths[1]))
    yield driver
    driver.quit()
    shutil.rmtree(profile, ignore_errors=True)


def _distinct_colors(png: bytes) -> set:
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    image.thumbnail((400, 400))
    return {color for _, color in image.getcolors(maxcolors=400 * 400)}


def test_chromium_shows_the_chart_and_the_findings(browser, tmp_path):
    from selenium.webdriver.common.by import By

    reps = [report("departement-2017.yaml"), varied_report()]
    page = tmp_path / "report.html"
    page.write_text(render("html", reps, options()), encoding="utf-8")
    browser.get(page.as_uri())
    assert browser.title.startswith("Rapport de conformité CDAP")
    shot = tmp_path / "report.png"
    assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000

    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    assert len(charts) == 2
    for chart, rep in zip(charts, reps, strict=True):
        browser.execute_script("arguments[0].scrollIntoView()", chart)
        assert chart.is_displayed() and chart.size["width"] > 300 and chart.size["height"] > 100
        bars = chart.find_elements(By.CSS_SELECTOR, "rect.bar")
        segments = {
            (f.family, f.severity if f.status == "fail" else "error")
            for f in rep.findings
            if f.status in ("fail", "error")
        }
        assert len(bars) == len(segments)
        assert all(bar.size["width"] > 0 and bar.size["height"] > 0 for bar in bars)
        # the chart's pixels: the bars' colours are painted, not only the page's white
        colors = _distinct_colors(chart.screenshot_as_png)
        assert len(colors) > 10
        critical = chart_colors()["critical"]
        if any(f.severity == "critical" and f.status == "fail" for f in rep.findings):
            assert any(
                sum(abs(a - b) for a, b in zip(px, critical, strict=True)) < 30 for px in colors
            )

    articles = browser.find_elements(By.CSS_SELECTOR, "article.finding")
    assert len(articles) == sum(len(r.listed()) for r in reps)
    for article in articles:
        assert article.size["height"] > 40 and article.size["width"] > 300
    first = articles[0]
    browser.execute_script("arguments[0].scrollIntoView()", first)
    assert first.is_displayed() and len(_distinct_colors(first.screenshot_as_png)) > 5
    shown = next(
        f for r in reps for f in r.listed() if f"f-{f.fingerprint}" == first.get_attribute("id")
    )
    assert shown.message["fr"].split("\n")[0][:60] in first.text
    # nothing the page asked for was blocked (CSP) or failed to load
    problems = [
        entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")
    ]
    assert problems == []


def chart_colors() -> dict:
    from cdap_policy.formatters.svgchart import COLORS

    return {k: tuple(int(v[i : i + 2], 16) for i in (1, 3, 5)) for k, v in COLORS.items()}


def test_the_page_prints(browser, tmp_path):
    """Chromium's own print to PDF (what an auditor does) gives a multi-page document."""
    import base64

    page = tmp_path / "report.html"
    page.write_text(render("html", [report("departement-2017.yaml")], options()), encoding="utf-8")
    browser.get(page.as_uri())
    pdf = base64.b64decode(browser.print_page())
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) > 2
