"""Page-number pagination as the ZGW list endpoints have it: ``{count, next, previous, results}``."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import Select
from sqlalchemy.orm import Session
from starlette.requests import Request

from tenant_runtime.core.counts import CountCache
from tenant_runtime.core.problems import InvalidParam, Problem, validation_problem

DEFAULT_PAGE_SIZE = 100
UNCACHED = CountCache(0)  # for apps that carry no runtime on their state


def page_number(raw: str | None) -> int:
    if raw is None or raw == "":
        return 1
    try:
        page = int(raw)
    except ValueError:
        page = 0
    if page < 1:
        raise _invalid_page("Geef een positief geheel getal op.")
    return page


def _invalid_page(reason: str) -> Problem:
    # The reference answers 404 here, but no list operation of the official documents has a 404 response;
    # every one documents 400 with invalidParams, so that is what a bad page number gets.
    return validation_problem([InvalidParam("page", "invalid", reason)], detail="Ongeldige pagina.")


def page_url(request: Request, base_url: str, page: int | None) -> str | None:
    if page is None:
        return None
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    query = urlencode(params)
    return f"{base_url}{route_path(request)}" + (f"?{query}" if query else "")


def route_path(request: Request) -> str:
    """The request path below the tenant prefix (``root_path``)."""
    path: str = request.scope["path"]
    root: str = request.scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path


def paginate(
    session: Session,
    query: Select[Any],
    request: Request,
    base_url: str,
    serialize: Callable[[Sequence[Any]], list[Any]],
    page_size: int = DEFAULT_PAGE_SIZE,
) -> dict[str, Any]:
    """Run ``query`` for the requested page; 400 for a page past the end."""
    page = page_number(request.query_params.get("page"))
    counts: CountCache | None = getattr(getattr(request.app.state, "runtime", None), "counts", None)
    count = (counts if counts is not None else UNCACHED).count(session, query)
    last_page = max(1, -(-count // page_size))
    if page > last_page:
        raise _invalid_page(f"De pagina bestaat niet; de laatste pagina is {last_page}.")
    rows = session.scalars(query.limit(page_size).offset((page - 1) * page_size)).all()
    return {
        "count": count,
        "next": page_url(request, base_url, page + 1 if page < last_page else None),
        "previous": page_url(request, base_url, page - 1 if page > 1 else None),
        "results": serialize(rows),
    }
