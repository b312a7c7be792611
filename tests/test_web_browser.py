"""`cdap-policy serve` in a real browser (Debian's headless Chromium, driven by Selenium): the
partner's whole path from nothing to a clean pre-signature checklist without typing a line of
YAML, with the downloads; the auditor's report and diff; axe-core on every page (no serious or
critical violation); and the reports printed to A4 PDF pages (page count, running header, no
raw code). One browser for the module.

Screenshots of every page are saved for review in build/screenshots/ at the repository's root
(ignored by git), or in $CDAP_SCREENSHOTS when set. axe-core is the npm package, installed by
.ci/run into a temporary folder and found through $AXE_CORE_JS; without it the accessibility
assertions are skipped, saying why.
"""

import base64
import io
import json
import os
import re
import shutil
import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")
pytest.importorskip("selenium")
pypdf = pytest.importorskip("pypdf")

from helpers import ROOT  # noqa: E402
from web_support import (  # noqa: E402
    DELIBERATION,
    FIELDS,
    ORGANISATION,
    PEOPLE,
    ROLES,
    SHEET,
    caf_params,
)

CHROMIUM, DRIVER = (
    shutil.which("chromium") or "/usr/bin/chromium",
    shutil.which("chromedriver") or "/usr/bin/chromedriver",
)
pytestmark = pytest.mark.skipif(
    not (Path(CHROMIUM).exists() and Path(DRIVER).exists()),
    reason=(
        "chromium and chromedriver are not installed (Debian: apt-get install chromium"
        " chromium-driver)"
    ),
)
SHOTS = Path(os.environ.get("CDAP_SCREENSHOTS") or ROOT / "build" / "screenshots")
# text that must never reach a printed page: codes of the snapshot format in a French sentence,
# file URLs, exit codes
RAW = re.compile(
    r"« (?:department|ccas|cias|commune|active|planned|revoked|shared|hospital) »|\bpartner"
    r" partner\b|reason_(?:fr|en)"
    r"|\(par défaut / default\)|file://|code de sortie|exit"
    r" code|pre-signature|not_applicable|annual-review"
)


