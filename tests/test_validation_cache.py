"""The validation memo never hides a problem: with a warm cache, every spec
gives exactly the diagnostics a run without the cache gives."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.cache import Cache, ValidationMemo
from generator.load import load
from generator.validate import check_schema, validate
from generator.validate.memo import _memo_key
from tests.bad_specs.corpus import CASES, case_names, expected_lines, extra_args
from tests.conftest import run_generator

SPEC = """\
openapi: 3.0.3
info: {title: Memo, version: "1"}
paths:
  /pets:
    get:
      operationId: listPets
      summary: List.
      parameters:
        - {name: limit, in: query, schema: {type: integer}}
      responses:
        "200":
          description: Pets.
          content:
            application/json:
              schema: {type: array, items: {$ref: "#/components/schemas/Pet"}}
  /pets/{id}:
    get:
      operationId: getPet
      parameters:
        - {name: id, in: path, required: true, schema: {type: integer}}
      responses:
        "200":
          description: A pet.
          content:
            application/json:
              schema: {$ref: "#/components/schemas/Pet"}
components:
  schemas:
    Pet:
      type: object
      required: [id]
      properties:
        id: {type: integer}
        name: {type: string}
"""

# The validator checks each schema once, on its first visit, and what it checks
# there depends on how it got there: through `allOf` (from /b) it skips the
# required-properties check that a direct visit (from /a) makes. Dropping /b's
# reference makes /a, unchanged, invalid.
ORDER = """\
openapi: 3.0.3
info: {title: Order, version: "1"}
paths:
  /b:
    get:
      operationId: getB
      responses:
        "200":
          description: B.
          content:
            application/json:
              schema:
                allOf:
                  - $ref: "#/components/schemas/T/properties/p"
  /a:
    get:
      operationId: getA
      responses:
        "200":
          description: A.
          content:
            application/json:
              schema:
                $ref: "#/components/schemas/T/properties/p"
components:
  schemas:
    T:
      type: object
      properties:
        p:
          allOf:
            - type: object
              properties:
                a: {type: string}
          required: [zzz]
"""


def _generate(spec: Path, out: Path, *extra: str) -> tuple[int, str]:
    status, _, err = run_generator(
        "generate", "--spec", spec.name, "--out", str(out), *extra, cwd=spec.parent
    )
    return status, err


def _diagnostics(err: str) -> list[str]:
    return [line for line in err.splitlines() if "error[" in line or "warning[" in line]


def _cached_vs_uncached(spec: Path, tmp_path: Path) -> tuple[list[str], list[str]]:
    """The diagnostics of `spec` with the warm cache of tmp_path/out, and without any cache."""
    status, err = _generate(spec, tmp_path / "out", "--cache-dir", str(tmp_path / "c"))
    cached = _diagnostics(err)
    _, plain = _generate(spec, tmp_path / "plain", "--no-cache")
    return cached, _diagnostics(plain)


def _memo(tmp_path: Path) -> dict[str, object]:
    (path,) = (tmp_path / "c").glob("*.cache")
    memo = Cache.load(str(path)).validation
    return {"key": memo.key, "items": sorted(memo.items)}


@pytest.fixture
def warm(tmp_path: Path) -> Path:
    """SPEC, generated once with the cache on, so that its path items are remembered."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(SPEC, encoding="utf-8")
    status, err = _generate(spec, tmp_path / "out", "--cache-dir", str(tmp_path / "c"))
    assert status == 0, err
    assert len(_memo(tmp_path)["items"]) == 2  # type: ignore[arg-type]
    return spec


def test_an_edit_revalidates_only_what_changed(warm: Path, tmp_path: Path) -> None:
    warm.write_text(SPEC.replace("summary: List.", "summary: Listed."))
    status, err = _generate(warm, tmp_path / "out", "--cache-dir", str(tmp_path / "c"))
    assert status == 0, err
    assert len(_memo(tmp_path)["items"]) == 2  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        # The validator's own structural check, in a path item.
        ('        "200":\n          description: A pet.', '        "200":\n          descr: A pet.'),
        # Its semantic check of a schema's default, in a path item.
        ("{name: limit, in: query, schema: {type: integer}}", "{name: limit, in: query, schema: {type: integer, default: many}}"),
        # Outside `paths`: the rest of the document changed.
        ('info: {title: Memo, version: "1"}', "info: {title: Memo, version: 1}"),
        ("        name: {type: string}", "        name: {type: string, default: 3}"),
        # Our own checks, across path items.
        ("operationId: getPet", "operationId: listPets"),
        ("{name: id, in: path, required: true", "{name: id, in: path, required: false"),
    ],
)  # fmt: skip
def test_breaking_a_warm_spec_reports_what_a_cold_run_reports(
    warm: Path, tmp_path: Path, old: str, new: str
) -> None:
    assert old in SPEC
    warm.write_text(SPEC.replace(old, new), encoding="utf-8")
    cached, plain = _cached_vs_uncached(warm, tmp_path)
    assert plain, "the broken spec should have diagnostics"
    assert cached == plain


