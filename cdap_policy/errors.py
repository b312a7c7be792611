"""Errors in user input or in the policy pack, as values that name file, line and field."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One problem found in a file the user gave us."""

    file: str
    line: int | None
    path: str  # JSON-pointer-like path of the field, "" for the whole file
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        field = f" [{self.path}]" if self.path else ""
        return f"{where}:{field} {self.message}"


class InputError(Exception):
    """Bad input (snapshot, parameters, waivers): exit code 2. Carries every problem found."""

    def __init__(self, problems: list[Problem] | Problem):
        self.problems = [problems] if isinstance(problems, Problem) else list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class PolicyError(InputError):
    """A broken policy pack (schema, duplicate rule, expression that does not compile)."""


def pointer(path) -> str:
    """Render a path tuple as a JSON pointer ("/users/3/profiles")."""
    return "".join("/" + str(p).replace("~", "~0").replace("/", "~1") for p in path)