def _axe_source():
    path = os.environ.get("AXE_CORE_JS")
    candidates = [Path(path)] if path else []
    candidates += [ROOT / "node_modules" / "axe-core" / "axe.min.js"]
    return next((p.read_text(encoding="utf-8") for p in candidates if p.is_file()), None)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The server as a Caf runs it, with its current list of maintained browsers (--params)."""
    import uvicorn

    from cdap_policy.web.app import ServeOptions, create_app

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    params_file = caf_params(tmp_path_factory.mktemp("caf"))
    config = uvicorn.Config(
        create_app(ServeOptions(params_file=str(params_file))),
        host="127.0.0.1",
        port=port,
        log_level="warning",
    )
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
def downloads(tmp_path_factory):
    return tmp_path_factory.mktemp("downloads")


@pytest.fixture(scope="module")
def browser(downloads):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        "--lang=fr-FR",
    ):
        options.add_argument(arg)
    options.add_experimental_option(
        "prefs",
        {"download.default_directory": str(downloads), "download.prompt_for_download": False},
    )
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.execute_cdp_cmd(
        "Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}
    )
    SHOTS.mkdir(parents=True, exist_ok=True)
    yield driver
    driver.quit()


class Page:
    """Helpers over the driver: fill, click, check accessibility, take a screenshot."""

    axe = _axe_source()

    def __init__(self, driver, base):
        self.d, self.base = driver, base
        self.violations = {}

    def by_id(self, ident):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.ID, ident)

    def fill(self, ident, value):
        element = self.by_id(ident)
        if (
            element.get_attribute("type") == "date"
        ):  # a date input's typing depends on the browser's locale
            self.d.execute_script("arguments[0].value = arguments[1]", element, value)
            return
        element.clear()
        element.send_keys(value)

    def select(self, ident, value):
        from selenium.webdriver.support.ui import Select

        Select(self.by_id(ident)).select_by_value(value)

    def click(self, ident):
        """Click, and when the click posts a form or follows a link, wait for the next page."""
        from selenium.common.exceptions import TimeoutException
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support.ui import WebDriverWait

        element = self.by_id(ident)
        navigates = element.tag_name == "a" or (
            element.tag_name == "button" and element.get_attribute("type") == "submit"
        )
        old = self.d.find_element(By.TAG_NAME, "html")
        element.click()
        if navigates and not ident.startswith("dl-"):
            try:
                WebDriverWait(self.d, 20).until(lambda _: _gone(old))
            except TimeoutException:
                raise AssertionError(f"no new page after clicking {ident}") from None
            WebDriverWait(self.d, 20).until(
                lambda d: d.execute_script("return document.readyState") == "complete"
            )

    def click_step(self, step):
        """Go to a step through the list of steps (a submit button each)."""
        from selenium.webdriver.common.by import By

        button = self.d.find_element(By.CSS_SELECTOR, f'nav.steps button[value="{step}"]')
        # the buttons have no id: give this one an id the click helper finds
        self.d.execute_script("arguments[0].id = arguments[1]", button, f"step-{step}")
        self.click(f"step-{step}")

    def check(self, name):
        """Screenshot, then axe-core: serious and critical violations are collected by page."""
        self.d.save_screenshot(str(SHOTS / f"{name}.png"))
        if self.axe is None:
            return
        self.d.execute_script(self.axe)
        result = self.d.execute_async_script(
            "const done = arguments[arguments.length - 1];axe.run(document, {resultTypes:"
            " ['violations']}).then(r => done(JSON.stringify(r.violations))).catch(e =>"
            " done(String(e)));"
        )
        violations = [v for v in json.loads(result) if v.get("impact") in ("serious", "critical")]
        if violations:
            self.violations[name] = [
                (v["id"], v["help"], [n["target"] for n in v["nodes"][:3]]) for v in violations
            ]

    def text(self):
        from selenium.webdriver.common.by import By

        return self.d.find_element(By.TAG_NAME, "body").text


def _gone(element) -> bool:
    """Whether the page holding `element` was replaced. Chromium says so with a stale-element
    error, or under load with « Node with given id does not belong to the document », which
    selenium's staleness_of does not take for staleness."""
    from selenium.common.exceptions import WebDriverException

    try:
        element.is_enabled()
    except WebDriverException:  # StaleElementReferenceException is one
        return True
    return False


@pytest.fixture(scope="module")
def page(browser, server):
    return Page(browser, server)


def _wait_for(folder: Path, suffix: str, timeout: float = 20) -> Path:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [
            p
            for p in folder.iterdir()
            if p.name.endswith(suffix) and not p.name.endswith(".crdownload")
        ]
        if found:
            return found[0]
        time.sleep(0.1)
    raise AssertionError(
        f"no {suffix} downloaded in {folder}: {[p.name for p in folder.iterdir()]}"
    )


PROVIDER = {  # fictitious
    "name": "Hébergement Exemple SAS",
    "tasks": "Hébergement du logiciel d'instruction",
    "country": "FR",
    "db": "FR",
    "starts_on": "2027-09-01",
    "notice_on": "2026-11-20",
}
NOTICE_ITEMS = ("providers", "provider_locations", "database_locations", "legal_regime", "tasks")
CLAUSES = (
    "security",
    "confidentiality",
    "purpose_limitation",
    "no_retention_after_end",
    "no_disclosure",
    "anti_misuse",
    "physical_security",
    "audit",
    "same_obligations_for_subcontractors",
)


