"""The typed annotation model: DM v1/v2 documents <-> typed objects, label schemas, validation.

Pure: no I/O and no HTTP. ``ANNOTATIONS.md`` is the contract::

    from synapse import annotations as ann

    doc = ann.Document.from_dm(task.data)          # DM v1 (tasks) or DM v2 (datasets)
    for box in doc.objects("image_1"):
        ...
    doc = doc.add("image_1", ann.BoundingBox(label="car", x=10, y=20, width=30, height=40))
    task_data = doc.to_dm(version=1)

    schema = ann.LabelSchema.from_configuration(project.configuration)
    problems = ann.validate(doc, schema)         # [] when the platform would accept it
    labels = ann.LabelMap.build(schema, doc.classes())
"""

from synapse.annotations.dm_v2 import media_type
from synapse.annotations.document import Document, natural_key, parse
from synapse.annotations.objects import (
    KNOWN_TOOLS,
    TYPED_TOOLS,
    Annotation,
    BoundingBox,
    Bounds,
    Classification,
    Keypoint,
    Mask,
    MaskEncoding,
    Point,
    Polygon,
    Polyline,
    RawAnnotation,
    Relation,
    RowSource,
)
from synapse.annotations.schema import AttributeSpec, ClassSpec, LabelMap, LabelSchema, ToolSchema
from synapse.annotations.validate import Problem, problems_by_path, validate
from synapse.errors import FormatError

__all__ = [
    "KNOWN_TOOLS",
    "TYPED_TOOLS",
    "Annotation",
    "AttributeSpec",
    "BoundingBox",
    "Bounds",
    "ClassSpec",
    "Classification",
    "Document",
    "FormatError",
    "Keypoint",
    "LabelMap",
    "LabelSchema",
    "Mask",
    "MaskEncoding",
    "Point",
    "Polygon",
    "Polyline",
    "Problem",
    "RawAnnotation",
    "Relation",
    "RowSource",
    "ToolSchema",
    "media_type",
    "natural_key",
    "parse",
    "problems_by_path",
    "validate",
]
