"""Config.resolve: arguments beat profiles beat environment beat the config file."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from synapse.config import DEFAULT_BASE_URL, Config, RetryPolicy, config_path, is_loopback, normalize_base_url
from synapse.errors import ConfigurationError

FILE_TOKEN = "file-token-abcdef"
ENV_TOKEN = "env-token-abcdef"


def write(tmp_path: Path, data: Any) -> Path:
    path = tmp_path / "config.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def resolve(env: dict[str, str] | None = None, path: Path | str = "/no/such/file.json", **kw: Any) -> Config:
    return Config.resolve(env=env or {}, config_file=path, **kw)


# --- precedence -------------------------------------------------------------------------


def test_arguments_beat_environment_beat_file(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"host": "https://file.example.com", "access_token": FILE_TOKEN, "tenant": "file-t"}
    )
    env = {"SYNAPSE_BASE_URL": "https://env.example.com", "SYNAPSE_API_TOKEN": ENV_TOKEN}
    config = resolve(env, path, api_token="arg-token-abcdef")
    assert config.api_token == "arg-token-abcdef"
    assert config.base_url == "https://env.example.com/"
    assert config.tenant == "file-t"
    assert config.sources["api_token"] == "argument"
    assert config.sources["base_url"] == "env:SYNAPSE_BASE_URL"
    assert config.sources["tenant"] == f"file:{path}"


def test_file_alone_uses_the_original_tooling_keys(tmp_path: Path) -> None:
    path = write(
        tmp_path, {"host": "https://file.example.com/v1", "access_token": FILE_TOKEN, "tenant": "acme"}
    )
    config = resolve({}, path)
    assert (config.base_url, config.api_token, config.tenant) == (
        "https://file.example.com/v1/",
        FILE_TOKEN,
        "acme",
    )


@pytest.mark.parametrize(
    ("variables", "expected_source"),
    [
        ({"SYNAPSE_HOST": "https://h.example.com", "SYNAPSE_ACCESS_TOKEN": "t-abcdef"}, "env:SYNAPSE_HOST"),
        (
            {
                "SYNAPSE_BASE_URL": "https://h.example.com",
                "SYNAPSE_HOST": "https://other.example.com",
                "SYNAPSE_API_TOKEN": "t-abcdef",
                "SYNAPSE_ACCESS_TOKEN": "ignored",
            },
            "env:SYNAPSE_BASE_URL",
        ),
    ],
)
def test_environment_aliases(variables: dict[str, str], expected_source: str) -> None:
    config = resolve(variables)
    assert config.base_url == "https://h.example.com/"
    assert config.api_token == "t-abcdef"
    assert config.sources["base_url"] == expected_source


def test_every_credential_from_the_environment() -> None:
    env = {
        "SYNAPSE_BASE_URL": "https://h.example.com",
        "SYNAPSE_AGENT_TOKEN": "agent-abcdef",
        "SYNAPSE_TENANT": "acme",
        "SYNAPSE_USER_TOKEN": "user-abcdef",
    }
    config = resolve(env)
    assert (config.api_token, config.agent_token, config.tenant, config.user_token) == (
        None,
        "agent-abcdef",
        "acme",
        "user-abcdef",
    )
    assert config.sources["user_token"] == "env:SYNAPSE_USER_TOKEN"


def test_os_environ_and_synapse_config_are_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path, {"host": "https://file.example.com", "access_token": FILE_TOKEN})
    monkeypatch.setenv("SYNAPSE_CONFIG", str(path))
    monkeypatch.setenv("SYNAPSE_TENANT", "from-env")
    config = Config.resolve()
    assert config.api_token == FILE_TOKEN
    assert config.tenant == "from-env"
    assert config_path() == path


def test_default_config_path_is_in_the_home_folder() -> None:
    assert config_path({}) == Path.home() / ".synapse" / "config.json"


def test_empty_environment_values_count_as_unset() -> None:
    env = {"SYNAPSE_BASE_URL": "  ", "SYNAPSE_HOST": "https://h.example.com", "SYNAPSE_API_TOKEN": ""}
    config = resolve(env, api_token="a-abcdef")
    assert config.base_url == "https://h.example.com/"


# --- profiles ---------------------------------------------------------------------------


PROFILES = {
    "host": "https://prod.example.com",
    "access_token": "prod-token-abcdef",
    "profiles": {
        "staging": {"host": "https://staging.example.com", "access_token": "staging-token-abcdef"},
        "local": {"base_url": "http://127.0.0.1:8000", "api_token": "local-token", "timeout": [1, 2]},
        "partial": {"host": "https://partial.example.com"},
    },
}


def test_profile_argument_selects_a_profile(tmp_path: Path) -> None:
    config = resolve({}, write(tmp_path, PROFILES), profile="staging")
    assert config.base_url == "https://staging.example.com/"
    assert config.api_token == "staging-token-abcdef"
    assert config.profile == "staging"
    assert config.sources["api_token"] == "profile:staging"
    assert config.sources["profile"] == "argument"


def test_profile_from_environment_variable(tmp_path: Path) -> None:
    config = resolve({"SYNAPSE_PROFILE": "local"}, write(tmp_path, PROFILES))
    assert config.base_url == "http://127.0.0.1:8000/"
    assert config.timeout == (1.0, 2.0)
    assert config.sources["profile"] == "env:SYNAPSE_PROFILE"


def test_explicit_profile_beats_environment_but_not_arguments(tmp_path: Path) -> None:
    env = {
        "SYNAPSE_BASE_URL": "https://env.example.com",
        "SYNAPSE_API_TOKEN": ENV_TOKEN,
        "SYNAPSE_TENANT": "t",
    }
    config = resolve(env, write(tmp_path, PROFILES), profile="staging", base_url="https://arg.example.com")
    assert config.base_url == "https://arg.example.com/"
    assert config.api_token == "staging-token-abcdef"
    assert config.tenant == "t"  # the profile does not set it: the environment fills it in


def test_default_profile_ranks_with_the_file_below_environment(tmp_path: Path) -> None:
    path = write(tmp_path, {**PROFILES, "default_profile": "staging"})
    config = resolve({"SYNAPSE_API_TOKEN": ENV_TOKEN}, path)
    assert config.profile == "staging"
    assert config.base_url == "https://staging.example.com/"
    assert config.api_token == ENV_TOKEN
    assert config.sources["profile"] == f"file:{path}"


def test_a_profile_does_not_inherit_top_level_credentials(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="no credential"):
        resolve({}, write(tmp_path, PROFILES), profile="partial")


def test_unknown_profile_names_the_known_ones(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"no profile 'nope'.*local, partial, staging"):
        resolve({}, write(tmp_path, PROFILES), profile="nope")


def test_unknown_profile_without_a_file() -> None:
    with pytest.raises(ConfigurationError, match="profiles: none"):
        resolve({}, profile="staging")


# --- errors -----------------------------------------------------------------------------


def test_no_base_url_names_what_was_looked_at() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve({}, api_token="a-abcdef")
    message = str(info.value)
    for name in ("SYNAPSE_BASE_URL", "SYNAPSE_HOST", "base_url", "/no/such/file.json", DEFAULT_BASE_URL):
        assert name in message


def test_no_credential_names_the_variables() -> None:
    with pytest.raises(ConfigurationError) as info:
        resolve({"SYNAPSE_BASE_URL": "https://h.example.com", "SYNAPSE_TENANT": "acme"})
    for name in ("SYNAPSE_API_TOKEN", "SYNAPSE_ACCESS_TOKEN", "SYNAPSE_AGENT_TOKEN", "SYNAPSE_USER_TOKEN"):
        assert name in str(info.value)


def test_credential_can_be_optional() -> None:
    config = resolve({}, base_url="https://h.example.com", require_credential=False)
    assert config.api_token is None


def test_invalid_json_file_error_does_not_echo_the_content(tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text('{"access_token": "leaky-secret-abc", oops}', encoding="utf-8")
    with pytest.raises(ConfigurationError) as info:
        resolve({}, path, base_url="https://h.example.com")
    assert "not valid JSON" in str(info.value)
    assert "leaky-secret-abc" not in str(info.value)


def test_file_must_hold_an_object(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="JSON object"):
        resolve({}, write(tmp_path, ["x"]), base_url="https://h.example.com")


# --- URLs -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://api.example.com", "http://10.0.0.5:8000/", "http://127.example.com"])
def test_plain_http_to_a_remote_host_is_refused(url: str) -> None:
    with pytest.raises(ConfigurationError, match="allow_insecure_http"):
        resolve({}, base_url=url, api_token="a-abcdef")


def test_plain_http_to_a_remote_host_with_the_opt_in() -> None:
    config = resolve({}, base_url="http://api.example.com", api_token="a-abcdef", allow_insecure_http=True)
    assert config.base_url == "http://api.example.com/"
    assert config.allow_insecure_http is True


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000",
        "http://localhost:9/x",
        "http://[::1]:8080/",
        "http://127.1.2.3/",
        "http://a.localhost/",
    ],
)
def test_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert resolve({}, base_url=url, api_token="a-abcdef").base_url.startswith("http://")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://API.Example.com", "https://api.example.com/"),
        ("https://api.example.com/prefix", "https://api.example.com/prefix/"),
        (" https://api.example.com:8443/v1/ ", "https://api.example.com:8443/v1/"),
    ],
)
def test_base_url_is_normalised(url: str, expected: str) -> None:
    assert normalize_base_url(url) == expected


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("api.example.com", "https://host"),
        ("ftp://api.example.com", "https://host"),
        ("https://user:pw@api.example.com", "credentials"),
        ("https://api.example.com/?x=1", "query"),
        ("https://api.example.com:99999/", "port"),
    ],
)
def test_bad_base_urls(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        normalize_base_url(url)


def test_is_loopback() -> None:
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("LOCALHOST")
    assert not is_loopback("example.com") and not is_loopback("10.0.0.1") and not is_loopback(None)


# --- values -----------------------------------------------------------------------------


def base(**kw: Any) -> Config:
    kw.setdefault("api_token", "a-abcdef")
    return resolve({}, base_url="https://h.example.com", **kw)


def test_defaults() -> None:
    config = base()
    assert config.timeout == (5.0, 30.0)
    assert config.retries == RetryPolicy()
    assert (config.cache_ttl, config.page_size, config.verify) == (30.0, 100, True)
    assert config.sources["timeout"] == "default"


@pytest.mark.parametrize(
    ("value", "expected"), [(10, (10.0, 10.0)), ((1, 2.5), (1.0, 2.5)), ([3, 4], (3.0, 4.0))]
)
def test_timeouts(value: Any, expected: tuple[float, float]) -> None:
    assert base(timeout=value).timeout == expected


@pytest.mark.parametrize("value", ["10", -1, 0, True, (1, 2, 3), (1, "x"), float("nan"), float("inf")])
def test_bad_timeouts(value: Any) -> None:
    with pytest.raises(ConfigurationError, match="timeout"):
        base(timeout=value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("page_size", 0),
        ("page_size", "100"),
        ("page_size", 2.5),
        ("cache_ttl", -1),
        ("cache_ttl", "30"),
        ("retries", -1),
        ("retries", True),
        ("retries", "3"),
    ],
)
def test_bad_values_name_the_setting(name: str, value: Any) -> None:
    with pytest.raises(ConfigurationError, match=name.split("_")[0]):
        base(**{name: value})


def test_retries_as_a_number_or_a_policy() -> None:
    assert base(retries=2).retries == RetryPolicy(max_retries=2)
    policy = RetryPolicy(max_retries=1, total_timeout=9)
    assert base(retries=policy).retries is policy
    with pytest.raises(ConfigurationError, match="backoff_factor"):
        RetryPolicy(backoff_factor=-1)


def test_cache_ttl_zero_is_allowed() -> None:
    assert base(cache_ttl=0).cache_ttl == 0.0


def test_verify_must_name_an_existing_bundle(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("x")
    assert base(verify=str(bundle)).verify == str(bundle)
    assert base(verify=False).verify is False
    with pytest.raises(ConfigurationError, match="does not exist"):
        base(verify=str(tmp_path / "missing.pem"))


def test_token_with_its_header_prefix_is_accepted() -> None:
    assert base(api_token="Token abc-def").api_token == "abc-def"


def test_token_with_a_line_break_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConfigurationError) as info:
        base(api_token="abc\r\nX-Evil: 1")
    assert "X-Evil" not in str(info.value)


def test_repr_and_sources_never_show_tokens() -> None:
    config = resolve(
        {"SYNAPSE_AGENT_TOKEN": "agent-secret-xyz"},
        base_url="https://h.example.com",
        api_token="api-secret-xyz",
        tenant="tenant-secret-xyz",
        user_token="user-secret-xyz",
    )
    text = repr(config) + str(config.sources) + config.describe_credentials()
    for secret in ("api-secret-xyz", "agent-secret-xyz", "tenant-secret-xyz", "user-secret-xyz"):
        assert secret not in text
    assert "agent token from env:SYNAPSE_AGENT_TOKEN" in config.describe_credentials()


def test_config_pickles() -> None:
    config = base(timeout=3, retries=2)
    clone = pickle.loads(pickle.dumps(config))
    assert clone == config and clone.api_token == "a-abcdef" and clone.sources == config.sources


def test_origin() -> None:
    assert base().origin == "https://h.example.com"


def test_an_explicit_value_equal_to_the_default_reports_its_source_as_argument() -> None:
    config = base(cache_ttl=30, page_size=100, retries=RetryPolicy())
    assert (config.cache_ttl, config.page_size) == (30.0, 100)
    assert {config.sources[k] for k in ("cache_ttl", "page_size", "retries")} == {"argument"}
    assert base().sources["cache_ttl"] == "default" and base().sources["page_size"] == "default"


def test_a_client_left_at_its_defaults_reports_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import synapse

    monkeypatch.setenv("SYNAPSE_CONFIG", str(tmp_path / "none.json"))
    client = synapse.Client("http://127.0.0.1:9/", api_token="t")
    assert client.config.sources["cache_ttl"] == "default"
    explicit = synapse.Client("http://127.0.0.1:9/", api_token="t", cache_ttl=30.0)
    assert explicit.config.sources["cache_ttl"] == "argument"