@pytest.mark.slow
def test_partner_path_to_a_clean_checklist_without_yaml(page, downloads):
    p = page
    p.d.get(p.base + "/")
    p.check("01-accueil")
    p.click("start-partner")
    p.select("kind", ORGANISATION["kind"])
    for field in ("name", "siret", "department"):
        p.fill(field, ORGANISATION[field])
    for field, value in DELIBERATION.items():  # the board's deliberation authorising the signature
        p.fill(field, value)
    p.check("02-organisme")
    p.click("next")
    p.fill("quota-T1", "4")
    p.fill("quota-T13", "1")  # the FSL profile: a supporting document to name before signing
    p.check("03-profils")
    p.click("next")
    for role in ROLES:
        for field, value in zip(FIELDS, PEOPLE[role], strict=True):
            p.fill(f"{role}-{field}", value)
    p.check("04-personnes")
    p.click("next")
    p.fill("information_method", "Mention sur les formulaires de demande")
    p.click("non_opposition")
    p.select("browser-0", "firefox")
    p.fill("version-0", "140")
    p.fill("count-0", "4")
    p.check("05-postes")
    p.click("next")
    # a provider, entered whole without JavaScript: « add a provider » re-renders one more row
    for field, value in PROVIDER.items():
        p.fill(f"prov-0-{field}", value)
    for item in NOTICE_ITEMS:
        p.click(f"prov-0-lists-{item}")
    for clause in CLAUSES:
        p.click(f"prov-0-clauses-{clause}")
    p.click("add-provider")
    assert p.by_id("prov-0-name").get_attribute("value") == PROVIDER["name"]
    assert p.by_id("prov-1-name").get_attribute("value") == ""  # the new, empty row
    p.check("05b-prestataires")
    p.click("next")
    p.by_id("sheet").send_keys(str(SHEET))
    p.click("upload")
    assert "header-1" in p.d.page_source, p.text()
    assert p.by_id("header-1").is_selected()  # the header row is proposed, and can be changed
    p.check("06-en-tetes")
    p.click("use-header")
    assert (
        p.by_id("map-0").get_attribute("value") == "last_name"
    )  # columns mapped on screen, French headers recognised
    p.check("07-colonnes")
    p.click("import")
    assert "4 agent(s) importé(s)" in p.text()
    p.click("profiles-3-T1")  # Thomas Bérard has no state diploma: untick T1
    p.check("08-personnel")
    p.click("next")
    assert (
        "Camille Arnoux" in p.text() and "Thomas Bérard" not in p.text()
    )  # the attestation lists the diplomas imported
    p.fill("attestation_on", "2026-11-30")
    p.fill("document-T13", "Convention de gestion du FSL avec le département")
    p.click("flag-ccas_t1_conditions_met")
    p.check("09-attestation")
    p.click("next")
    assert p.by_id("checklist-clean").is_displayed(), p.text()
    p.check("10-liste-avant-signature")

    p.click("dl-snapshot")
    snapshot = _wait_for(downloads, ".yaml").read_text(encoding="utf-8")
    assert snapshot.startswith("# yaml-language-server: $schema=") and "t1_attestation:" in snapshot
    assert (
        "deliberation: {body:" in snapshot
        and '{profile: "T13", document: "Convention de gestion du FSL' in snapshot
    )
    assert 'name: "Hébergement Exemple SAS"' in snapshot and "notice: {received_on:" in snapshot
    p.click("dl-checklist")
    assert "<!DOCTYPE html>" in _wait_for(downloads, "-avant-signature.html").read_text(
        encoding="utf-8"
    )
    p.click("dl-report")
    assert "Rapport de conformité CDAP" in _wait_for(downloads, "-rapport.html").read_text(
        encoding="utf-8"
    )

    # the letter reaches the Caf too late: the checklist says so for this provider
    p.click_step("providers")
    p.fill("prov-0-notice_on", "2027-08-01")
    p.click_step("checklist")
    assert "/regle/sub-notice-delay" in p.d.page_source and "Hébergement Exemple SAS" in p.text()
    p.check("10b-liste-prestataire-en-retard")

    p.d.get(p.base + "/langue/en?retour=/partenaire")  # the English switch
    assert "Organisation kind" in p.text()
    p.d.get(p.base + "/langue/fr?retour=/")
    assert not p.violations, json.dumps(p.violations, ensure_ascii=False, indent=1)


