"""Markdown for merge-request comments, parsed with markdown-it-py (CommonMark with GitHub's
tables): summary tables, findings grouped by family in balanced <details> blocks, values from
the snapshot rendered as text, and the comment kept within GitHub's size."""

import dataclasses
import re

import pytest
from format_support import fixture_ids, options, report, varied_report
from markdown_it import MarkdownIt

from cdap_policy.formatters import markdown, render

MD = MarkdownIt("commonmark").enable(["table", "strikethrough"])


def blocks(tokens, kind):
    return [t for t in tokens if t.type == kind]


def details_balance(tokens) -> tuple[int, int]:
    html = "".join(t.content for t in tokens if t.type in ("html_block", "html_inline"))
    return len(re.findall(r"<details>", html)), len(re.findall(r"</details>", html))


@pytest.mark.parametrize("name", fixture_ids())
def test_every_fixture_gives_a_summary_then_failing_findings_by_family(name):
    rep = report(name)
    text = render("markdown", [rep], options())
    tokens = MD.parse(text)
    headings = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert headings[0] == f"Conformité CDAP — {rep.partner}"
    failing = [f for f in rep.listed() if f.status in ("fail", "error")]
    families = sorted({f.family for f in failing})
    family_headings = [h for h in headings[1:] if re.match(r"^[A-Z]+ — ", h)]
    assert sorted(h.split(" — ")[0] for h in family_headings) == families
    assert len(blocks(tokens, "table_open")) >= 2  # counts by status and by severity
    cells = [t.content for t in tokens if t.type == "inline"]
    assert str(rep.summary()["by_status"]["fail"]) in cells
    opened, closed = details_balance(tokens)
    assert opened == closed == len(failing)
    html = MD.render(text)
    for finding in failing:
        assert f"<code>{finding.rule_id}</code>" in html
        assert finding.references[0]["document"] in html
    assert len(text) <= markdown.MAX_CHARS


def test_snapshot_values_render_as_text_and_english():
    rep = varied_report()
    text = render("markdown", [rep], options(lang="en"))
    tokens = MD.parse(text)
    raw_html = " ".join(t.content for t in tokens if t.type in ("html_block", "html_inline"))
    assert "<script" not in raw_html.lower()
    html = MD.render(text)
    assert "<script" not in html.lower()
    assert "&lt;script&gt;alert('x')&lt;/script&gt; | *bold* `code`" in html.replace("&quot;", '"')
    assert "CDAP compliance — " in html
    waived = [f for f in rep.listed() if f.status == "waived" and f.waiver]
    assert waived and waived[0].waiver["ticket"] in html
    opened, closed = details_balance(tokens)
    assert opened == closed


def test_long_reports_are_cut_between_findings_with_a_count():
    base = report("departement-2017.yaml")
    failing = [f for f in base.findings if f.status == "fail"]
    many = [
        dataclasses.replace(f, entity_key=f"{f.entity_key}-{i}")
        for i in range(150)
        for f in failing
    ]
    rep = dataclasses.replace(base, findings=many, counts={"fail": len(many)})
    text = render("markdown", [rep], options())
    assert (
        markdown.MAX_CHARS - 5_000 < len(text) <= markdown.MAX_CHARS + 500 < 65_536
    )  # GitHub's comment limit
    tokens = MD.parse(text)
    opened, closed = details_balance(tokens)
    assert opened == closed and 0 < opened < len(many)
    notice = re.search(r"(\d+) constat\(s\) sur (\d+) non affiché\(s\)", text)
    assert notice, text[-500:]
    assert int(notice.group(1)) == len(many) - opened and int(notice.group(2)) == len(many)


def test_several_snapshots_start_with_an_overview_table():
    reps = [report(n) for n in ("ccas-2025.yaml", "hopital-2025-hebergeur.yaml")]
    tokens = MD.parse(render("markdown", reps, options()))
    first_table = tokens.index(blocks(tokens, "table_open")[0])
    rows = [t.content for t in tokens[first_table:] if t.type == "inline"][:30]
    assert reps[0].partner in rows and reps[1].partner in rows


def test_include_passed_adds_one_bounded_block_of_passes():
    rep = report("departement-2017.yaml", include_passed=True)
    text = render("markdown", [rep], options(include_passed=True))
    tokens = MD.parse(text)
    opened, closed = details_balance(tokens)
    failing = [f for f in rep.listed() if f.status in ("fail", "error")]
    assert opened == closed == len(failing) + 1
    passes = sum(rep.counts.get(s, 0) for s in ("pass", "not_applicable"))
    assert f"({passes})" in text and len(text) <= markdown.MAX_CHARS
    assert f"+{passes - markdown.MAX_PASSED_ROWS}" in text
