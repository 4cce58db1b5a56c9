"""The label schema of a project (its ``configuration``) and the class-id maps exporters use.

ANNOTATIONS.md §2 and §4: tools in the order the project declares them, classes in
``classification_schema`` order; class ids follow that order (first occurrence of a code wins),
then the classes seen in the data but not configured, sorted.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from attrs import field, frozen

from synapse.annotations.document import Document


def _tuple(value: Iterable[Any]) -> tuple[Any, ...]:
    return tuple(value)


def _strings(value: Iterable[Any] | None) -> tuple[str, ...]:
    return tuple(str(v) for v in value or ())


@frozen(kw_only=True)
class AttributeSpec:
    """One attribute a class declares.

    Attributes:
        name: The attribute name (a classification key).
        type: ``select``, ``radio``, ``multi_select`` or ``text`` (as declared).
        options: The allowed values of a choice attribute.
        extra: Other keys of the declaration, kept.
    """

    name: str
    type: str = "text"
    options: tuple[Any, ...] = field(default=(), converter=_tuple)
    extra: dict[str, Any] = field(factory=dict, hash=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> AttributeSpec:
        """Read one attribute declaration."""
        known = ("name", "type", "options")
        options = raw.get("options") or ()
        return cls(
            name=str(raw.get("name", "")),
            type=str(raw.get("type") or "text"),
            options=options if isinstance(options, (list, tuple)) else (),
            extra={k: v for k, v in raw.items() if k not in known},
        )


@frozen(kw_only=True)
class ClassSpec:
    """One class of one tool.

    Attributes:
        code: The class code stored in annotations.
        name: The display name (the code when none is declared).
        color: The display colour (``#rrggbb``) or None.
        attributes: The attributes the class declares.
        extra: Other keys of the declaration, kept.
    """

    code: str
    name: str
    color: str | None = None
    attributes: tuple[AttributeSpec, ...] = field(default=(), converter=_tuple)
    extra: dict[str, Any] = field(factory=dict, hash=False)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> ClassSpec:
        """Read one entry of a ``classification_schema``."""
        code = str(raw.get("code", raw.get("name", "")))
        declared = raw.get("attributes") or ()
        attributes = [AttributeSpec.from_dict(a) for a in declared if isinstance(a, Mapping)]
        return cls(
            code=code,
            name=str(raw.get("name") or code),
            color=None if raw.get("color") is None else str(raw["color"]),
            attributes=attributes,
            extra={k: v for k, v in raw.items() if k not in ("code", "name", "color", "attributes")},
        )

    def attribute(self, name: str) -> AttributeSpec | None:
        """The declared attribute ``name``, or None."""
        return next((a for a in self.attributes if a.name == name), None)


@frozen(kw_only=True)
class ToolSchema:
    """The classes (and keypoint skeleton) one tool allows.

    Attributes:
        tool: The tool name.
        classes: Its classes in declaration order.
        skeleton: Pairs of keypoint class codes joined by an edge (keypoint tools).
    """

    tool: str
    classes: tuple[ClassSpec, ...] = field(default=(), converter=_tuple)
    skeleton: tuple[tuple[str, str], ...] = field(default=(), converter=_tuple)

    @property
    def codes(self) -> tuple[str, ...]:
        """The class codes in declaration order."""
        return tuple(c.code for c in self.classes)

    def get(self, code: str) -> ClassSpec | None:
        """The class ``code`` of this tool, or None."""
        return next((c for c in self.classes if c.code == code), None)


@frozen(kw_only=True)
class LabelSchema:
    """A project's label schema: its tools in order, each with its classes.

    Attributes:
        tools: The tools in the order the project declares them.
        options: The configuration's ``options`` (``allow_empty`` ...).
    """

    tools: tuple[ToolSchema, ...] = field(default=(), converter=_tuple)
    options: dict[str, Any] = field(factory=dict, hash=False)

    @classmethod
    def from_configuration(cls, configuration: Mapping[str, Any] | None) -> LabelSchema:
        """Read a project's ``configuration`` (or just its ``classification`` part).

        Args:
            configuration: ``{"classification": {tool: {"classification_schema": [...], ...}},
                "options": {...}}``; None gives an empty schema.
        """
        configuration = configuration or {}
        tools_raw = configuration.get("classification")
        if not isinstance(tools_raw, Mapping):
            tools_raw = {k: v for k, v in configuration.items() if isinstance(v, Mapping) and k != "options"}
        tools = []
        for tool, spec in tools_raw.items():
            spec = spec if isinstance(spec, Mapping) else {}
            declared = spec.get("classification_schema") or ()
            classes = [ClassSpec.from_dict(c) for c in declared if isinstance(c, Mapping)]
            skeleton = [(str(e[0]), str(e[1])) for e in spec.get("skeleton") or () if len(e) == 2]
            tools.append(ToolSchema(tool=str(tool), classes=classes, skeleton=skeleton))
        options = configuration.get("options")
        return cls(tools=tools, options=dict(options) if isinstance(options, Mapping) else {})

    @property
    def tool_names(self) -> tuple[str, ...]:
        """The tool names in order."""
        return tuple(t.tool for t in self.tools)

    def tool(self, name: str) -> ToolSchema | None:
        """The tool ``name``, or None when the project does not declare it."""
        return next((t for t in self.tools if t.tool == name), None)

    def codes(self, tools: Iterable[str] | None = None) -> tuple[str, ...]:
        """Every class code, tools in order, first occurrence winning (optionally of some tools only)."""
        wanted = None if tools is None else set(tools)
        codes = (c for t in self.tools if wanted is None or t.tool in wanted for c in t.codes)
        return tuple(dict.fromkeys(codes))

    def get(self, code: str, tool: str | None = None) -> ClassSpec | None:
        """The class ``code`` (of ``tool``, or of the first tool declaring it), or None."""
        for spec in self.tools:
            if tool is None or spec.tool == tool:
                found = spec.get(code)
                if found is not None:
                    return found
        return None

    def color(self, code: str) -> str | None:
        """The colour of class ``code`` (first tool declaring it with a colour), or None."""
        return next((c.color for t in self.tools for c in t.classes if c.code == code and c.color), None)

    def skeleton(self, tool: str = "keypoint") -> tuple[tuple[str, str], ...]:
        """The skeleton edges declared for ``tool`` (empty when none)."""
        spec = self.tool(tool)
        return spec.skeleton if spec else ()

    @property
    def allow_empty(self) -> bool:
        """The ``options.allow_empty`` switch (False when absent)."""
        return bool(self.options.get("allow_empty", False))


@frozen
class LabelMap:
    """Class codes in id order: the one map an exporter uses for every file it writes.

    Build one with :meth:`build`; ``LabelMap(["car", "person"])`` states the order directly.

    Attributes:
        names: The class codes, in id order.
    """

    names: tuple[str, ...] = field(converter=_strings)

    def __attrs_post_init__(self) -> None:
        if len(set(self.names)) != len(self.names):
            raise ValueError(f"a label map names each class once: {list(self.names)}")

    @classmethod
    def build(
        cls,
        schema: LabelSchema | None = None,
        seen: Iterable[str] = (),
        *,
        labels: Iterable[str] | None = None,
        tools: Iterable[str] | None = None,
    ) -> LabelMap:
        """The class order of ANNOTATIONS.md §4.

        Args:
            schema: The project's schema: its codes come first, in configuration order.
            seen: Codes found in the data (e.g. ``doc.classes()``); those not configured follow, sorted.
            labels: An explicit order, which replaces both (codes seen but not listed are left out).
            tools: Consider only the schema classes of these tools.
        """
        if labels is not None:
            return cls(list(dict.fromkeys(labels)))
        configured = list(schema.codes(tools)) if schema else []
        known = set(configured)
        return cls(configured + sorted({str(c) for c in seen} - known))

    @classmethod
    def from_documents(
        cls,
        documents: Iterable[Document],
        schema: LabelSchema | None = None,
        *,
        labels: Iterable[str] | None = None,
        tools: Iterable[str] | None = None,
    ) -> LabelMap:
        """:meth:`build` over the classes the documents use (of ``tools`` only, when given)."""
        wanted = None if tools is None else set(tools)
        seen = {
            obj.label
            for doc in documents
            for obj in doc
            if obj.label is not None and (wanted is None or obj.tool in wanted)
        }
        return cls.build(schema, seen, labels=labels, tools=wanted)

    def index(self, code: str, start: int = 0) -> int:
        """The id of class ``code``: its position plus ``start`` (0 for YOLO, 1 for COCO and VOC).

        Raises:
            KeyError: The map does not hold ``code``.
        """
        try:
            return self.names.index(code) + start
        except ValueError:
            raise KeyError(f"{code!r} is not in the label map {list(self.names)}") from None

    def to_dict(self, start: int = 0) -> dict[int, str]:
        """``{id: code}`` with ids counted from ``start``."""
        return {i + start: name for i, name in enumerate(self.names)}

    def __contains__(self, code: object) -> bool:
        return code in self.names

    def __iter__(self) -> Iterator[str]:
        return iter(self.names)

    def __len__(self) -> int:
        return len(self.names)
