"""One redaction policy for every URL shown (downloads, study storages, the stack's database, alerts)."""

import pytest

from coursework import download, stack, study
from coursework.urls import redact_url


@pytest.mark.parametrize("url, shown", [
    # the password goes, the user who connects stays
    ("postgresql://me:secret@db:5432/optuna", "postgresql://me:<redacted>@db:5432/optuna"),
    ("https://user:pw@h.org/a.csv", "https://user:<redacted>@h.org/a.csv"),
    ("postgresql://u:p:q@h/db", "postgresql://u:<redacted>@h/db"),  # a ':' inside the password too
    # a bare userinfo may be a token (https://TOKEN@host): hidden whole, whatever the scheme
    ("postgresql://postgres@127.0.0.1:5432/x", "postgresql://<redacted>@127.0.0.1:5432/x"),
    ("https://ghp_abc123@host.example/data.csv", "https://<redacted>@host.example/data.csv"),
    # the query string goes (tokens, signatures), the fragment stays (#sha256= is the checksum, not a secret)
    ("https://h.org/a.csv?x=1&token=2#sha256=ab", "https://h.org/a.csv?<redacted>#sha256=ab"),
    ("postgresql://me:secret@db/optuna?sslmode=require", "postgresql://me:<redacted>@db/optuna?<redacted>"),
    # nothing to hide, or not a URL at all: shown as given
    ("https://h.org/a.csv", "https://h.org/a.csv"),
    ("sqlite:///mlruns/optuna.db", "sqlite:///mlruns/optuna.db"),
    ("journal:tuned/studies.log", "journal:tuned/studies.log"),
    ("data/my file?.csv", "data/my file?.csv"),
])
def test_redact_url(url, shown):
    assert redact_url(url) == shown
    assert redact_url(shown) == shown  # redacting twice changes nothing


@pytest.mark.parametrize("module", [download, study, stack])
def test_every_call_site_uses_the_one_policy(module):
    assert module.redact_url is redact_url


def test_urls_inside_a_message_are_redacted_and_the_rest_kept():
    from coursework.urls import redact_urls_in

    line = "ERROR: failed to push to https://alice:s3cret@host.example/x?sig=abc: 403 'denied'"
    assert redact_urls_in(line) == "ERROR: failed to push to https://alice:<redacted>@host.example/x?<redacted> 403 'denied'"
