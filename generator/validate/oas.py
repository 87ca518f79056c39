"""Stage 2, validate: openapi-spec-validator, run so that it fails us less.

Each error and crash says which node it is about; it reads our loaded files,
never the disk or the network; it has room to recurse; and it also checks
what it leaves out (request bodies).
"""

from __future__ import annotations

import abc
import contextlib
import functools
import os
import sys
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from functools import partial
from typing import Any, TypeVar

from ..diagnostics import Diagnostic, pointer_of
from ..load import SourceFile, Spec, iter_refs
from .common import METHODS, Parts, _At, _follow, _one_line, _pruned, _trie
from .judge import (
    _MISSING,
    _NONE_OF,
    _at_path,
    _best_message,
    _Found,
    _harmless,
    _judged,
    _what,
)

_T = TypeVar("_T")


def check_schema(spec: Spec) -> list[Diagnostic]:
    """openapi-spec-validator's verdict, each problem at the node it is about,
    and judged (`_judged`): what generation does not depend on is a warning.

    Run in a thread with room to recurse: the validator recurses once per
    level of schema nesting and of reference chains, and a spec may go deeper
    than Python's default limit; that is not a problem of the spec."""
    return _with_room_to_recurse(_check_schema, spec)


def _check_schema(spec: Spec) -> list[Diagnostic]:
    """openapi-spec-validator, imported only here: it is the slowest import we have.

    Its structural (JSON Schema) pass runs first; the semantic pass runs only
    when that finds no error, since it may crash on a broken document.
    """
    from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
    from openapi_spec_validator.schemas import (
        openapi_v30_schema_validator,
        openapi_v31_schema_validator,
        schema_v30,
        schema_v31,
    )

    root = spec.root
    v31 = str(root.data["openapi"]).startswith("3.1")
    structural = openapi_v31_schema_validator if v31 else openapi_v30_schema_validator
    meta = schema_v31 if v31 else schema_v30
    document = _spliced(spec)
    try:
        errors = list(structural.iter_errors(document))
    except Exception as error:  # our bug or the validator's: say so, at the root
        return [
            root.diagnostic(
                "oas-invalid",
                f"the OpenAPI schema check failed: {_one_line(error)}",
                (),
            )
        ]
    diagnostics = [
        d
        for error in errors
        for found in _structural(error, document, meta)
        for d in _judged(spec, found, v31)
    ]
    if not any(d.severity == "error" for d in diagnostics):
        plain = OpenAPIV31SpecValidator if v31 else OpenAPIV30SpecValidator
        diagnostics += [
            d for found in _semantic(spec, plain) for d in _judged(spec, found, v31)
        ]
    # One warning for each node left out, however many ways it is wrong.
    first: dict[object, Diagnostic] = {}
    for d in diagnostics:
        first.setdefault((d.file, d.pointer, d.code) if d.drops else d, d)
    return list(first.values())


def _spliced(spec: Spec) -> Any:
    """The root document with each operation that is a `$ref` (which OpenAPI
    does not allow; split specs do it) replaced by its target, for the
    structural pass; the root's own data when there is none."""
    paths = spec.root.data.get("paths")
    if not isinstance(paths, dict):
        return spec.root.data
    spliced: dict[str, dict[str, Any]] = {}
    for path, item in paths.items():
        if not isinstance(item, dict) or "$ref" in item:
            continue
        for method in METHODS:
            written = item.get(method)
            if isinstance(written, dict) and "$ref" in written:
                target = _follow(spec, _At(spec.root, ("paths", path, method), written))
                if target is not None:
                    spliced.setdefault(path, dict(item))[method] = target.value
    if not spliced:
        return spec.root.data
    return {**spec.root.data, "paths": {**paths, **spliced}}


