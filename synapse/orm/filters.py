"""``Filters``: what one list route accepts, checked before any request.

Each resource declares the filters and orderings of its list route (the names API.md lists) in
its options::

    options = ResourceOptions(
        path="tasks/",
        filters=Filters("project", "status_label", id=IDS, created=RANGE, ordering=("id", "created")),
    )

A bare name takes exact values (``status_label="rejected"``, or a list sent comma-joined). A
keyword names a field and the lookups the backend supports on it: ``"exact"`` (the bare name),
``"in"``, ``"gt"``, ``"gte"``, ``"lt"``, ``"lte"``, ``"icontains"``... (``id=IDS`` accepts ``id``,
``id__in``, ``id__gt``...). ``ordering`` lists the fields ``order_by()`` accepts (``-`` for
descending is always allowed).

An unknown name raises ``ValidationError`` naming it and the closest valid names; a filter the
server knows but the SDK does not declare yet goes through ``qs.with_params(name=value)``,
sent unchecked. A typo never widens a bulk write.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

from synapse.errors import ValidationError

__all__ = ["IDS", "RANGE", "Filters"]

RANGE = ("gt", "gte", "lt", "lte")
IDS = ("exact", "in", *RANGE)


class Filters:
    """The filters and orderings one list route takes.

    Args:
        *names: filters taking exact values.
        ordering: the field names ``order_by()`` accepts.
        **lookups: a field and the lookups it takes (``"exact"`` allows the bare name).
    """

    def __init__(self, *names: str, ordering: Iterable[str] = (), **lookups: str | tuple[str, ...]) -> None:
        allowed = dict.fromkeys(names)
        for name, kinds in lookups.items():
            for kind in (kinds,) if isinstance(kinds, str) else kinds:
                allowed[name if kind == "exact" else f"{name}__{kind}"] = None
        self.names: frozenset[str] = frozenset(allowed)
        self.ordering: frozenset[str] = frozenset(name.lstrip("-") for name in ordering)

    def __repr__(self) -> str:
        return f"Filters({', '.join(sorted(self.names))}; ordering={', '.join(sorted(self.ordering))})"

    def check(self, names: Iterable[str], model: str) -> None:
        """Raise for the first name that is not a declared filter.

        Raises:
            ValidationError: an unknown filter, naming the closest valid ones.
        """
        for name in names:
            if name not in self.names:
                raise _unknown(name, "filter", model, self.names, "qs.with_params(...) sends it unchecked")

    def check_ordering(self, fields: Iterable[str], model: str) -> None:
        """Raise for the first ordering field that is not declared (``-field`` is allowed).

        Raises:
            ValidationError: an unknown ordering, naming the closest valid ones.
        """
        for field in fields:
            if field.lstrip("-") not in self.ordering:
                raise _unknown(field.lstrip("-"), "ordering", model, self.ordering,
                               "qs.with_params(ordering=...) sends it unchecked")


def _unknown(name: str, kind: str, model: str, valid: Iterable[str], door: str) -> ValidationError:
    choices = sorted(valid)
    close = difflib.get_close_matches(name, choices, n=3, cutoff=0.6)
    if close:
        hint = f"did you mean {' or '.join(close)}?"
    elif choices:
        hint = f"{kind}s: {', '.join(choices)}"
    else:
        hint = f"{model} lists take no {kind}"
    message = f"{name}: no such {kind} on {model}; {hint} ({door}; no request was sent)"
    return ValidationError(400, message, errors={name: [f"no such {kind} on {model}"]})
