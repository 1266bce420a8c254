"""Bilingual fields stored as `<name>_zh` and `<name>_en` columns, read in the active language."""
from django.utils import translation


def localized(obj, field: str) -> str:
    """obj.<field>_en when the active language is English, else obj.<field>_zh (Chinese first)."""
    language = (translation.get_language() or "zh-hans").lower()
    preferred, fallback = ("en", "zh") if language.startswith("en") else ("zh", "en")
    return getattr(obj, f"{field}_{preferred}", "") or getattr(obj, f"{field}_{fallback}", "")
