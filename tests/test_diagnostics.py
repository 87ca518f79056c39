"""Diagnostics as values: the one-line rendering, when they stop a run, and
the RFC 6901 pointers they carry."""

from __future__ import annotations

import pytest

from generator.diagnostics import Diagnostic, has_errors, parts_of, pointer_of


def diagnostic(severity: str = "error", message: str = "bad") -> Diagnostic:
    return Diagnostic(
        severity,  # type: ignore[arg-type]
        "param-path-optional",
        message,
        "spec/persons.yaml",
        "/paths/~1api~1{id}/get",
        line=42,
        col=7,
    )


def test_a_diagnostic_renders_as_the_readme_shows() -> None:
    # README and STYLE.md: `path:line:col: error[code]: message (at #/pointer)`,
    # on one line whatever whitespace the message carries.
    rendered = diagnostic(message="path parameter 'id'\n  must be\trequired").render()
    assert rendered == (
        "spec/persons.yaml:42:7: error[param-path-optional]: "
        "path parameter 'id' must be required (at #/paths/~1api~1{id}/get)"
    )


def test_errors_stop_a_run_and_warnings_only_under_strict() -> None:
    warning, error = diagnostic("warning"), diagnostic("error")
    assert not has_errors([])
    assert not has_errors([], strict=True)
    assert not has_errors([warning])
    assert has_errors([warning], strict=True)
    assert has_errors([warning, error])
    assert has_errors([error], strict=False)


@pytest.mark.parametrize(
    ("parts", "pointer"),
    [
        ((), ""),
        (("paths", "/api/{id}/", "get"), "/paths/~1api~1{id}~1/get"),
        (("components", "schemas", "a~b"), "/components/schemas/a~0b"),
        (("x", "~1"), "/x/~01"),  # `~` first, or `~1` would read back as `/`
        (("items", 0, ""), "/items/0/"),
    ],
)
def test_pointers_follow_rfc_6901(parts: tuple[str | int, ...], pointer: str) -> None:
    assert pointer_of(parts) == pointer
    assert parts_of(pointer) == tuple(str(p) for p in parts)
