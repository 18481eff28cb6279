"""Call-site keys: the function around a line, so baseline keys survive moved lines."""

from __future__ import annotations

import textwrap

from perfkit.capture.code_names import call_site_key, qualname_at, split_location

SOURCE = textwrap.dedent(
    """
    import functools

    TOP = 1


    class Report:
        @functools.cache
        def names(self):
            def inner():
                return 1
            return inner()


    async def fetch():
        return [x for x in range(3)]
    """
)


def test_qualified_names_of_lines(tmp_path):
    path = tmp_path / "views.py"
    path.write_text(SOURCE)
    lines = {text.strip(): number for number, text in enumerate(SOURCE.splitlines(), 1)}

    assert qualname_at(str(path), lines["TOP = 1"]) is None
    assert qualname_at(str(path), lines["@functools.cache"]) == "Report.names"
    assert qualname_at(str(path), lines["return inner()"]) == "Report.names"
    assert qualname_at(str(path), lines["return 1"]) == "Report.names.<locals>.inner"
    assert qualname_at(str(path), lines["return [x for x in range(3)]"]) == "fetch"


def test_call_site_keys(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "views.py").write_text(SOURCE)

    assert call_site_key("views.py:12") == "views.py::Report.names"
    assert call_site_key("views.py:4") == "views.py::<module>"
    assert call_site_key("gone.py:3") == "gone.py:3"  # no file: the location itself
    assert call_site_key("<unknown>:0") == "<unknown>:0"
    assert split_location("a/b.py:12") == ("a/b.py", 12)
    assert split_location("<unknown>") == ("<unknown>", 0)