def _structural(error: Any, document: Any, meta: Any) -> list[_Found]:
    """An error of the structural pass; for "none of the forms", the errors of
    the form that was meant (a Schema, when it is not a Reference), each at its
    own node."""
    path = tuple(error.absolute_path)
    message = _best_message(error)
    if _NONE_OF.match(str(error.message).split("\n\n")[0]):
        schema_path = list(error.schema_path)
        leaves = _meant(error, document, meta)
        if leaves:
            holder = _at_path(meta, schema_path[:-1])
            forms = holder.get(schema_path[-1], []) if isinstance(holder, dict) else []
            kind: Any = (
                "schema" if {"$ref": "#/definitions/Schema"} in forms else "structure"
            )
            return [
                _Found(
                    kind,
                    path,
                    tuple(leaf.absolute_path),
                    _best_message(leaf),
                    leaf,
                    through=False,
                )
                for leaf in leaves
            ]
        message = f"not a valid {_what(path)}: it matches none of the forms OpenAPI allows here"
    return [_Found("structure", path, (), message, error, through=False)]


def _meant(error: Any, document: Any, meta: Any) -> list[Any]:
    """The errors of the one alternative of a failed `oneOf`/`anyOf` that the
    node means to be, found again with jsonschema (the structural pass, in
    Rust, gives no details); [] when that is not clear."""
    from jsonschema.validators import validator_for

    holder = _at_path(meta, list(error.schema_path)[:-1])
    instance = _at_path(document, list(error.absolute_path))
    if not isinstance(holder, dict) or instance is _MISSING:
        return []
    checker = validator_for(meta)(meta).evolve(schema=holder)
    return [leaf for found in checker.iter_errors(instance) for leaf in _leaves(found)]


def _leaves(error: Any) -> list[Any]:
    """The innermost errors under `error`, through each `oneOf`/`anyOf` whose
    meant alternative is clear (a Reference is meant only by a `$ref`)."""
    if not error.context:
        return [error]
    alternatives: dict[Any, list[Any]] = {}
    for inner in error.context:
        alternatives.setdefault(inner.relative_schema_path[0], []).append(inner)
    forms = error.validator_value if isinstance(error.validator_value, list) else []
    if isinstance(error.instance, dict) and "$ref" in error.instance:
        # A `$ref` means a Reference, whatever else it means to be.
        meant = [
            errors
            for i, errors in alternatives.items()
            if isinstance(i, int)
            and i < len(forms)
            and str(forms[i].get("$ref", "")).lower().endswith("/reference")
        ]
    else:
        meant = [
            errors
            for errors in alternatives.values()
            if not any(
                e.validator == "required"
                and not e.relative_path
                and "$ref" in (e.validator_value or ())
                for e in errors
            )
        ]
    if len(meant) != 1:
        return [error]  # which one is meant is not clear: this is as deep as it goes
    return [leaf for inner in meant[0] for leaf in _leaves(inner)]


def _semantic(spec: Spec, plain: Any) -> list[_Found]:
    """The semantic pass, piece by piece (tags, each path item, each component
    schema) in the validator's own order, so that a crash on one piece is one
    located problem and the rest is still checked; then what the validator
    leaves out: request bodies, and the other components that hold schemas."""
    files = _validator_files(spec)
    validator = _locating(_with_sets(plain, files))(
        files[spec.root.path], base_uri="file://" + spec.root.path
    )
    registry = validator.keyword_validators_registry
    top = validator.schema_path
    data = spec.root.data
    pieces: list[_Piece] = []
    if "tags" in data:
        pieces.append((("tags",), partial(registry["tags"], top / "tags")))
    if isinstance(data.get("paths"), dict):
        for url, item in (top / "paths").items():
            pieces.append((("paths", url), partial(registry["path"], url, item)))
    components = data.get("components")
    if isinstance(components, dict) and isinstance(components.get("schemas"), dict):
        for name, schema in (top / "components" / "schemas").items():
            pieces.append(
                (("components", "schemas", name), partial(registry["schema"], schema))
            )
    pieces += _more_pieces(registry, top, data, components=True)
    found: list[_Found] = []
    for where, piece in pieces:
        try:
            for error in piece():
                found += _semantic_found(error)
        except Exception as crash:  # the validator's: one located problem
            at = getattr(crash, _AT, where)
            found.append(_Found("crash", at, (), _crash_message(crash), crash))
    return found


