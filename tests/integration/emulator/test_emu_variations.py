"""The real backend's variations, switched on (issue 13, item 9): SHA-1 checksums, a pre-signed
storage origin that refuses credentials, relations as ids or expanded on list routes."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest
import requests
from emu_http import Api

from synapse.emulator import Emulator

TTL = 120.0


def _plain_get(url: str, **kw: object) -> requests.Response:
    """A GET with nothing but what requests adds itself (no session, no proxies from the environment)."""
    with requests.Session() as session:
        session.trust_env = False
        return session.get(url, timeout=10, **kw)  # type: ignore[arg-type]


# -- checksums -------------------------------------------------------------------------------
def test_checksums_are_md5_by_default(mapi: Api) -> None:
    body = mapi.post("data_files/", files={"file": ("a.txt", b"hello")}).json()
    assert body["checksum"] == hashlib.md5(b"hello").hexdigest()


def test_sha1_checksums_for_direct_and_chunked_data_files() -> None:
    with Emulator(checksum="sha1") as emu:
        api = Api(emu)
        direct = api.post("data_files/", files={"file": ("a.txt", b"hello")})
        assert direct.status_code == 201
        assert direct.json()["checksum"] == hashlib.sha1(b"hello").hexdigest()
        assert len(direct.json()["checksum"]) == 40
        data = b"0123456789" * 300
        upload = api.upload(data, chunk=1000)
        assert upload["checksum"] == hashlib.md5(data).hexdigest()  # the upload protocol stays MD5
        chunked = api.post("data_files/", json={"chunked_upload": upload["id"]}).json()
        assert chunked["checksum"] == hashlib.sha1(data).hexdigest()
        found = api.post("data_files/verify_checksums/", json={"checksums": [chunked["checksum"]]}).json()
        assert found == {"existing_checksums": [chunked["checksum"]]}
        specs = [{"name": "blob", "is_required": True}]
        collection = api.post("data_collections/", json={"name": "c", "file_specifications": specs}).json()
        files = {"blob": {"checksum": chunked["checksum"]}}
        unit = api.post("data_units/", json={"data_collection": collection["id"], "files": files})
        assert unit.status_code == 201 and unit.json()["checksum"] == chunked["checksum"]


def test_sha1_rehashes_the_seeded_workspace() -> None:
    with Emulator(seed="demo", checksum="sha1") as emu:
        api = Api(emu)
        unit = api.get("data_units/1/").json()
        image = unit["files"]["image"]
        content = _plain_get(image["url"]).content
        assert image["checksum"] == hashlib.sha1(content).hexdigest() == unit["checksum"]
        event = api.get("sdk/ground_truth_events/?ground_truth=1&page_size=1").json()["results"][0]
        assert event["files"]["image"]["checksum"] == image["checksum"]


@pytest.mark.parametrize(
    "kwargs", [{"checksum": "crc32"}, {"list_relations": "objects"}], ids=["checksum", "list_relations"]
)
def test_unknown_switch_values_are_refused(kwargs: dict[str, str]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        Emulator(**kwargs)  # type: ignore[arg-type]


# -- the storage origin ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def storage_emu() -> Iterator[Emulator]:
    with Emulator(seed="demo", storage_origin=True, storage_url_ttl=TTL) as emu:
        yield emu


@pytest.fixture
def sapi(storage_emu: Emulator) -> Api:
    storage_emu.storage_requests.clear()
    return Api(storage_emu)


def _origin(url: str) -> tuple[str, int | None]:
    parts = urlsplit(url)
    return parts.hostname or "", parts.port


def test_file_urls_point_at_the_storage_origin(sapi: Api, storage_emu: Emulator) -> None:
    assert storage_emu.storage_url is not None and storage_emu.storage_url != storage_emu.url
    api_origin = _origin(storage_emu.url)
    storage_origin = _origin(storage_emu.storage_url)
    assert storage_origin[0] == "127.0.0.1" and storage_origin != api_origin
    release = sapi.post(
        "plugin_releases/",
        files={"file": ("p.zip", b"PK-archive")},
        data={"plugin": "coco-export", "version": f"9.{len(storage_emu.requests)}.0"},
    ).json()
    urls = {
        "data file": sapi.post("data_files/", files={"file": ("s.txt", b"stored")}).json()["file"],
        "unit file": sapi.get("data_units/3/").json()["files"]["image"]["url"],
        "task file": sapi.get("sdk/tasks/files/?id=3").json()["results"][0]["files"][0]["url"],
        "expanded unit": sapi.get("tasks/3/?expand=data_unit").json()["data_unit"]["files"]["image"]["url"],
        "model": sapi.get("models/1/").json()["file"],
        "release archive": release["file"],
        "event file": sapi.get("sdk/ground_truth_events/?page_size=1").json()["results"][0]["files"],
        "ground truth file": sapi.get("ground_truths/?page_size=1").json()["results"][0]["files"],
    }
    urls["event file"] = urls["event file"]["image"]["url"]
    urls["ground truth file"] = urls["ground truth file"]["image"]["url"]
    for what, url in urls.items():
        assert _origin(url) == storage_origin, what
        query = parse_qs(urlsplit(url).query)
        assert set(query) == {"expires", "signature"}, what
        assert _plain_get(url).status_code == 200, what
    assert _plain_get(urls["data file"]).content == b"stored"
    assert _plain_get(urls["release archive"]).content == b"PK-archive"
    assert _plain_get(urls["model"]).content.startswith(b"EMULATED-WEIGHTS")


def test_a_signed_url_works_without_headers_and_is_recorded(sapi: Api, storage_emu: Emulator) -> None:
    url = sapi.get("data_units/1/").json()["files"]["image"]["url"]
    r = _plain_get(url)
    assert r.status_code == 200 and r.content.startswith(b"\x89PNG")
    assert len(storage_emu.storage_requests) == 1
    method, path, headers = storage_emu.storage_requests[0]
    assert (method, path) == ("GET", urlsplit(url).path)
    assert headers["Host"] == urlsplit(url).netloc and "User-Agent" in headers
    credentials = {"Synapse-Access-Token", "Synapse-Agent", "Synapse-Tenant", "Authorization", "Cookie"}
    assert not credentials & set(headers)
    assert _plain_get(url, headers={"Range": "bytes=0-3"}).status_code == 200
    assert storage_emu.storage_requests[-1].headers["Range"] == "bytes=0-3"


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Synapse-Access-Token", "Token dev-token"),
        ("SYNAPSE-Agent", "Token demo-agent-token"),
        ("Synapse-Tenant", "Token acme"),
        ("Authorization", "Token user-token"),
        ("Cookie", "sessionid=abc"),
    ],
)
def test_the_storage_origin_refuses_credentials(
    sapi: Api, storage_emu: Emulator, header: str, value: str
) -> None:
    url = sapi.get("data_units/1/").json()["files"]["image"]["url"]
    r = _plain_get(url, headers={header: value})
    assert r.status_code == 403 and "detail" in r.json()
    recorded = storage_emu.storage_requests[-1].headers
    assert {k.lower(): v for k, v in recorded.items()}[header.lower()] == "<redacted>"  # seen, never kept
    assert value not in r.text


def test_the_storage_origin_refuses_bad_urls(sapi: Api, storage_emu: Emulator) -> None:
    """Unsigned, altered (signature, expiry or path) and expired URLs answer 403."""
    url = sapi.get("models/1/").json()["file"]
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}

    def variant(**changes: str | None) -> str:
        q = {k: v for k, v in {**query, **changes}.items() if v is not None}
        return urlunsplit(parts._replace(query=urlencode(q)))

    assert _plain_get(variant(signature=None)).status_code == 403
    assert _plain_get(variant(expires=None)).status_code == 403
    assert _plain_get(variant(signature="0" * 64)).status_code == 403
    assert _plain_get(variant(expires=str(int(query["expires"]) + 3600))).status_code == 403
    other = urlunsplit(parts._replace(path=parts.path.replace("/models/1/", "/models/2/")))
    assert _plain_get(other).status_code == 403  # the signature covers the path
    assert requests.post(url, timeout=10).status_code == 405
    assert _plain_get(url).status_code == 200
    storage_emu.clock.advance(TTL + 1)
    expired = _plain_get(url)
    assert expired.status_code == 403 and "expired" in expired.json()["detail"]
    fresh = sapi.get("models/1/").json()["file"]
    assert _plain_get(fresh).status_code == 200


def test_the_storage_origin_survives_a_restart_on_its_port() -> None:
    with Emulator(seed="demo", storage_origin=True) as emu:
        url = Api(emu).get("models/1/").json()["file"]
        storage_url = emu.storage_url
        emu.stop()
        with pytest.raises(requests.ConnectionError):
            _plain_get(url)
        emu.start()
        assert emu.storage_url == storage_url
        assert _plain_get(url).status_code == 200


def test_without_a_storage_origin_files_stay_on_the_api_origin(mapi: Api, module_emu: Emulator) -> None:
    assert module_emu.storage_url is None and module_emu.storage_requests == []
    url = mapi.get("models/1/").json()["file"]
    assert url.startswith(module_emu.url) and "signature" not in url


# -- relations on list routes ----------------------------------------------------------------
def test_list_relations_are_ids_unless_expanded_by_default(mapi: Api) -> None:
    collection = mapi.get("data_collections/").json()["results"][0]
    assert collection["file_specifications"] == [1, 2]
    task = mapi.get("sdk/tasks/?id=1").json()["results"][0]
    assert task["data_unit"] == 1
    release = mapi.get("plugin_releases/").json()["results"][0]
    assert release["plugin"] == "yolo-detector"
    asked = mapi.get("data_collections/?expand=file_specifications").json()["results"][0]
    assert [s["name"] for s in asked["file_specifications"]] == ["image", "metadata"]


def test_list_relations_expanded() -> None:
    with Emulator(seed="demo", list_relations="expanded") as emu:
        api = Api(emu)
        collection = api.get("data_collections/").json()["results"][0]
        assert [s["name"] for s in collection["file_specifications"]] == ["image", "metadata"]
        task = api.get("sdk/tasks/?id=1").json()["results"][0]
        assert task["data_unit"]["id"] == 1 and "image" in task["data_unit"]["files"]
        release = api.get("plugin_releases/").json()["results"][0]
        assert release["plugin"]["code"] == "yolo-detector"
        # Detail routes expand only what ``expand`` names, in either mode.
        assert api.get("data_collections/1/").json()["file_specifications"] == [1, 2]
        assert api.get("tasks/1/").json()["data_unit"] == 1
        assert api.get("plugin_releases/1/").json()["plugin"] == "yolo-detector"
