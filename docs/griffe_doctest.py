"""A griffe extension for the API reference: read ``Example:`` sections as doctest examples.

The docstrings are Google style, and most title their examples ``Example:``. Griffe reads only
``Examples:`` as a section of ``>>>`` examples (rendered as code) and ``Example:`` as free
Markdown, where ``>>>`` would render as nested quotes; this extension retitles the singular form
before the docstrings are parsed. mkdocs.yml loads it from the mkdocstrings handler options.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

__all__ = ["DoctestExamples"]

_SINGULAR_TITLE = re.compile(r"^(?P<indent>[ \t]*)Example:[ \t]*$", re.MULTILINE)


class DoctestExamples(griffe.Extension):
    """Retitle every ``Example:`` section of a docstring ``Examples:``."""

    def on_instance(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        """Rewrite the docstring of ``obj`` as it is loaded, before anything parses it."""
        if obj.docstring is not None:
            obj.docstring.value = _SINGULAR_TITLE.sub(r"\g<indent>Examples:", obj.docstring.value)