_Piece = tuple[Parts, Callable[[], Iterator[Any]]]


def _more_pieces(
    registry: Any, top: Any, data: dict[str, Any], *, components: bool
) -> list[_Piece]:
    """What the validator's semantic pass leaves out, in pieces: the schemas
    of request bodies, and (with `components`) of the components other than
    `schemas` that hold them, where a default is checked as anywhere else."""
    pieces: list[_Piece] = []
    if isinstance(data.get("paths"), dict):
        for url, item in (top / "paths").items():
            pieces.append((("paths", url), partial(_bodies, registry, item)))
    held = data.get("components") if components else None
    for kind in ("responses", "requestBodies", "parameters"):
        if not isinstance(held, dict) or not isinstance(held.get(kind), dict):
            continue
        for name, node in (top / "components" / kind).items():
            check: Callable[[], Iterator[Any]]
            if kind == "responses":
                check = partial(registry["response"], name, node)
            elif kind == "requestBodies":
                check = partial(_body, registry, node)
            else:
                check = partial(registry["parameter"], node)
            pieces.append((("components", kind, name), check))
    return pieces


def _bodies(registry: Any, item: Any) -> Iterator[Any]:
    """What the validator finds in the request bodies of a path item."""
    for method in METHODS:
        if method in item and "requestBody" in item / method:
            yield from _body(registry, item / method / "requestBody")


def _body(registry: Any, body: Any) -> Iterator[Any]:
    if "content" in body:
        yield from registry["content"](body / "content")


def _crash_message(crash: BaseException) -> str:
    if isinstance(crash, RecursionError):
        return "it recursed too deep"
    return f"{type(crash).__name__}: {_one_line(crash)}"


# Attributes `_locating` sets on what the validator yields or raises.
_AT = "_generator_at"  # the logical path of the node being checked


_KIND = "_generator_kind"  # what kind of check found it, when not obvious


_ALL = "_generator_all"  # every meta-schema error of a schema, not just the first


def _semantic_found(error: Any) -> list[_Found]:
    from openapi_spec_validator.validation.exceptions import ExtraParametersError

    at: Parts = tuple(getattr(error, _AT, ()) or ())
    kind = getattr(error, _KIND, None)
    if kind == "default":
        return [
            _Found(
                "default",
                at + ("default",),
                tuple(error.absolute_path),
                _best_message(error),
                error,
            )
        ]
    if kind == "schema":
        return [
            _Found("schema", at, tuple(e.path), _best_message(e), e)
            for e in getattr(error, _ALL, [error])
        ]
    if isinstance(error, ExtraParametersError):
        return [_Found("required", at, ("required",), str(error.message), error)]
    return [_Found("other", at, (), _best_message(error), error)]


def _with_room_to_recurse(function: Callable[[Spec], _T], spec: Spec) -> _T:
    """`function(spec)` in a thread with a large stack and recursion limit."""
    result: list[_T] = []
    failure: list[BaseException] = []

    def run() -> None:
        try:
            result.append(function(spec))
        except BaseException as error:  # re-raised below
            failure.append(error)

    limit = sys.getrecursionlimit()
    size = threading.stack_size()
    threading.stack_size(_STACK_BYTES)
    sys.setrecursionlimit(max(limit, _RECURSION_LIMIT))
    try:
        thread = threading.Thread(target=run, name="openapi-spec-validator")
        thread.start()
        thread.join()
    finally:
        threading.stack_size(size)
        sys.setrecursionlimit(limit)
    if failure:
        raise failure[0]
    return result[0]


# Room for a reference chain thousands of schemas long (about 20 frames and a
# few kilobytes of C stack per schema); the stack is only reserved, not used.
_RECURSION_LIMIT = 200_000


