"""download: https only, pinned by sha256, streamed under a cap, query strings never recorded."""

import hashlib

import pytest
import requests

from coursework import download, ingest
from coursework.errors import SourceError
from tests.support import iris_frame

BODY = iris_frame().to_csv(index=False).encode()
SHA = hashlib.sha256(BODY).hexdigest()
URL = "https://example.org/data/iris.csv?token=s3cr3t"


class FakeResponse:
    """What requests.get(stream=True) gives: headers, raise_for_status, iter_content, a context manager."""

    def __init__(self, body: bytes, status: int = 200, declare: bool = True):
        self.body, self.status_code = body, status
        self.headers = {"Content-Length": str(len(body))} if declare else {}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def raise_for_status(self):
        if self.status_code >= 400:
            raise requests.HTTPError(f"{self.status_code} for url: {URL}", response=self)

    def iter_content(self, size):
        for i in range(0, len(self.body), size):
            yield self.body[i:i + size]


@pytest.fixture
def served(monkeypatch):
    """requests.get answered locally; every call is recorded."""
    calls, replies = [], {"response": FakeResponse(BODY)}

    def fake_get(url, **kwargs):
        calls.append((url, kwargs))
        return replies["response"]

    monkeypatch.setattr(download.requests, "get", fake_get)
    monkeypatch.setattr(download, "_sleep", lambda seconds: None)  # no back-off waits in tests
    return calls, replies


def test_https_with_its_sha256_is_read_and_the_label_is_redacted(tmp_path, served):
    calls, _ = served
    frame, label = ingest.read_source(f"{URL}#sha256={SHA}", default=None, default_label="", options={},
                                      download_dir=tmp_path)
    assert len(frame) == 150
    assert label == f"https://example.org/data/iris.csv?<redacted>#sha256={SHA}"
    assert calls[0][1]["stream"] is True  # streamed, not read whole into memory


@pytest.mark.parametrize("source, words", [
    (f"http://example.org/iris.csv?token=s3cr3t#sha256={SHA}", "plain http is refused"),
    ("https://example.org/iris.csv?token=s3cr3t", "needs its checksum"),
    ("https://example.org/iris.csv#sha256=abc", "needs its checksum"),
])
def test_refused_before_any_network_call(tmp_path, served, source, words):
    calls, _ = served
    with pytest.raises(SourceError, match=words) as info:
        download.fetch_url(source, tmp_path)
    assert calls == []
    assert "s3cr3t" not in str(info.value)


def test_wrong_checksum_is_refused_and_nothing_is_left(tmp_path, served):
    with pytest.raises(SourceError, match="does not match") as info:
        download.fetch_url(f"{URL}#sha256={'0' * 64}", tmp_path)
    assert "s3cr3t" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("declare", [True, False], ids=["content-length", "streamed"])
def test_download_over_the_cap_is_refused(tmp_path, served, monkeypatch, declare):
    _, replies = served
    replies["response"] = FakeResponse(BODY, declare=declare)
    monkeypatch.setenv(download.MAX_MB_ENV, str(1000 / (1024 * 1024)))  # 1000 bytes; the body is ~4 kB
    with pytest.raises(SourceError, match="over the download cap") as info:
        download.fetch_url(f"{URL}#sha256={SHA}", tmp_path)
    assert download.MAX_MB_ENV in str(info.value) and "s3cr3t" not in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("status, tries", [(404, 1), (503, 4)])
def test_http_error_names_the_status_without_the_query(tmp_path, served, status, tries):
    calls, replies = served
    replies["response"] = FakeResponse(b"", status=status)
    with pytest.raises(SourceError, match=f"HTTP {status}") as info:
        download.fetch_url(f"{URL}#sha256={SHA}", tmp_path)
    assert "s3cr3t" not in str(info.value)
    assert len(calls) == tries  # a server error is retried with back-off, a client error is not
