"""Data collections, data files (direct and from a chunked upload), checksums and data units."""

from __future__ import annotations

import hashlib

import pytest
from emu_http import Api

from synapse.emulator import Emulator


def test_collection_detail_with_and_without_expand(mapi: Api) -> None:
    plain = mapi.get("data_collections/1/").json()
    assert plain["file_specifications"] == [1, 2]
    expanded = mapi.get("data_collections/1/?expand=file_specifications").json()
    assert set(expanded) == {
        "id",
        "name",
        "description",
        "category",
        "meta",
        "is_archived",
        "created",
        "file_specifications",
    }
    image, meta = expanded["file_specifications"]
    assert image == {
        "id": 1,
        "name": "image",
        "file_type": "image",
        "is_required": True,
        "is_primary": True,
        "index": 0,
    }
    assert meta["name"] == "metadata" and meta["is_required"] is False
    assert mapi.get("data_collections/9/").status_code == 404
    assert mapi.get("data_collections/").json()["count"] == 1


def test_create_update_delete_collection(api: Api, emu: Emulator) -> None:
    r = api.post(
        "data_collections/",
        json={
            "name": "Audio",
            "category": "audio",
            "file_specifications": [
                {"name": "clip", "file_type": "audio", "is_required": True, "is_primary": True}
            ],
        },
    )
    assert r.status_code == 201, r.text
    pk = r.json()["id"]
    specs = api.get(f"data_collections/{pk}/?expand=file_specifications").json()["file_specifications"]
    assert [s["name"] for s in specs] == ["clip"]
    assert api.patch(f"data_collections/{pk}/", json={"name": "Audio 2"}).json()["name"] == "Audio 2"
    assert api.delete(f"data_collections/{pk}/").status_code == 204
    assert api.get(f"data_collections/{pk}/").status_code == 404
    assert emu.db.scalar("SELECT COUNT(*) FROM file_specifications WHERE data_collection = ?", [pk]) == 0


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({}, "name"),
        ({"name": "x", "category": "smell"}, "category"),
        ({"name": "x", "file_specifications": [{"file_type": "image"}]}, "file_specifications.0.name"),
        ({"name": "x", "file_specifications": "nope"}, "file_specifications"),
        ({"name": "x", "file_specifications": [{"name": "a"}, {"name": "a"}]}, "file_specifications"),
        ({"name": "x", "meta": []}, "meta"),
    ],
)
def test_create_collection_errors(api: Api, emu: Emulator, body: dict[str, object], key: str) -> None:
    before = emu.db.fingerprint()
    r = api.post("data_collections/", json=body)
    assert r.status_code == 400 and key in r.json()
    assert emu.db.fingerprint() == before


def test_direct_data_file_gets_a_server_side_md5(api: Api, emu: Emulator) -> None:
    content = b"hello synapse" * 1000
    r = api.post("data_files/", files={"file": ("notes.txt", content)})
    assert r.status_code == 201, r.text
    body = r.json()
    assert set(body) == {"id", "checksum", "size", "file", "created_at"}
    assert body["checksum"] == hashlib.md5(content).hexdigest() and body["size"] == len(content)
    assert body["file"].startswith(emu.url) and body["file"].endswith("/notes.txt")
    assert api.session.get(body["file"]).content == content
    assert emu.requests[-2].files == {"file": len(content)}


def test_data_file_without_a_file_part_is_400(api: Api) -> None:
    r = api.post("data_files/", files={"other": ("x", b"1")}, data={"a": "b"})
    assert r.status_code == 400 and r.json() == {"file": ["No file was submitted."]}
    r = api.post("data_files/", data=b"--x\r\nbroken", headers={"Content-Type": "multipart/form-data"})
    assert r.status_code == 400


def test_data_file_from_a_chunked_upload(api: Api) -> None:
    content = bytes(range(256)) * 40
    done = api.upload(content, chunk=3000, filename="weights.bin")
    r = api.post("data_files/", json={"chunked_upload": done["id"]})
    assert r.status_code == 201
    assert r.json()["checksum"] == hashlib.md5(content).hexdigest() and r.json()["size"] == len(content)
    assert api.session.get(r.json()["file"]).content == content