def test_a_problem_that_depends_on_another_path_item_is_still_found(
    tmp_path: Path,
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(ORDER, encoding="utf-8")
    cached, plain = _cached_vs_uncached(spec, tmp_path)
    assert cached == plain == []
    edited = ORDER.replace(
        '- $ref: "#/components/schemas/T/properties/p"', "- {type: object}"
    )
    spec.write_text(edited, encoding="utf-8")
    cached, plain = _cached_vs_uncached(spec, tmp_path)
    assert any("warning[required-undefined]" in d for d in plain), plain
    assert cached == plain


def test_a_change_in_another_file_invalidates(tmp_path: Path) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        SPEC.replace("#/components/schemas/Pet", "pet.yaml#/Pet").split("components:")[
            0
        ],
        encoding="utf-8",
    )
    pet = "Pet:\n  type: object\n  properties:\n    id: {type: integer}\n"
    (tmp_path / "pet.yaml").write_text(pet, encoding="utf-8")
    cached, plain = _cached_vs_uncached(spec, tmp_path)
    assert cached == plain == []
    (tmp_path / "pet.yaml").write_text(
        pet.replace("{type: integer}", "{type: integer, default: x}"), encoding="utf-8"
    )
    cached, plain = _cached_vs_uncached(spec, tmp_path)
    assert plain
    assert cached == plain


@pytest.mark.parametrize("name", case_names())
def test_bad_specs_give_their_diagnostics_with_the_cache_on(
    name: str, tmp_path: Path
) -> None:
    case = tmp_path / "case"
    shutil.copytree(CASES / name, case)
    for _ in range(2):  # cold, then with whatever the first run remembered
        status, _, err = run_generator(
            "generate",
            "--spec",
            "spec.yaml",
            "--out",
            str(tmp_path / "out"),
            "--cache-dir",
            str(tmp_path / "c"),
            *extra_args(case),
            cwd=case,
        )
        assert status == 1, err
        assert _diagnostics(err) == expected_lines(case)


def _forged(spec_path: Path) -> ValidationMemo:
    """A memo claiming that every path item of the spec passed."""
    from generator.validate.memo import _digest

    spec, _ = load(str(spec_path))
    assert spec is not None
    key = _memo_key(spec)
    assert key is not None
    paths = spec.root.data["paths"]
    return ValidationMemo(key, {_digest([n, i]) for n, i in paths.items()})


def test_without_a_memo_nothing_is_trusted(tmp_path: Path) -> None:
    """What `--no-cache` runs: the plain check, whatever a memo would claim."""
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(SPEC.replace("description: A pet.", "descr: A pet."))
    memo = _forged(spec_path)
    spec, _ = load(str(spec_path))
    assert spec is not None
    # The memo is trusted (that is what it is for), so a forged one hides the
    # problem; without one, the problem is reported.
    assert check_schema(spec)
    assert [d for d in validate(spec) if d.code == "oas-invalid"]
    assert not [d for d in validate(spec, memo) if d.code == "oas-invalid"]


@pytest.mark.parametrize(
    "ref",
    [
        "#/paths/~1pets/get/responses/200/content/application~1json/schema/items",
        "#/%70aths/~1pets/get/responses/200/content/application~1json/schema/items",
        "spec.yaml#/paths/~1pets/get/responses/200/content/application~1json/schema/items",
        "spec.yaml",
        "#pet",
    ],
)
def test_what_may_reach_into_paths_turns_the_memo_off(tmp_path: Path, ref: str) -> None:
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(
        SPEC.replace(
            'schema: {$ref: "#/components/schemas/Pet"}', f"schema: {{$ref: {ref!r}}}"
        )
    )
    spec, _ = load(str(spec_path))
    assert spec is not None
    assert _memo_key(spec) is None
    memo = ValidationMemo()
    validate(spec, memo)
    assert memo == ValidationMemo()


def test_an_identifying_keyword_turns_the_memo_off(tmp_path: Path) -> None:
    spec_path = tmp_path / "spec.yaml"
    spec_path.write_text(
        SPEC.replace("      required: [id]", "      $anchor: pet\n      required: [id]")
    )
    spec, _ = load(str(spec_path))
    assert spec is not None
    assert _memo_key(spec) is None


def test_when_the_child_validated_another_version_the_parent_validates(
    warm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a warm memo the child loads the spec itself; should the file change
    between its load and the parent's, the parent's version is validated."""
    from generator import pipeline

    def stale(job: tuple[str, ValidationMemo | None]) -> object:
        return [], job[1], {"spec.yaml": "the hash of another version"}

    monkeypatch.setattr(pipeline, "_load_and_validate", stale)
    warm.write_text(SPEC.replace("description: A pet.", "descr: A pet."))
    cached, plain = _cached_vs_uncached(warm, tmp_path)
    assert plain
    assert cached == plain


def test_the_installed_validator_is_the_one_the_strict_run_was_read_against() -> None:
    """Bumping openapi-spec-validator turns the memo off: read the checks in its
    keywords.SchemaValidator (what depends on how a schema was reached?),
    mirror any new one in `_strict_clean`, then raise STRICT_VETTED."""
    from importlib.metadata import version

    from generator.validate.memo import STRICT_VETTED

    assert version("openapi-spec-validator") == STRICT_VETTED


def test_the_quick_subscriptable_check_answers_as_the_protocol_does() -> None:
    """The ABC stands in for pathable's runtime protocol during validation;
    for every kind of value a document holds, and a few others, it answers
    the same."""
    from pathable import accessors

    from generator.validate.oas import _quick_subscriptable_checks

    class Partial:
        def __getitem__(self, key: str) -> str:
            return key

    class Hidden(dict[str, str]):
        __len__ = None  # type: ignore[assignment]

    protocol = accessors.Subscriptable
    values: list[object] = [
        {},
        [],
        "",
        b"",
        (),
        1,
        1.5,
        True,
        None,
        Partial(),
        Hidden(),
    ]
    expected = [isinstance(v, protocol) for v in values]
    assert expected[:5] == [True] * 5 and expected[5:] == [False] * 6
    with _quick_subscriptable_checks():
        assert accessors.Subscriptable is not protocol
        assert [isinstance(v, accessors.Subscriptable) for v in values] == expected
    assert accessors.Subscriptable is protocol
