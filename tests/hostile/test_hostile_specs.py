"""A spec is untrusted input: no text in it may ever become code.

Hypothesis fills every slot of one fixed spec shape (title, tags, paths,
operationIds, parameter and property names, descriptions, enum values,
defaults, examples, server URLs) with hostile text. For each example the
generator either refuses with diagnostics, or its output

- compiles, and its AST has exactly the statements of the output for a benign
  spec of the same shape, and calls nothing the benign output does not (so
  spec text added no statement, import or call),
- lies wholly inside the output folder,
- can be imported, called (client against a mock transport) and served
  (server through the test client) without running anything from the spec:
  the payloads would create a marker file if they ever ran.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import json
import os
import re
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from tests.conftest import run_generator
from tests.generality import calls
from tests.generality.support import Sampler, Unsampleable, build_ir, imported

MARKER = "PWNED"
PAYLOADS = [
    f'__import__("pathlib").Path("{MARKER}").touch()',
    f'"""\n__import__("pathlib").Path("{MARKER}").touch()\n"""',
    f"'\n__import__('pathlib').Path('{MARKER}').touch()#",
    f'"); __import__("pathlib").Path("{MARKER}").touch(); ("',
    f'{{{{ __import__("pathlib").Path("{MARKER}").touch() }}}}',
    f'\\"\nimport pathlib; pathlib.Path("{MARKER}").touch()\n#',
    f'x" + __import__("pathlib").Path("{MARKER}").touch() + "',
    '"""',
    "'''",
    "\\",
    "\\\\'\"",
    "{",
    "}",
    "{{}}",
    "{0}",
    "%s",
    "\n",
    "\r",
    "\r\n",
    "\u2028",
    "\u2029",
    "\x00",
    "\x1e",
    "\x7f",
    "\t",
    "class",
    "import",
    "None",
    "self",
    "print",
    "__init__",
    "__class__",
    "model_config",
    "1abc",
    "0",
    "../../etc/passwd",
    "/tmp/evil",
    "..",
    "C:\\Windows",
    "é",
    "名前",
    "#",
    "-->",
    "<script>",
    "`",
    "$ref",
    " ",
]

fragment = st.one_of(
    st.sampled_from(PAYLOADS),
    st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=6
    ),
)
hostile = st.lists(fragment, min_size=1, max_size=3).map("".join)


def _url_path_safe(text: str) -> bool:
    """What a URL path (beside its `{parameter}`) may hold; a path holding
    anything else is skipped (`path-invalid`), which is tested too."""
    return all(ch not in '"<>\\^`|#? {}' and ch.isprintable() for ch in text)


# Path slots mostly hold what a path may hold, or nearly every example would be refused.
path_text = hostile.filter(_url_path_safe)
path_param_text = path_text.filter(lambda t: not set(t) & set("{}/"))

SLOTS = (
    "title",
    "version",
    "description",
    "server",
    "tag",
    "segment",
    "path_param",
    "op_get",
    "op_post",
    "summary",
    "query_param",
    "header_param",
    "model",
    "prop_a",
    "prop_b",
    "enum_a",
    "enum_b",
    "default",
    "example",
)


# A text for every slot of `make_spec`.
slot_texts = st.fixed_dictionaries(
    {
        slot: {"segment": path_text, "path_param": path_param_text}.get(slot, hostile)
        for slot in SLOTS
    }
)


def make_spec(t: dict[str, str]) -> dict[str, Any]:
    """The fixed shape; every string that is not OpenAPI syntax comes from `t`."""
    model_ref = {
        "$ref": "#/components/schemas/"
        + t["model"].replace("~", "~0").replace("/", "~1")
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": t["title"],
            "version": t["version"],
            "description": t["description"],
        },
        "servers": [{"url": t["server"], "description": t["description"]}],
        "tags": [{"name": t["tag"], "description": t["description"]}],
        "paths": {
            "/"
            + t["segment"]
            + "/{"
            + t["path_param"]
            + "}": {
                "parameters": [
                    {
                        "name": t["path_param"],
                        "in": "path",
                        "required": True,
                        "description": t["description"],
                        "schema": {"type": "string"},
                    }
                ],
                "get": {
                    "operationId": t["op_get"],
                    "summary": t["summary"],
                    "description": t["description"],
                    "tags": [t["tag"]],
                    "parameters": [
                        {
                            "name": t["query_param"],
                            "in": "query",
                            "description": t["description"],
                            "schema": {
                                "type": "string",
                                "enum": [t["enum_a"], t["enum_b"], t["default"]],
                                "default": t["default"],
                            },
                            "example": t["example"],
                        },
                        {
                            "name": t["header_param"],
                            "in": "header",
                            "schema": {"type": "string", "default": t["default"]},
                        },
                    ],
                    "responses": {
                        "200": {
                            "description": t["description"],
                            "content": {"application/json": {"schema": model_ref}},
                        }
                    },
                },
                "post": {
                    "operationId": t["op_post"],
                    "requestBody": {
                        "required": True,
                        "content": {"application/json": {"schema": model_ref}},
                    },
                    "responses": {"201": {"description": t["summary"]}},
                },
            }
        },
        "components": {
            "schemas": {
                t["model"]: {
                    "type": "object",
                    "description": t["description"],
                    "required": [t["prop_a"]],
                    "properties": {
                        t["prop_a"]: {
                            "type": "string",
                            "description": t["description"],
                            "example": t["example"],
                        },
                        t["prop_b"]: {
                            "type": "string",
                            "enum": [t["enum_a"], t["enum_b"]],
                            "default": t["enum_a"],
                            "description": t["summary"],
                        },
                    },
                }
            }
        },
    }