def test_data_file_from_an_unknown_or_unfinished_upload_is_400(api: Api) -> None:
    r = api.post("data_files/", json={"chunked_upload": "0" * 32})
    assert r.status_code == 400 and "chunked_upload" in r.json()
    started = api.upload_chunk(b"abc", 0, 10).json()
    r = api.post("data_files/", json={"chunked_upload": started["id"]})
    assert r.json() == {"chunked_upload": ["Upload is not complete."]}
    assert api.post("data_files/", json={}).json() == {"chunked_upload": ["This field is required."]}


def test_verify_checksums(mapi: Api) -> None:
    unit = mapi.get("data_units/1/").json()
    known = unit["files"]["image"]["checksum"]
    r = mapi.post("data_files/verify_checksums/", json={"checksums": ["nope", known, known]})
    assert r.status_code == 200 and r.json() == {"existing_checksums": [known]}
    assert mapi.post("data_files/verify_checksums/", json={"checksums": "x"}).status_code == 400
    assert mapi.post("data_files/verify_checksums/", json={}).status_code == 400


def test_unit_list_and_detail(mapi: Api) -> None:
    body = mapi.get("data_units/?data_collection=1&page_size=5").json()
    assert body["count"] == 320 and len(body["results"]) == 5
    unit = mapi.get("data_units/7/").json()
    assert set(unit) == {"id", "data_collection", "checksum", "meta", "files", "created"}
    assert set(unit["files"]["image"]) == {"checksum", "url", "size", "file_type", "is_primary"}
    assert unit["checksum"] == unit["files"]["image"]["checksum"]
    assert mapi.get("data_units/?data_collection=5").json()["count"] == 0
    assert mapi.get("data_units/99999/").status_code == 404


def _new_file(api: Api, content: bytes) -> str:
    return str(api.post("data_files/", files={"file": ("f.png", content)}).json()["checksum"])


def test_create_one_unit_and_a_list(api: Api) -> None:
    image, meta = _new_file(api, b"png-1"), _new_file(api, b"{}")
    one = api.post(
        "data_units/",
        json={
            "data_collection": 1,
            "meta": {"k": "v"},
            "groups": ["a"],
            "files": {
                "image": {"checksum": image, "path": "a/1.png"},
                "metadata": {"checksum": meta, "path": "a/1.json"},
            },
        },
    )
    assert one.status_code == 201, one.text
    assert one.json()["checksum"] == image and one.json()["files"]["metadata"]["checksum"] == meta
    many = api.post("data_units/", json=[{"data_collection": 1, "files": {"image": {"checksum": image}}}] * 3)
    assert many.status_code == 201 and len(many.json()) == 3
    assert many.json()[0]["id"] == one.json()["id"] + 1


@pytest.mark.parametrize(
    ("item", "field"),
    [
        ({"data_collection": 1, "files": {"image": {"checksum": "0" * 32}}}, "files"),
        ({"data_collection": 1, "files": {"thumbnail": {"checksum": "CHK"}}}, "files"),
        ({"data_collection": 1, "files": {"metadata": {"checksum": "CHK"}}}, "files"),
        ({"data_collection": 1, "files": {"image": "CHK"}}, "files"),
        ({"data_collection": 42, "files": {"image": {"checksum": "CHK"}}}, "data_collection"),
        ({"files": {"image": {"checksum": "CHK"}}}, "data_collection"),
        ({"data_collection": 1}, "files"),
        ({"data_collection": 1, "files": {"image": {"checksum": "CHK"}}, "meta": 3}, "meta"),
    ],
)
def test_unit_errors_name_the_item_index_and_field(
    api: Api, emu: Emulator, item: dict[str, object], field: str
) -> None:
    good = _new_file(api, b"good")
    item = {
        k: (
            {s: ({"checksum": good} if v == {"checksum": "CHK"} else v) for s, v in val.items()}
            if k == "files" and isinstance(val, dict)
            else val
        )
        for k, val in item.items()
    }
    before = emu.db.fingerprint()
    ok = {"data_collection": 1, "files": {"image": {"checksum": good}}}
    r = api.post("data_units/", json=[ok, ok, item])
    assert r.status_code == 400
    assert list(r.json()) == [f"2.{field}"]
    single = api.post("data_units/", json=item)
    assert single.status_code == 400 and list(single.json()) == [field]
    assert emu.db.fingerprint() == before


def test_unit_error_messages_say_what_is_wrong(api: Api) -> None:
    r = api.post("data_units/", json=[{"data_collection": 1, "files": {"metadata": {"checksum": "abc"}}}])
    messages = r.json()["0.files"]
    assert any("abc" in m for m in messages) and any('"image"' in m for m in messages)
