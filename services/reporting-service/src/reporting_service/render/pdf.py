"""The pack's page as a PDF (A4, by WeasyPrint): the same HTML laid out by its print style,
its charts drawn as vectors from their SVG."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

# WeasyPrint reports each step of each PDF at INFO; the service logs what it did, not that.
logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)


class PdfUnavailable(RuntimeError):
    """WeasyPrint's system libraries (Pango) are not installed on this host."""


def pdf(page: str, images: Mapping[str, bytes]) -> bytes:
    """The page as PDF bytes; `images` are its charts by their source in the page."""
    try:
        # Imported here: it loads Pango when imported, and a host without it still serves
        # every other report (deploy/local/debian-packages.sh installs it).
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher, URLFetcherResponse
    except OSError as exc:
        raise PdfUnavailable(str(exc)) from None

    class Charts(URLFetcher):  # type: ignore[misc]
        """Serves the charts it was given, and nothing else: the PDF is made inside the
        authority's network and fetches no URL a figure might ever carry."""

        def fetch(self, url: str, headers: Any = None) -> Any:
            if url not in images:
                raise ValueError("the pack fetches nothing")
            return URLFetcherResponse(url, images[url], {"Content-Type": "image/svg+xml"})

    document: bytes = HTML(string=page, url_fetcher=Charts()).write_pdf()
    return document