def benign(t: dict[str, str]) -> dict[str, str]:
    """Same equalities and blanks as `t`, with plain words: the same shape of output."""
    words: dict[str, str] = {}
    counter = itertools.count()
    out = {}
    for slot in SLOTS:
        value = t[slot]
        if not value.strip():
            out[slot] = value if slot not in ("server",) else ""
            continue
        if value not in words:
            words[value] = f"w{next(counter)}"
        out[slot] = words[value]
    return out


def generate(spec: dict[str, Any], folder: Path, name: str) -> tuple[int, str]:
    folder.mkdir(parents=True)
    (folder / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
    status, _, err = run_generator(
        "generate",
        "--spec",
        "spec.json",
        "--out",
        "out",
        "--no-cache",
        "--jobs",
        "1",
        "--client-package",
        f"{name}_client",
        "--server-package",
        f"{name}_server",
        cwd=folder,
    )
    return status, err


def skeleton(out: Path) -> dict[str, str]:
    """Per file: the statements of every scope as a multiset (sorted), imports spelled out.

    Sorted because models and fields are emitted in name order and the names
    differ between the hostile and the benign spec; an injected statement,
    import or definition still shows.
    """
    return {
        str(path.relative_to(out)).split("/", 1)[1]: _shape(
            ast.parse(path.read_text(encoding="utf-8"), str(path))
        )
        for path in sorted(out.rglob("*.py"))
    }


def _shape(node: ast.AST) -> str:
    if isinstance(node, ast.Import):
        return "import " + ",".join(a.name for a in node.names)
    if isinstance(node, ast.ImportFrom):
        names = ",".join(a.name for a in node.names)
        return f"from {'.' * node.level}{node.module} import {names}"
    inner = sorted(
        _shape(child)
        for child in ast.iter_child_nodes(node)
        if isinstance(child, ast.stmt)
    )
    return type(node).__name__ + ("(" + " ".join(inner) + ")" if inner else "")


def callees(out: Path) -> set[str]:
    found = set()
    for path in out.rglob("*.py"):
        if path.name == "_runtime.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call):
                # `_<handler>.route(...)`: the handler variable's name comes from the spec.
                found.add(
                    re.sub(r"^_\w+\.route$", "_HANDLER.route", _callee(node.func))
                )
    return found


def _diff(got: dict[str, str], want: dict[str, str], texts: dict[str, str]) -> str:
    lines = [repr(texts)]
    for name in sorted(set(got) | set(want)):
        if got.get(name) != want.get(name):
            lines += [
                f"{name}:",
                f"  benign:  {want.get(name)}",
                f"  hostile: {got.get(name)}",
            ]
    return "\n".join(lines)


def _callee(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return _callee(func.value) + "." + func.attr
    return type(func).__name__


def exercise(out: Path, name: str, spec_dir: Path) -> None:
    """Import both sides, call the client against a mock, serve a request: nothing may run."""
    api = build_ir(spec_dir / "spec.json")
    sampler = Sampler(api)
    with imported(out, f"{name}_client", f"{name}_server"):
        client_module = importlib.import_module(f"{name}_client.client")
        importlib.import_module(f"{name}_client.models")
        interface = importlib.import_module(f"{name}_server.interface")
        app_module = importlib.import_module(f"{name}_server.app")
        handler = calls.SampleHandler(api, interface, sampler)
        app = app_module.create_app(handler, authenticate=calls.authenticate)
        TestClient = calls.test_client_class()
        for op in api.operations:
            response = calls.success(op)
            try:
                args, _ = calls.arguments(
                    op, sampler, getattr(client_module.Client, op.name)
                )
            except Unsampleable:
                continue
            if response is not None:
                _, wire, content_type = calls.response_body(sampler, response)
                seen: list[httpx.Request] = []
                transport = calls.mock_transport(op, response, wire, content_type, seen)
                with client_module.Client(
                    base_url="http://api.test", transport=transport
                ) as c:
                    try:
                        calls.call(c, op, args)
                    except (httpx.HTTPError, httpx.InvalidURL, ValueError, TypeError):
                        pass  # a hostile header name may be refused by httpx: fine
        with TestClient(app) as http:
            client = client_module.Client(
                base_url="http://testserver", transport=http._transport
            )
            for op in api.operations:
                try:
                    args, _ = calls.arguments(
                        op, sampler, getattr(client_module.Client, op.name)
                    )
                    calls.call(client, op, args)
                except (
                    Unsampleable,
                    httpx.HTTPError,
                    httpx.InvalidURL,
                    ValueError,
                    TypeError,
                ):
                    pass
                except Exception as error:  # an ApiError subclass: an answer, not a run
                    assert type(error).__module__.startswith(f"{name}_client"), error


COUNTER = itertools.count()
OUTCOMES: list[int] = []


@settings(
    max_examples=int(os.environ.get("HOSTILE_EXAMPLES", "60")),
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    database=None,
    # No shrinking: one generation takes a second, and shrinking takes minutes.
    phases=[Phase.explicit, Phase.generate],
)
@given(slot_texts)
def test_hostile_spec_is_inert_or_refused(
    tmp_path: Path, texts: dict[str, str]
) -> None:
    n = next(COUNTER)
    root = tmp_path / f"case{n}"
    status, err = generate(make_spec(texts), root / "hostile", f"h{n}")
    OUTCOMES.append(status)
    if os.environ.get("HOSTILE_DEBUG"):
        print(sorted(set(re.findall(r"\[([a-z-]+)\]", err))))
    assert "Traceback" not in err, err
    listing = sorted(str(p.relative_to(root)) for p in root.rglob("*"))
    if status != 0:
        assert status == 1, err
        assert "error[" in err, err
        assert listing == ["hostile", "hostile/spec.json"], listing
        return
    out = root / "hostile" / "out"
    for path in out.rglob("*"):
        assert path.resolve().is_relative_to(out.resolve()), path
    assert all(
        p.startswith(("hostile/out", "hostile/spec.json")) or p == "hostile"
        for p in listing
    )

    status, err = generate(make_spec(benign(texts)), root / "benign", f"b{n}")
    assert status == 0, err
    got, want = skeleton(out), skeleton(root / "benign" / "out")
    assert got == want, _diff(got, want, texts)
    # Every call in the output is one the templates also write for a benign spec.
    allowed = callees(root / "benign" / "out")
    assert callees(out) <= allowed, (callees(out) - allowed, texts)
    assert "__import__" not in allowed and "eval" not in allowed
    runtime = sorted(out.rglob("_runtime.py"))
    assert [p.read_bytes().split(b"\n", 1)[1] for p in runtime] == [
        p.read_bytes().split(b"\n", 1)[1]
        for p in sorted((root / "benign" / "out").rglob("_runtime.py"))
    ]

    previous = os.getcwd()
    os.chdir(root)
    try:
        exercise(out, f"h{n}", root / "hostile")
    finally:
        os.chdir(previous)
    assert not list(tmp_path.rglob(MARKER)), "spec text ran as code"


@pytest.mark.parametrize("payload", [p for p in PAYLOADS if MARKER in p])
def test_each_payload_in_every_slot(tmp_path: Path, payload: str) -> None:
    """Not left to chance: every code payload, in every slot at once."""
    texts = dict.fromkeys(SLOTS, payload)
    # Distinct where the shape needs distinct names.
    for i, slot in enumerate(
        ("op_get", "op_post", "prop_a", "prop_b", "enum_a", "enum_b", "default")
    ):
        texts[slot] = f"{payload}{i}"
    if not _url_path_safe(payload):  # skipped as `path-invalid`: keep the rest in play
        texts["segment"] = "segment"
    if not _url_path_safe(payload) or set(payload) & set("{}/"):
        texts["path_param"] = "id"
    test_hostile_spec_is_inert_or_refused.hypothesis.inner_test(tmp_path, texts)  # type: ignore[attr-defined]