_STACK_BYTES = 1 << 30


_SUBSCRIPTABLE = ("__contains__", "__getitem__", "__len__")


class _Subscriptable(metaclass=abc.ABCMeta):  # noqa: B024 - structural
    """pathable's `Subscriptable` protocol as an ABC (by `__subclasshook__`): the
    same answer, from the same methods, but cached per type. The validator asks it once per step
    into the document (67,000 times on authentik); Python 3.11 recomputes a
    runtime protocol's members on every `isinstance`, a fifth of the
    validator's time."""

    @classmethod
    def __subclasshook__(cls, other: type) -> Any:
        for name in _SUBSCRIPTABLE:
            for base in other.__mro__:
                if name in vars(base):
                    if vars(base)[name] is None:
                        return NotImplemented
                    break
            else:
                return NotImplemented
        return True


@contextlib.contextmanager
def _quick_subscriptable_checks() -> Iterator[None]:
    """pathable's accessors checking against `_Subscriptable` meanwhile, if
    the protocol is still the one vetted (else as they are)."""
    try:
        import typing

        from pathable import accessors
    except ImportError:
        yield
        return
    protocol = getattr(accessors, "Subscriptable", None)
    members = getattr(typing, "_get_protocol_attrs", lambda _: None)(protocol)
    if protocol is None or members != set(_SUBSCRIPTABLE):
        yield
        return
    setattr(accessors, "Subscriptable", _Subscriptable)  # noqa: B010
    try:
        yield
    finally:
        setattr(accessors, "Subscriptable", protocol)  # noqa: B010


class _IdSet(set[Any]):
    """The validator keeps visited schemas and seen operation ids in lists,
    asked `in` once per schema or operation: quadratic on a large spec (7× the
    time for 5× the operations). A set answers the same, at once."""

    def append(self, value: Any) -> None:
        self.add(value)


def _with_sets(plain: Any, files: dict[str, Any]) -> Any:
    """`plain`, an openapi-spec-validator class, fixed where it fails us: its
    seen-lists as sets, `allOf` cycles followed once, and the spec's files
    read from what we loaded (never from disk again, never from the network:
    a `$ref` to a URL inside data such as a default is not fetched)."""
    schema_class = plain.keyword_validators["schema"]
    operation_class = plain.keyword_validators["operation"]

    class SchemaValidator(schema_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.visited_schema_ids = _IdSet()
            self.meta_checked_schema_ids = _IdSet()

        def _collect_properties(self, schema: Any) -> set[str]:
            """The validator's, which recurses without end on an `allOf` cycle."""
            found: set[str] = set()
            seen: set[int] = set()
            stack = [schema]
            while stack:
                current = stack.pop()
                value = current.read_value()
                if not isinstance(value, Mapping) or id(value) in seen:
                    continue
                seen.add(id(value))
                if "properties" in current:
                    found.update(str(k) for k in (current / "properties").keys())
                for keyword in ("allOf", "anyOf", "oneOf"):
                    if keyword in current:
                        stack.extend(current / keyword)
                for keyword in ("items", "not"):
                    if keyword in current:
                        stack.append(current / keyword)
            return found

    class OperationValidator(operation_class):  # type: ignore[misc, valid-type]
        def __init__(self, registry: Any) -> None:
            super().__init__(registry)
            self.operation_ids_registry = _IdSet()

    def read(uri: str) -> Any:
        from urllib.parse import unquote, urlsplit

        parsed = urlsplit(uri)
        path = os.path.normpath(unquote(parsed.path))
        if parsed.scheme == "file" and path in files:
            return files[path]
        raise ValueError(f"{uri} is not a file of this spec")

    class SpecValidator(plain):  # type: ignore[misc]
        keyword_validators = {
            **plain.keyword_validators,
            "schema": SchemaValidator,
            "operation": OperationValidator,
        }
        resolver_handlers = _EveryScheme(read)

    return SpecValidator


def _validator_files(spec: Spec) -> dict[str, Any]:
    """The data of each file as the validator is to read it.

    `properties` that is one `$ref` (see `ref-properties`) is made a `$ref` per
    property: as written, the validator would crash on it (referencing takes
    each value of `properties` for a schema), and somewhere else than where it
    is. A mapping in data that holds a `$ref` key (a default) is a `_Data`,
    which `_data_is_data` keeps the validator from following."""
    files = {}
    for source in spec.files.values():
        references = {
            parts[:-1]
            for parts, _ in iter_refs(source.data, document=source is spec.root)
        }
        changes: list[tuple[Parts, Callable[[Any], Any]]] = []
        stack: list[tuple[Parts, Any]] = [((), source.data)]
        while stack:
            parts, node = stack.pop()
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str) and parts not in references:
                    changes.append((parts, _Data))
                props = node.get("properties")
                if isinstance(props, dict) and isinstance(props.get("$ref"), str):
                    here = _At(source, parts + ("properties",), props)
                    target = _follow(spec, here)
                    if target is not None and isinstance(target.value, dict):
                        changes.append((here.parts, partial(_one_ref_each, target)))
                stack.extend((parts + (k,), v) for k, v in node.items())
            elif isinstance(node, list):
                stack.extend((parts + (i,), v) for i, v in enumerate(node))
        data = source.data
        # The deepest first: a change rebuilds the containers above it.
        for parts, change in sorted(changes, key=lambda c: -len(c[0])):
            data = _replaced(data, parts, change)
        files[source.path] = data
    return files


