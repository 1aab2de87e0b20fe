"""Refuse query parameters a route does not read, as JSON bodies refuse unknown keys.

A misspelt or misplaced parameter was ignored without a word (``?mdl=x`` answered 200 with the default model):
:func:`refuse_unknown_query` answers 422 naming the parameter and listing the route's own.
"""

from __future__ import annotations

from fastapi import HTTPException, Request, status

__all__ = ["refuse_unknown_query", "query_names"]


def query_names(dependant) -> set[str]:
    """The query parameter names (aliases) a route's dependant reads, its sub-dependencies included."""
    names: set[str] = set()
    stack, seen = [dependant], set()
    while stack:
        current = stack.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        names.update(field.alias for field in current.query_params)
        stack.extend(current.dependencies)
    return names


async def refuse_unknown_query(request: Request) -> None:
    """Router dependency: 422 when the URL holds a query parameter the matched route does not declare."""
    if not request.query_params:
        return
    dependant = getattr(request.scope.get("route"), "dependant", None)
    if dependant is None:
        return
    known = query_names(dependant)
    unknown = [name for name in request.query_params if name not in known]
    if unknown:
        listed = ", ".join(sorted(known)) if known else "none"
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT,
                            f"query.{unknown[0]}: is not a parameter of this request; its query parameters: {listed}")
