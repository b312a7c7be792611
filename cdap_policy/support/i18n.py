"""Texts in French and English: a user-facing line is a mapping {fr, en}, French by default."""

from __future__ import annotations

LANGS = ("fr", "en")


def tr(fr: str, en: str) -> dict:
    return {"fr": fr, "en": en}


def pick(text, lang: str = "fr") -> str:
    """The text in `lang`; a plain string (a value from the input) is the same in both."""
    if isinstance(text, dict):
        return text.get(lang) or text.get("fr") or text.get("en") or ""
    return "" if text is None else str(text)


def fmt(text: dict, **values) -> dict:
    """Fill the placeholders of both languages with the same values."""
    return {lang: template.format(**values) for lang, template in text.items()}
