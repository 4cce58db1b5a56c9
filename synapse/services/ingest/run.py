"""The engine of ``upload_many``: hash, skip what the server has, upload, create units and tasks.

Items are processed in windows of 1,000 (or ``batch_size`` when larger), so memory and the
futures in flight stay bounded however many items there are. Within a window: distinct files are
hashed in the executor, the server is asked which checksums it has, the others are uploaded in
the executor, units are created in batches, then tasks. Every failure is attached to the items
it concerns; nothing raised for one item stops the others.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import attrs

from synapse.errors import ClientError, ServerError, TransportError, UploadError, ValidationError
from synapse.services.ingest.work import create_data_file_task, hash_file_task
from synapse.services.progress import ProgressReporter
from synapse.services.uploads.files import check_checksum
from synapse.transport import SupportsTransport, Transport, transport_of

__all__ = ["IngestRun", "ItemResult", "check_unit_files"]

_WINDOW = 1000
_VERIFY_BATCH = 500  # files per verify_checksums request (each sends its MD5 and SHA-1)

@attrs.define
class ItemResult:
    """What became of one item of ``upload_many``.

    Attributes:
        index: the item's position in the input.
        data_unit: the unit's id, when it was created or found.
        error: why the item failed (an exception), else None.
        existed: the unit was already on the server (a re-run), nothing new was created.
        task: the id of the task created for it in this run, if any.
    """

    index: int
    data_unit: int | None = None
    error: BaseException | None = None
    existed: bool = False
    task: int | None = None

    @property
    def ok(self) -> bool:
        """True when the item has its unit (and its task, if one was asked for)."""
        return self.error is None and self.data_unit is not None



def check_unit_files(
    files: Mapping[str, Any], specs: Mapping[str, Mapping[str, Any]]
) -> ValidationError | None:
    """Check an item's spec names against the collection's specifications, as the server would.

    Returns:
        A ``ValidationError`` naming unknown and missing required specs, or None when fine.
    """
    messages: list[str] = []
    if not isinstance(files, Mapping) or not files:
        messages.append("an item needs at least one file: {spec name: path}")
    else:
        known = ", ".join(sorted(specs)) or "none"
        messages += [f"{name!r} is not a file specification of the collection (it has: {known})"
                     for name in files if name not in specs]
        messages += [f"the required file specification {name!r} is missing"
                     for name, spec in specs.items() if spec.get("is_required") and name not in files]
    if not messages:
        return None
    return ValidationError(400, "; ".join(messages), errors={"files": messages})



@attrs.define
class _Entry:
    """A valid item on its way: its files, then their checksums."""

    result: ItemResult
    files: dict[str, str]
    meta: dict[str, Any]
    groups: list[str] | None
    checksums: dict[str, str] = attrs.field(factory=dict)

    def key(self) -> tuple[tuple[str, str], ...]:
        return tuple(sorted(self.checksums.items()))

    def fail(self, error: BaseException) -> None:
        if self.result.error is None:
            self.result.error = error


def _chunks(seq: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(seq), size):
        yield seq[start : start + size]


class IngestRun:
    """One ``upload_many`` call (see ``synapse.services.ingest`` for what it guarantees)."""

    def __init__(
        self,
        client: Transport | SupportsTransport,
        collection_id: int,
        specs: Mapping[str, Mapping[str, Any]],
        *,
        project: int | None,
        batch_size: int,
        executor: cf.Executor,
        reporter: ProgressReporter,
        path_spec: str | None = None,
    ) -> None:
        self.transport = transport_of(client)
        self.collection_id = collection_id
        self.specs = specs
        self.path_spec = path_spec  # the spec a plain path item fills
        self.project = project
        self.batch_size = batch_size
        self.executor = executor
        self.reporter = reporter
        self.parent_pid = os.getpid()
        self.hashes: dict[str, tuple[dict[str, str], int] | BaseException] = {}
        self.digests: dict[str, dict[str, str]] = {}  # a file's MD5 -> its digests (MD5, SHA-1)
        # A file's MD5 -> the checksum the server knows it by (its MD5, or its SHA-1 on a
        # deployment that answers in SHA-1): what units name the file with.
        self.on_server: dict[str, str] = {}
        self.preexisting: set[str] = set()  # checksums (the server's form) it had before this run
        self.upload_errors: dict[str, BaseException] = {}
        self.units_by_key: dict[tuple[tuple[str, str], ...], int] = {}
        self._units_with_tasks: set[int] | None = None
        self._settled: set[str] = set()
        self._total_files = 0
        self.files_uploaded = self.files_skipped = self.tasks_created = 0

    # -------------------------------------------------------------- driving

    def count_files(self, items: Sequence[Mapping[str, Any] | str]) -> int:
        """The number of distinct file paths among the items (the progress total)."""
        paths: set[str] = set()
        for item in items:
            if isinstance(item, str):
                paths.add(item)
                continue
            files = item.get("files") if isinstance(item, Mapping) else None
            if isinstance(files, Mapping):
                paths.update(_fspath(p) for p in files.values())
        self._total_files = len(paths)
        return self._total_files

    def run(self, items: Sequence[Mapping[str, Any] | str]) -> list[ItemResult]:
        """Process all items, window by window, and return one result per item."""
        results = [ItemResult(i) for i in range(len(items))]
        window = max(_WINDOW, self.batch_size)
        for start in range(0, len(items), window):
            self._window(items[start : start + window], results[start : start + window])
        return results

    def _window(self, items: Sequence[Mapping[str, Any] | str], results: Sequence[ItemResult]) -> None:
        entries = [e for item, r in zip(items, results, strict=True) if (e := self._entry(item, r))]
        entries = self._hash(entries)
        entries = self._upload(entries)
        self._create_units(entries)
        if self.project is not None:
            self._create_tasks(entries)

    def _entry(self, item: Mapping[str, Any] | str, result: ItemResult) -> _Entry | None:
        if isinstance(item, str):  # a plain path: it fills the one spec upload_many settled on
            if self.path_spec is None:
                result.error = ValidationError(400, "a plain path needs spec=", errors={"spec": ["missing"]})
                return None
            return _Entry(result, {self.path_spec: item}, {}, None)
        try:
            files = item["files"]
            error = check_unit_files(files, self.specs)
            if error is not None:
                result.error = error
                return None
            groups = item.get("groups")
            return _Entry(
                result, {str(n): _fspath(p) for n, p in files.items()}, dict(item.get("meta") or {}),
                None if groups is None else list(groups),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            result.error = ValidationError(
                400, f"an item must be a mapping with 'files': {{spec: path}} ({exc!r})",
                errors={"files": ["missing or not a mapping"]},
            )
            return None

    def _map(
        self, fn: Callable[..., Any], calls: list[tuple[Any, ...]],
        done: Callable[[int, Any], None] | None = None,
    ) -> list[Any]:
        """Run ``fn(*args)`` for each call in the executor; results or exceptions, in order."""
        futures = [self.executor.submit(fn, *args) for args in calls]
        where = {f: i for i, f in enumerate(futures)}
        out: list[Any] = [None] * len(futures)
        for future in cf.as_completed(futures):
            i = where[future]
            try:
                out[i] = future.result()
            except Exception as exc:
                out[i] = exc
            if done is not None:
                done(i, out[i])
        return out

    def _settle(self, paths: Iterable[str]) -> None:
        before = len(self._settled)
        self._settled.update(paths)
        if len(self._settled) != before:
            self.reporter.update(len(self._settled), self._total_files)

    # -------------------------------------------------------------- files

    def _hash(self, entries: list[_Entry]) -> list[_Entry]:
        todo = sorted({p for e in entries for p in e.files.values() if p not in self.hashes})
        for path, result in zip(todo, self._map(hash_file_task, [(p,) for p in todo]), strict=True):
            self.hashes[path] = result
        failed = [p for p in todo if isinstance(self.hashes[p], BaseException)]
        self._settle(failed)
        kept = []
        for e in entries:
            for name, path in e.files.items():
                h = self.hashes[path]
                if isinstance(h, BaseException):
                    e.fail(h)
                else:
                    e.checksums[name] = h[0]["md5"]
                    self.digests.setdefault(h[0]["md5"], h[0])
            if e.result.error is None:
                kept.append(e)
        return kept

    def _upload(self, entries: list[_Entry]) -> list[_Entry]:
        paths_by_md5: dict[str, list[str]] = {}
        for e in entries:
            for name, path in e.files.items():
                paths_by_md5.setdefault(e.checksums[name], []).append(path)
        unknown = [m for m in paths_by_md5 if m not in self.on_server and m not in self.upload_errors]
        for batch in _chunks(unknown, _VERIFY_BATCH):
            self._verify(batch)
        self._settle(p for m, ps in paths_by_md5.items() if m in self.on_server for p in ps)
        to_send = [m for m in paths_by_md5 if m not in self.on_server and m not in self.upload_errors]

        def done(i: int, result: Any) -> None:
            md5 = to_send[i]
            checksum = result.get("checksum") if isinstance(result, Mapping) else None
            if isinstance(result, BaseException):
                self.upload_errors[md5] = result
            elif not isinstance(checksum, str) or not checksum:
                self.upload_errors[md5] = UploadError(
                    f"{paths_by_md5[md5][0]}: the server's answer names no checksum ({result!r:.80})"
                )
            else:
                try:  # against the digests of the hashing pass: the file did not change since
                    check_checksum(checksum, self.digests[md5], what=paths_by_md5[md5][0])
                except UploadError as exc:
                    self.upload_errors[md5] = UploadError(
                        f"{paths_by_md5[md5][0]} changed between hashing and sending: {exc}",
                        expected=exc.expected, actual=exc.actual,
                    )
                else:
                    self.on_server[md5] = checksum
                    self.files_uploaded += 1
            self._settle(paths_by_md5[md5])

        calls = [(self.transport, paths_by_md5[m][0], self.parent_pid) for m in to_send]
        self._map(create_data_file_task, calls, done)
        kept = []
        for e in entries:
            for md5 in e.checksums.values():
                if md5 in self.upload_errors:
                    e.fail(self.upload_errors[md5])
            if e.result.error is None:
                # From here on a unit names its files by the server's checksums.
                e.checksums = {n: self.on_server[m] for n, m in e.checksums.items()}
                kept.append(e)
        return kept

    def _verify(self, md5s: Sequence[str]) -> None:
        """Ask which of these files the server has, by each one's MD5 and SHA-1 (either may be its form)."""
        forms = {d: m for m in md5s for d in self.digests.get(m, {m: m}).values()}
        answer = self.transport.request(
            "POST", "data_files/verify_checksums/", json={"checksums": list(forms)}
        )
        found = answer.get("existing_checksums") if isinstance(answer, Mapping) else None
        for checksum in found or []:
            md5 = forms.get(checksum) if isinstance(checksum, str) else None
            if md5 is not None and md5 not in self.on_server:
                self.on_server[md5] = checksum
                self.preexisting.add(checksum)
                self.files_skipped += 1

    # -------------------------------------------------------------- units

    def _payload(self, e: _Entry) -> dict[str, Any]:
        files = {n: {"checksum": e.checksums[n], "path": e.files[n]} for n in e.files}
        payload: dict[str, Any] = {"data_collection": self.collection_id, "files": files, "meta": e.meta}
        if e.groups is not None:
            payload["groups"] = e.groups
        return payload

    def _primary(self, e: _Entry) -> str:
        """The checksum a unit is known by: its primary file's, else its first file's (item order)."""
        for name in e.files:
            if self.specs[name].get("is_primary"):
                return e.checksums[name]
        return e.checksums[next(iter(e.files))]

    def _find_unit(self, e: _Entry) -> int | None:
        """The id of a unit of this collection with exactly these files, if the server has one."""
        answer = self.transport.request("GET", "data_units/", params={
            "data_collection": self.collection_id, "checksum": self._primary(e), "page_size": 100,
        })
        units = answer.get("results", []) if isinstance(answer, dict) else answer or []
        for unit in units:
            files = unit.get("files") or {}
            same = set(files) == set(e.checksums) and all(
                isinstance(files[n], Mapping) and files[n].get("checksum") == m
                for n, m in e.checksums.items()
            )
            if same:
                return int(unit["id"])
        return None

    def _create_units(self, entries: list[_Entry]) -> None:
        by_key: dict[tuple[tuple[str, str], ...], list[_Entry]] = {}
        for e in entries:
            by_key.setdefault(e.key(), []).append(e)
        todo: list[list[_Entry]] = []
        for key, group in by_key.items():
            unit = self.units_by_key.get(key)
            if unit is None and all(m in self.preexisting for m in key_checksums(key)):
                unit = self._find_unit(group[0])
            if unit is not None:
                self.units_by_key[key] = unit
                for e in group:
                    e.result.data_unit, e.result.existed = unit, True
            else:
                todo.append(group)
        for batch in _chunks(todo, self.batch_size):
            self._create_batch(batch)

    def _create_batch(self, groups: Sequence[list[_Entry]]) -> None:
        try:
            created = self.transport.request(
                "POST", "data_units/", json=[self._payload(g[0]) for g in groups]
            )
        except ValidationError:
            for g in groups:  # find which item the server refused: send them one by one
                self._create_one(g, lookup=False)
            return
        except (TransportError, ServerError):
            for g in groups:  # the answer is lost, the batch may or may not exist: look before sending
                self._create_one(g, lookup=True)
            return
        except ClientError as exc:
            for g in groups:
                for e in g:
                    e.fail(exc)
            return
        if not isinstance(created, list) or len(created) != len(groups):
            for g in groups:  # an answer we cannot map back: look each one up
                self._create_one(g, lookup=True)
            return
        for g, unit in zip(groups, created, strict=True):
            self._assign(g, int(unit["id"]))

    def _create_one(self, group: list[_Entry], *, lookup: bool) -> None:
        try:
            unit = self._find_unit(group[0]) if lookup else None
            if unit is None:
                unit = int(self.transport.request("POST", "data_units/", json=self._payload(group[0]))["id"])
        except (ClientError, TransportError) as exc:
            for e in group:
                e.fail(exc)
            return
        self._assign(group, unit)

    def _assign(self, group: list[_Entry], unit: int) -> None:
        self.units_by_key[group[0].key()] = unit
        for i, e in enumerate(group):
            e.result.data_unit, e.result.existed = unit, i > 0  # duplicates share the one new unit

    # -------------------------------------------------------------- tasks

    def _units_having_tasks(self) -> set[int]:
        if self._units_with_tasks is None:
            rows = self.transport.iter_items(
                "sdk/tasks/", {"project": self.project, "fields": "id,data_unit"}, page_size=1000
            )
            units = set()
            for row in rows:
                unit = row.get("data_unit")
                units.add(int(unit["id"] if isinstance(unit, Mapping) else unit))
            self._units_with_tasks = units
        return self._units_with_tasks

    def _create_tasks(self, entries: list[_Entry]) -> None:
        by_unit: dict[int, list[ItemResult]] = {}
        for e in entries:
            r = e.result
            if r.error is None and r.data_unit is not None:
                by_unit.setdefault(r.data_unit, []).append(r)
        if any(r.existed for rs in by_unit.values() for r in rs):
            having = self._units_having_tasks()
            by_unit = {u: rs for u, rs in by_unit.items() if u not in having}
        for batch in _chunks(list(by_unit), self.batch_size):
            try:
                created = self.transport.request(
                    "POST", "tasks/", json=[{"project": self.project, "data_unit": u} for u in batch]
                )
            except (ClientError, TransportError) as exc:
                for u in batch:
                    for r in by_unit[u]:
                        r.error = exc
                continue
            for task in created:
                unit = task.get("data_unit")
                unit = int(unit["id"] if isinstance(unit, Mapping) else unit)
                for r in by_unit.get(unit, []):
                    r.task = int(task["id"])
                if self._units_with_tasks is not None:
                    self._units_with_tasks.add(unit)
            self.tasks_created += len(created)


def key_checksums(key: tuple[tuple[str, str], ...]) -> list[str]:
    """The checksums of a unit key."""
    return [m for _, m in key]


def _fspath(path: Any) -> str:
    return str(os.fspath(path))
