"""`cdap-policy serve`: the self-assessment of a partner and the auditor's report on web pages.

Starlette (a small ASGI toolkit) with the Jinja2 templates of the reports, served by uvicorn.
The pages work without any script: each form posts back, and the server answers with the next
page and the pre-signature checklist evaluated on what was typed so far. Nothing is kept between
two requests: the partner's answers travel in the page, uploads are read in memory or in a
private temporary folder removed before the response leaves.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass

from cdap_policy.support.i18n import pick, tr
from cdap_policy.web import draft as drafts
from cdap_policy.web import security
from cdap_policy.web.texts import T

LANG_COOKIE = "cdap_lang"


@dataclass(frozen=True)
class ServeOptions:
    policies: str | None = None
    params_file: str | None = None
    redact_key: str | None = None
    default_lang: str = "fr"


class _Env:
    """What every request shares, built once: the pack (compiled), the choices of the schema and
    the catalogue, the templates and the CSRF key."""

    def __init__(self, options: ServeOptions):
        from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

        from cdap_policy.authoring.starter import load_choices
        from cdap_policy.load.pack import load_pack

        self.options = options
        self.pack = load_pack(options.policies, options.params_file)
        self.choices = load_choices(options.policies)
        self.csrf = security.Csrf()
        self.jinja = Environment(
            loader=PackageLoader("cdap_policy.web", "templates"),
            autoescape=select_autoescape(default=True, default_for_string=True),
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )


def create_app(options: ServeOptions | None = None):
    from starlette.applications import Starlette
    from starlette.routing import Mount, Route
    from starlette.staticfiles import StaticFiles

    env = _Env(options or ServeOptions())
    handlers = _Handlers(env)
    routes = [
        Route("/", handlers.home),
        Route("/langue/{code}", handlers.language),
        Route("/partenaire", handlers.partner, methods=["GET", "POST"]),
        Route("/partenaire/telecharger", handlers.partner_download, methods=["POST"]),
        Route("/auditeur", handlers.auditor),
        Route("/auditeur/rapport", handlers.auditor_report, methods=["POST"]),
        Route("/auditeur/comparaison", handlers.auditor_diff, methods=["POST"]),
        Route("/regle/{rule_id}", handlers.rule_page),
        Route("/schema/snapshot.schema.json", handlers.schema),
        Mount("/static", app=StaticFiles(packages=[("cdap_policy.web", "static")]), name="static"),
    ]
    app = Starlette(routes=routes)
    return security.SecurityMiddleware(app)


class _Handlers:
    def __init__(self, env: _Env):
        self.env = env

    # -- plumbing --------------------------------------------------------------------------

    @staticmethod
    def root(request) -> str:
        """The prefix a reverse proxy serves the pages under (serve --root-path), without its last
        slash.
        """
        return str(request.scope.get("root_path") or "").rstrip("/")

    def lang(self, request) -> str:
        wanted = (
            request.query_params.get("lang")
            or request.cookies.get(LANG_COOKIE)
            or self.env.options.default_lang
        )
        return wanted if wanted in ("fr", "en") else "fr"

    def page(self, request, template: str, status: int = 200, **context):
        from starlette.responses import HTMLResponse

        lang = context.pop("lang", None) or self.lang(request)
        cookie = request.cookies.get(security.CSRF_COOKIE) or security.Csrf.new_cookie()
        from cdap_policy.formatters.common import Words

        t = Words({key: pick(value, lang) for key, value in T.items()})
        root = self.root(request)
        path = request.url.path
        path = path[len(root) :] if root and path.startswith(root + "/") else path
        html = self.env.jinja.get_template(template).render(
            lang=lang, t=t, csrf=self.env.csrf.token(cookie), path=path, root=root, **context
        )
        response = HTMLResponse(html, status_code=status)
        if request.cookies.get(security.CSRF_COOKIE) != cookie:
            response.set_cookie(
                security.CSRF_COOKIE, cookie, httponly=True, samesite="strict", path="/"
            )
        return response

    async def form(self, request):
        """The posted form, within the limits; refuses a missing or wrong CSRF token."""
        form = await request.form(
            max_files=security.MAX_FILES,
            max_fields=security.MAX_FIELDS,
            max_part_size=security.MAX_PART_BYTES,
        )
        if not self.env.csrf.valid(request.cookies.get(security.CSRF_COOKIE), form.get("csrf")):
            await form.close()
            return None
        return form

    def refused(self, request, message: dict, status: int = 400):
        return self.page(
            request, "error.html.j2", status=status, message=pick(message, self.lang(request))
        )

    def csrf_refused(self, request):
        return self.refused(
            request,
            tr(
                "Formulaire expiré ou venu d'ailleurs (jeton CSRF absent ou invalide) : rechargez"
                " la page.",
                "Form expired or posted from elsewhere (missing or invalid CSRF token): reload the"
                " page.",
            ),
            403,
        )

    # -- pages -----------------------------------------------------------------------------

    async def home(self, request):
        return self.page(request, "home.html.j2")

    async def language(self, request):
        from starlette.responses import RedirectResponse

        code = request.path_params["code"]
        back = request.query_params.get("retour", "/")
        if not back.startswith("/") or back.startswith("//"):  # only a page of ours
            back = "/"
        response = RedirectResponse(self.root(request) + back, status_code=303)
        if code in ("fr", "en"):
            response.set_cookie(LANG_COOKIE, code, samesite="strict", path="/")
        return response

    async def schema(self, request):
        """The snapshot schema, which the downloaded snapshot's modeline points editors at."""
        from starlette.responses import Response

        from cdap_policy.load.schema import schema_path

        return Response(
            schema_path("snapshot.schema.json").read_bytes(), media_type="application/schema+json"
        )

    async def rule_page(self, request):
        rule = self.env.pack.rule(request.path_params["rule_id"])
        if rule is None:
            return self.refused(request, tr("Règle inconnue.", "Unknown rule."), 404)
        from cdap_policy.web.views import rule_context

        return self.page(
            request, "rule.html.j2", rule=rule_context(self.env.pack, rule, self.lang(request))
        )

    # -- partner ---------------------------------------------------------------------------

    async def partner(self, request):
        from cdap_policy.web.partner import Step

        lang = self.lang(request)
        if request.method == "GET":
            draft = drafts.empty()
            return self.partner_page(request, draft, "organisation", {}, lang)
        form = await self.form(request)
        if form is None:
            return self.csrf_refused(request)
        async with _closing(form):
            try:
                draft = drafts.loads(form.get("draft"))
            except drafts.DraftError:
                return self.refused(
                    request,
                    tr(
                        "Les réponses transmises sont illisibles : recommencez depuis le début.",
                        "The answers sent back cannot be read: start again from the beginning.",
                    ),
                )
            step = Step(self.env, draft, lang)
            target, errors, notes = await step.submit(form)
        return self.partner_page(request, draft, target, errors, lang, notes)

    def partner_page(self, request, draft, target, errors, lang, notes=()):
        from cdap_policy.web.partner import page_context

        context = page_context(self.env, draft, target, errors, lang)
        return self.page(request, "partner.html.j2", lang=lang, notes=list(notes), **context)

    async def partner_download(self, request):
        from starlette.responses import Response

        from cdap_policy.web.partner import download

        form = await self.form(request)
        if form is None:
            return self.csrf_refused(request)
        async with _closing(form):
            try:
                draft = drafts.loads(form.get("draft"))
            except drafts.DraftError:
                return self.refused(
                    request,
                    tr(
                        "Les réponses transmises sont illisibles.",
                        "The answers sent back cannot be read.",
                    ),
                )
            what = str(form.get("what") or "")
            redact = form.get("redact") == "1"
        lang = self.lang(request)
        result = download(
            self.env,
            draft,
            what,
            lang,
            redact,
            f"{str(request.base_url).rstrip('/')}/schema/snapshot.schema.json",
        )
        if result is None:
            return self.refused(request, tr("Téléchargement inconnu.", "Unknown download."), 404)
        name, media, body = result
        return Response(
            body,
            media_type=media,
            headers={"content-disposition": f'attachment; filename="{name}"'},
        )

    # -- auditor ---------------------------------------------------------------------------

    async def auditor(self, request):
        return self.page(request, "auditor.html.j2", errors=[])

    async def auditor_report(self, request):
        from cdap_policy.web.auditor import check_upload

        lang = self.lang(request)
        form = await self.form(request)
        if form is None:
            return self.csrf_refused(request)
        async with _closing(form):
            upload = form.get("snapshot")
            if upload is None or not getattr(upload, "filename", ""):
                return self.page(
                    request,
                    "auditor.html.j2",
                    status=400,
                    errors=[
                        pick(
                            tr(
                                "Choisissez un instantané ou une archive zip.",
                                "Choose a snapshot or a zip archive.",
                            ),
                            lang,
                        )
                    ],
                )
            data = await upload.read(security.MAX_REQUEST_BYTES + 1)
            name = upload.filename
            as_of = drafts.read_date(str(form.get("as_of") or "")) or None
            redact = form.get("redact") == "1"
        outcome = check_upload(self.env, name, data, as_of, redact, lang)
        if outcome.refused:
            return self.page(request, "auditor.html.j2", status=400, errors=[outcome.refused])
        return self.page(request, "report.html.j2", result=outcome)

    async def auditor_diff(self, request):
        from cdap_policy.web.auditor import compare_uploads

        lang = self.lang(request)
        form = await self.form(request)
        if form is None:
            return self.csrf_refused(request)
        async with _closing(form):
            files = []
            for key in ("old", "new"):
                upload = form.get(key)
                if upload is None or not getattr(upload, "filename", ""):
                    return self.page(
                        request,
                        "auditor.html.j2",
                        status=400,
                        errors=[
                            pick(
                                tr(
                                    "Choisissez deux rapports JSON (cdap-policy check --format"
                                    " json).",
                                    "Choose two JSON reports (cdap-policy check --format json).",
                                ),
                                lang,
                            )
                        ],
                    )
                files.append((upload.filename, await upload.read(security.MAX_REQUEST_BYTES + 1)))
            force = form.get("force") == "1"
        outcome = compare_uploads(files, force, lang)
        if outcome.refused:
            return self.page(request, "auditor.html.j2", status=400, errors=[outcome.refused])
        return self.page(request, "diff.html.j2", result=outcome)


@contextlib.asynccontextmanager
async def _closing(form):
    try:
        yield form
    finally:
        await form.close()  # spooled uploads are deleted now, not when the collector runs


def dumps(value) -> str:
    return json.dumps(value, ensure_ascii=False)