class _Data(dict[str, Any]):
    """A mapping in data (a default) that holds a `$ref` key: a value."""


@contextlib.contextmanager
def _data_is_data() -> Iterator[None]:
    """jsonschema-path takes any mapping with a `$ref` string for a reference,
    and follows it when the validator reads a default; meanwhile, not a
    `_Data` one."""
    from jsonschema_path import nodes

    plain = getattr(nodes, "is_ref", None)
    if plain is None:  # not the jsonschema-path this was written against
        yield
        return

    def is_ref(item: Any) -> bool:
        return bool(plain(item)) and not isinstance(item, _Data)

    setattr(nodes, "is_ref", is_ref)  # noqa: B010
    try:
        yield
    finally:
        setattr(nodes, "is_ref", plain)  # noqa: B010


def _one_ref_each(target: _At, _: Any) -> dict[str, Any]:
    """A `properties` that was one `$ref` to `target`: a `$ref` per property."""
    return {
        key: {"$ref": _uri(target.source, target.parts + (key,))}
        for key in target.value
    }


def _uri(source: SourceFile, parts: Parts) -> str:
    from urllib.parse import quote

    return f"file://{quote(source.path)}#{quote(pointer_of(parts))}"


def _replaced(data: Any, parts: Parts, change: Callable[[Any], Any]) -> Any:
    """`data` with the node at `parts` changed by `change`, copied on write."""
    if not parts:
        return change(data)
    head, rest = parts[0], parts[1:]
    if isinstance(data, dict):
        return {**data, head: _replaced(data[head], rest, change)}
    copy = list(data)
    copy[int(head)] = _replaced(copy[int(head)], rest, change)
    return copy


class _EveryScheme(dict[str, Any]):
    """A handler table holding one handler for every URI scheme: jsonschema-path
    opens a URI of any scheme not in its table with urllib."""

    def __init__(self, handler: Callable[[str], Any]) -> None:
        super().__init__()
        self.handler = handler

    def __contains__(self, scheme: object) -> bool:
        return True

    def __getitem__(self, scheme: str) -> Any:
        return self.handler