def test_auditor_report_and_diff(page, tmp_path):
    p = page
    p.d.get(p.base + "/auditeur")
    p.check("11-auditeur")
    fixture = ROOT / "fixtures" / "ccas-2025.yaml"
    p.by_id("snapshot").send_keys(str(fixture))
    p.fill("as_of", "2025-06-30")
    p.click("check")
    text = p.text()
    assert "CCAS de Saint-Aubin-sur-Loire" in text and "Explication de la règle" in text
    p.check("12-rapport")
    report = base64.b64decode(p.by_id("download-json").get_attribute("href").split("base64,", 1)[1])
    older = json.loads(report)
    older["findings"] = older["findings"][1:]
    (tmp_path / "y1.json").write_text(json.dumps(older), encoding="utf-8")
    (tmp_path / "y2.json").write_bytes(report)
    from selenium.webdriver.common.by import By

    rule_link = p.d.find_element(By.CSS_SELECTOR, "a.rule")
    p.d.get(rule_link.get_attribute("href"))  # a finding links to its rule's explanation
    assert "Condition vérifiée (CEL)" in p.text()
    p.check("13-regle")
    p.d.get(p.base + "/auditeur")
    p.by_id("old").send_keys(str(tmp_path / "y1.json"))
    p.by_id("new").send_keys(str(tmp_path / "y2.json"))
    p.click("compare")
    assert p.by_id("diff-new").is_displayed()
    p.check("14-comparaison")
    assert not p.violations, json.dumps(p.violations, ensure_ascii=False, indent=1)


def test_axe_core_is_available():
    if Page.axe is None:
        pytest.skip("axe-core not found: .ci/run installs it with npm and sets AXE_CORE_JS")


def _pdf(driver, path: Path):
    from selenium.webdriver.common.print_page_options import PrintOptions

    driver.get(path.as_uri())
    options = PrintOptions()
    options.page_width, options.page_height, options.background = 21.0, 29.7, True
    reader = pypdf.PdfReader(io.BytesIO(base64.b64decode(driver.print_page(options))))
    return reader, [pg.extract_text() for pg in reader.pages]


@pytest.mark.slow
@pytest.mark.cli
def test_printed_reports(browser, tmp_path):
    """The department's report, the CCAS's checklist and a batch summary, printed on A4."""
    from cdap_policy import formatters
    from cdap_policy.load.pack import load_pack
    from cdap_policy.pipeline.check import CheckOptions, check_snapshot

    pack = load_pack(None, None)
    fmt = formatters.FormatOptions(lang="fr")
    department = check_snapshot(
        pack, ROOT / "fixtures" / "departement-2017.yaml", CheckOptions(as_of="2025-06-30")
    )
    ccas = check_snapshot(
        pack,
        ROOT / "fixtures" / "ccas-2025.yaml",
        CheckOptions(as_of="2025-06-30", stage="pre-signature"),
    )
    pages = {}
    for name, reports, options in (("departement", [department], fmt), ("checklist", [ccas], fmt)):
        target = tmp_path / f"{name}.html"
        target.write_text(formatters.render("html", reports, options), encoding="utf-8")
        reader, texts = _pdf(browser, target)
        pages[name] = texts
        box = reader.pages[0].mediabox
        assert abs(float(box.width) - 595) < 3 and abs(float(box.height) - 842) < 3, (
            name
        )  # A4 in points
        for number, text in enumerate(texts, 1):
            assert f"Page {number} / {len(texts)}" in text, (name, number)  # page numbers
            assert "2025-06-30" in text.split("\n", 2)[0] + text[-200:], (
                name,
                number,
            )  # the running header
            found = RAW.findall(text)
            assert not found, (name, number, found)
    assert len(pages["departement"]) <= 5, len(pages["departement"])
    assert all("Département du Val-de-Lauch" in text for text in pages["departement"])
    # the batch summary of two partners, as `check` writes it
    import subprocess
    import sys

    batch = tmp_path / "lot.html"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "cdap_policy",
            "check",
            ROOT / "fixtures" / "ccas-2025.yaml",
            ROOT / "fixtures" / "departement-2017.yaml",
            "--as-of",
            "2025-06-30",
            "--format",
            "html",
            "-o",
            batch,
            "-j",
            "1",
        ],
        capture_output=True,
        timeout=120,
    )
    _, texts = _pdf(browser, batch)
    assert "Synthèse" in texts[0]
    for number, text in enumerate(texts, 1):
        assert f"Page {number} / {len(texts)}" in text and not RAW.findall(text), (
            number,
            RAW.findall(text),
        )
