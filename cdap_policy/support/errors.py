"""Errors in user input or in the policy pack, as values that name file, line and field."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a file the user gave us. `message` is a mapping {fr, en} (a plain
    string is taken as both)."""

    file: str
    line: int | None
    path: str  # JSON-pointer-like path of the field, "" for the whole file
    message: dict | str  # {fr, en}, or a plain string
    # the field holds personal data (`x-personal` in its schema): what the message quotes of its
    # value is masked when printed, whatever --redact (cli.common.report_problems)
    personal: bool = False

    def text(self, lang: str = "en") -> str:
        from cdap_policy.support.i18n import pick

        return pick(self.message, lang)

    def render(self, lang: str = "en") -> str:
        """`file:line: [field] message`, every part escaped and bounded (the input
        controls them).
        """
        from cdap_policy.support.textsafe import MAX_VALUE, printable

        where = printable(self.file, MAX_VALUE)
        if self.line is not None:
            where += f":{self.line}"
        field = f" [{printable(self.path, MAX_VALUE)}]" if self.path else ""
        return f"{where}:{field} {printable(self.text(lang))}"

    def __str__(self) -> str:
        return self.render("en")


class InputError(Exception):
    """Bad input (snapshot, parameters, waivers): exit code 2. Carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class NotASnapshot(InputError):
    """A YAML or JSON file that is not a partner snapshot: one of the project's own files (`kind`,
    a key of filekinds.KIND_NAMES), which a batch skips, or a file the project does not know
    (`kind` None), refused in one line."""

    def __init__(self, problem: Problem, kind: str | None = None):
        super().__init__(problem)
        self.kind = kind


class PolicyError(InputError):
    """A broken policy pack (schema, duplicate rule, expression that does not compile)."""


def pointer(path) -> str:
    """Render a path tuple as a JSON pointer ("/users/3/profiles")."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