def _locating(plain: Any) -> Any:
    """`plain` (from `_with_sets`) with keyword validators that say where: what
    each yields or raises carries the logical path of the node it was checking
    (`_AT`, set by the innermost), and the schema checks say what they found
    (`_KIND`), with every meta-schema error of a schema (`_ALL`), not just the
    first."""
    from jsonschema_path import SchemaPath

    def tagged(base: Any) -> Any:
        class Tagged(base):  # type: ignore[misc]
            def __call__(self, *args: Any, **kwargs: Any) -> Iterator[Any]:
                at = next((a.parts for a in args if isinstance(a, SchemaPath)), ())
                try:
                    for error in super().__call__(*args, **kwargs):
                        if not hasattr(error, _AT):
                            setattr(error, _AT, tuple(at))
                        yield error
                except Exception as crash:
                    if not hasattr(crash, _AT):
                        setattr(crash, _AT, tuple(at))
                    raise

        return Tagged

    default_class = plain.keyword_validators["default"]
    schema_class = plain.keyword_validators["schema"]

    class DefaultValidator(default_class):  # type: ignore[misc, valid-type]
        def __call__(self, schema: Any, value: Any) -> Iterator[Any]:
            for error in super().__call__(schema, value):
                setattr(error, _KIND, "default")
                yield error

    class SchemaValidator(schema_class):  # type: ignore[misc, valid-type]
        def __call__(
            self,
            schema: Any,
            require_properties: bool = True,
            meta_checked: bool = False,
        ) -> Iterator[Any]:
            """The validator's, which does not walk a schema that fails its
            meta-schema: here, when every failure is harmless (a keyword that
            generation leaves out), the walk goes on, so that what is below
            is checked before it is generated."""
            value = schema.read_value()
            if (
                not meta_checked
                and isinstance(value, Mapping | bool)
                and id(value) not in self.meta_checked_schema_ids
            ):
                self.meta_checked_schema_ids.append(id(value))
                error = self._validate_schema_meta(schema, value)
                if error is not None:
                    yield error
                    every = getattr(error, _ALL, [error])
                    if not all(_harmless(tuple(e.path), e) for e in every):
                        return
            yield from super().__call__(schema, require_properties, True)

        def _validate_schema_meta(self, schema: Any, value: Any) -> Any:
            if _valid_in_rust(self, schema, value):
                return None
            error = super()._validate_schema_meta(schema, value)
            if error is not None:
                setattr(error, _KIND, "schema")
                setattr(error, _ALL, self._every_meta_error(schema, value, error))
            return error

        def _every_meta_error(self, schema: Any, value: Any, first: Any) -> list[Any]:
            """The errors after the first, each found with the node of the
            one before left out: the validator reports one per schema."""
            errors = [first]
            for _ in range(_MORE_META_ERRORS):
                path = tuple(str(p) for p in errors[-1].path)
                if not path:
                    break
                value = _pruned(value, _trie([path]))
                error = super()._validate_schema_meta(schema, value)
                if error is None:
                    break
                errors.append(error)
            return errors

    validators = {
        **plain.keyword_validators,
        "default": DefaultValidator,
        "schema": SchemaValidator,
    }

    class SpecValidator(plain):  # type: ignore[misc]
        keyword_validators = {k: tagged(v) for k, v in validators.items()}

    return SpecValidator


_MORE_META_ERRORS = 50


def _valid_in_rust(validator: Any, schema: Any, value: Any) -> bool:
    """Whether the meta-schema check of a schema passes `value`, answered by
    jsonschema-rs (compiled; openapi-spec-validator's structural pass already
    uses it) from one validator built once, where the validator's own check
    builds a pure-Python one per schema (and for 3.1 walks the meta-schema's
    dynamic references slowly: 80 % of the check on OpenAI's spec).

    Only a pass is taken from it: False sends the schema to the validator's
    own check, which stays the authority on every error and its message. It
    answers only where it checks the same thing: the very checker the
    validator would call (3.0's, or 3.1's for the OpenAPI base dialect; a
    schema with another `$schema`, or a `jsonSchemaDialect`, goes the usual
    way). jsonschema-rs checks no formats: the only values the meta-schemas
    give a format that the validator's format checker asserts are regular
    expressions (`pattern`, the keys of `patternProperties`), and those are
    asked of that very format checker first, wherever such a key sits in
    `value` (more places than the meta-schema checks, which can only send
    more schemas the usual way)."""
    try:
        checker = validator._get_schema_checker(schema, value)
    except ValueError:
        return False
    found = next(
        (
            (check, formats)
            for expected, check, formats in _rust_meta_checks()
            if _same_checker(checker, expected)
        ),
        None,
    )
    if found is None:
        return False
    check, formats = found
    if not _patterns_conform(value, formats):
        return False
    try:
        return bool(check(value))
    except Exception:  # a value it cannot take: the validator's own check decides
        return False


def _same_checker(checker: Any, expected: Any) -> bool:
    if isinstance(expected, partial):
        return (
            isinstance(checker, partial)
            and checker.func == expected.func
            and checker.args == expected.args
            and checker.keywords == expected.keywords
        )
    return bool(checker == expected)


@functools.cache
def _rust_meta_checks() -> list[tuple[Any, Callable[[Any], bool], Any]]:
    """(a meta-schema checker openapi-spec-validator calls, jsonschema-rs's
    `is_valid` on the same meta-schema, the format checker it checks with),
    for 3.0 and for 3.1's base dialect; none where the libraries are not as
    vetted."""
    try:
        import jsonschema_rs
        from jsonschema.validators import validator_for
        from openapi_schema_validator._dialects import OAS31_BASE_DIALECT_ID
        from openapi_schema_validator._specifications import REGISTRY
        from openapi_spec_validator.validation.keywords import (
            OpenAPIV30SchemaValidator,
            OpenAPIV31SchemaValidator,
        )

        registry = jsonschema_rs.Registry(
            [(uri, resource.contents) for uri, resource in REGISTRY.items()]
        )
        v30 = OpenAPIV30SchemaValidator.schema_validator_cls
        v31 = validator_for({"$schema": OAS31_BASE_DIALECT_ID}, default=None)
        formats31 = OpenAPIV31SchemaValidator.schema_validator_format_checker
        if v31 is None:
            return []
        return [
            (
                v30.check_schema,
                jsonschema_rs.validator_for(
                    v30.META_SCHEMA, registry=registry, validate_formats=False
                ).is_valid,
                v30.FORMAT_CHECKER,
            ),
            (
                partial(v31.check_schema, format_checker=formats31),
                jsonschema_rs.validator_for(
                    v31.META_SCHEMA, registry=registry, validate_formats=False
                ).is_valid,
                formats31,
            ),
        ]
    except Exception:  # not the libraries this was written against
        return []


def _patterns_conform(value: Any, formats: Any) -> bool:
    """Whether every `pattern` string and every key of a `patternProperties`
    mapping anywhere in `value` is a `regex` to the format checker `formats`."""
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, Mapping):
            pattern = node.get("pattern")
            if isinstance(pattern, str) and not formats.conforms(pattern, "regex"):
                return False
            patterns = node.get("patternProperties")
            if isinstance(patterns, Mapping) and not all(
                formats.conforms(key, "regex") for key in patterns
            ):
                return False
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return True


def _inline_subschemas(schema: Mapping[str, Any]) -> Iterable[Any]:
    """The subschemas the validator visits that a meta-schema check of `schema`
    covers: written inline, not references, not their own schema resources."""
    children: list[Any] = []
    for key in ("allOf", "anyOf", "oneOf"):
        value = schema.get(key)
        if isinstance(value, list):
            children.extend(value)
    for key in ("not", "items"):
        children.append(schema.get(key))
    properties = schema.get("properties")
    if isinstance(properties, Mapping):
        children.extend(properties.values())
    return [
        child
        for child in children
        if isinstance(child, Mapping)
        and not {"$ref", "$id", "$schema", "$dynamicRef"} & set(child)
    ]
