"""The published specs, made measurable: fix-up copies, a one-file bundle, a 3.0 form.

None of the published specs in `../shared/specs/published/` passes
openapi-spec-validator as published. Until our generator accepts them as they
are, the benchmark measures copies with the offending values removed, made
here by a fixed list of rules (below), each edit spliced into the original
text so that everything else (layout, quoting, comments, how the spec is split
into files) stays byte for byte as published. Every copy goes to the scratch
folder the caller names, never into the repository.

This script runs with the project's `.venv`: it reads YAML with PyYAML (its
node positions say where to splice) and checks defaults with
openapi-schema-validator, both dependencies of the generator. run.py, which
stays standard-library only, calls it as a subprocess.

    python bench/published.py fixup SOURCE OUT_DIR   # prints JSON: entry, rules applied
    python bench/published.py bundle ENTRY OUT        # one file, the same data
    python bench/published.py downgrade SOURCE OUT31 OUT30  # the same 3.1 spec, and in 3.0 form

The rules, applied to any spec, each counted in the JSON summary:

- `path-invalid`: a path item whose path holds a character no URL path may
  hold (`?`, `<`, `>`, ...) is removed, with its operations;
- `default-invalid`: a schema's `default` that the schema itself rejects
  (openapi-schema-validator, references resolved) is removed;
- `exclusive-boolean`: in a 3.1 document, a boolean `exclusiveMinimum` or
  `exclusiveMaximum` (the 3.0 form; 3.1 wants the bound) is removed;
- `recursive-anchor`: `$recursiveAnchor` (JSON Schema 2019-09, not in the 3.1
  dialect) is removed;
- `required-duplicate`: a name listed twice in `required` is listed once;
- `operation-ref`: an operation that is only a `$ref` to a file (not allowed
  on an Operation object) is replaced by that file's text, indented under the
  method, its own references rewritten to hold from there (as DigitalOcean's
  own bundling does; the rest of the spec stays split);
- `properties-ref`: `properties: {$ref: F#/P}` (a `$ref` where a map of
  schemas belongs) becomes one `$ref` per property of `F#/P`;
- `description-ref`: a `description` that is a `$ref` (to Markdown kept in
  another file; a description is a string) is removed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import yaml

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
BAD_PATH_CHARS = frozenset('"<>\\^`|#? ')
Parts = tuple[str | int, ...]


# --------------------------------------------------------------------------- #
# Splicing edits into YAML text by node position
# --------------------------------------------------------------------------- #


class Edits:
    """Replacements of spans of one text, applied together from the end."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.spans: list[tuple[int, int, str]] = []

    def replace(self, start: int, end: int, new: str) -> None:
        self.spans.append((start, end, new))

    def apply(self) -> str:
        out = self.text
        last = len(out) + 1
        for start, end, new in sorted(self.spans, reverse=True):
            if end > last:
                raise ValueError(f"overlapping edits at {start}..{end}")
            out = out[:start] + new + out[end:]
            last = start
        return out


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _content_end(node: yaml.Node) -> int:
    """Where a node's own text ends (a block collection's end mark lies past
    the comments and blank lines that follow it)."""
    if isinstance(node, yaml.MappingNode) and node.value and not node.flow_style:
        return _content_end(node.value[-1][1])
    if isinstance(node, yaml.SequenceNode) and node.value and not node.flow_style:
        return _content_end(node.value[-1])
    return int(node.end_mark.index)


def _after_line(text: str, index: int) -> int:
    """The start of the line after the one `index` is on (or `index` if it
    starts a line already, as a block scalar's end does)."""
    if index > 0 and text[index - 1] == "\n":
        return index
    newline = text.find("\n", index)
    return len(text) if newline < 0 else newline + 1


def remove_pair(edits: Edits, mapping: yaml.MappingNode, index: int) -> None:
    """Remove the `index`-th key of a mapping, with its value."""
    text = edits.text
    pairs = mapping.value
    if len(pairs) < 2:
        raise ValueError(f"line {mapping.start_mark.line + 1}: would empty a mapping")
    key = pairs[index][0]
    if mapping.flow_style:
        if index + 1 < len(pairs):
            start, end = key.start_mark.index, pairs[index + 1][0].start_mark.index
        else:
            start, end = _content_end(pairs[index - 1][1]), _content_end(
                pairs[index][1]
            )
        edits.replace(start, end, "")
        return
    line = _line_start(text, key.start_mark.index)
    alone = not text[line : key.start_mark.index].strip()  # not after a "- "
    start = line if alone else key.start_mark.index
    if index + 1 < len(pairs):
        following = pairs[index + 1][0].start_mark.index
        end = _line_start(text, following) if alone else following
    else:
        end = _after_line(text, _content_end(pairs[index][1]))
        if not alone:  # `- key: value` as the last pair of an item: keep the "- "
            raise ValueError(f"line {key.start_mark.line + 1}: cannot remove")
    edits.replace(start, end, "")


def replace_value(edits: Edits, node: yaml.Node, new: str) -> None:
    """Replace a value's own text by `new` (written at the value's column)."""
    edits.replace(node.start_mark.index, _content_end(node), new)


def node_at(root: yaml.Node, parts: Parts) -> yaml.Node:
    node = root
    for part in parts:
        if isinstance(node, yaml.MappingNode):
            node = next(v for k, v in node.value if k.value == part)
        elif isinstance(node, yaml.SequenceNode):
            node = node.value[int(part)]
        else:
            raise KeyError(parts)
    return node


def key_index(mapping: yaml.MappingNode, key: str) -> int:
    return next(i for i, (k, _) in enumerate(mapping.value) if k.value == key)


# --------------------------------------------------------------------------- #
# Finding what to fix, on the data
# --------------------------------------------------------------------------- #

# Keys whose value is one schema, and keys whose value maps names (or lists) to schemas.
_ONE = ("schema", "items", "additionalProperties", "not", "contains", "if", "then")
_ONE += ("else", "propertyNames", "unevaluatedProperties", "unevaluatedItems")
_MANY = ("properties", "patternProperties", "$defs", "allOf", "anyOf", "oneOf")
_MANY += ("prefixItems",)
_DATA = ("example", "examples", "default", "enum", "const")


def schemas(document: Any) -> Iterator[tuple[Parts, dict[str, Any]]]:
    """Every schema object (a mapping) of a document, with where it sits."""
    stack: list[tuple[Parts, Any, bool]] = [((), document, False)]
    while stack:
        parts, node, is_schema = stack.pop()
        if isinstance(node, list):
            stack.extend((parts + (i,), v, False) for i, v in enumerate(node))
            continue
        if not isinstance(node, dict):
            continue
        if is_schema:
            yield parts, node
        for key, value in node.items():
            if is_schema and key in _DATA:
                continue
            if key in _ONE or (key == "schemas" and parts[-1:] == ("components",)):
                many = key == "schemas"
            elif key in _MANY:
                many = True
            else:
                if not is_schema:
                    stack.append((parts + (key,), value, False))
                continue
            if many and isinstance(value, dict):
                stack.extend((parts + (key, k), v, True) for k, v in value.items())
            elif many and isinstance(value, list):
                stack.extend((parts + (key, i), v, True) for i, v in enumerate(value))
            elif isinstance(value, dict):
                stack.append((parts + (key,), value, True))


def _default_checker(document: Any, v31: bool) -> Callable[[dict[str, Any]], bool]:
    """Whether a schema accepts its own `default` (local references resolved)."""
    from openapi_schema_validator import OAS30Validator, OAS31Validator
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    registry: Registry[Any] = Registry().with_resource(
        "", Resource(contents=document, specification=DRAFT202012)
    )
    cls = OAS31Validator if v31 else OAS30Validator

    def accepts(schema: dict[str, Any]) -> bool:
        validator = cls(schema, registry=registry, _resolver=registry.resolver(""))
        try:
            return next(validator.iter_errors(schema["default"]), None) is None
        except Exception:  # a reference to another file, say: leave it be
            return True

    return accepts


def problems(document: Any) -> list[tuple[str, Parts, str]]:
    """(rule, mapping's parts, key) of each value to remove or rewrite."""
    found: list[tuple[str, Parts, str]] = []
    v31 = str(document.get("openapi", "")).startswith("3.1")
    paths = document.get("paths")
    for path in paths if isinstance(paths, dict) else {}:
        if BAD_PATH_CHARS.intersection(path):
            found.append(("path-invalid", ("paths",), path))
    stack: list[tuple[Parts, Any]] = [((), document)]
    while stack:
        parts, node = stack.pop()
        if isinstance(node, dict):
            description = node.get("description")
            if isinstance(description, dict) and "$ref" in description:
                found.append(("description-ref", parts, "description"))
            stack.extend(
                (parts + (k,), v)
                for k, v in node.items()
                if k not in _DATA and not str(k).startswith("x-")
            )
        elif isinstance(node, list):
            stack.extend((parts + (i,), v) for i, v in enumerate(node))
    accepts = _default_checker(document, v31)
    for parts, schema in schemas(document):
        if parts[:2] == ("paths",) and len(parts) > 1:
            if BAD_PATH_CHARS.intersection(str(parts[1])):
                continue  # removed with its path
        if "default" in schema and not accepts(schema):
            found.append(("default-invalid", parts, "default"))
        for key in ("exclusiveMinimum", "exclusiveMaximum"):
            if v31 and isinstance(schema.get(key), bool):
                found.append(("exclusive-boolean", parts, key))
        if "$recursiveAnchor" in schema:
            found.append(("recursive-anchor", parts, "$recursiveAnchor"))
        required = schema.get("required")
        if isinstance(required, list) and len(set(map(str, required))) < len(required):
            found.append(("required-duplicate", parts, "required"))
        properties = schema.get("properties")
        if isinstance(properties, dict) and isinstance(properties.get("$ref"), str):
            found.append(("properties-ref", parts, "properties"))
    return found


# --------------------------------------------------------------------------- #
# fixup
# --------------------------------------------------------------------------- #


def _read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _is_json(path: Path) -> bool:
    return path.suffix == ".json"


def fix_json(source: Path, target: Path, counts: Counter[str]) -> None:
    """A JSON spec: the rules on the data, written back in the same layout
    (checked: re-written unchanged, the text must come back byte for byte)."""
    text = _read(source)
    document = json.loads(text)
    if json.dumps(document, indent=2, ensure_ascii=False) + "\n" != text:
        raise ValueError(f"{source}: not laid out as json.dumps(indent=2)")
    for rule, parts, key in problems(document):
        owner = document
        for part in parts:
            owner = owner[part]
        if rule == "required-duplicate":
            owner[key] = list(dict.fromkeys(owner[key]))
        elif rule == "properties-ref":
            raise ValueError(f"{source}: properties-ref in JSON is not handled")
        else:
            del owner[key]
        counts[rule] += 1
    target.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def fix_yaml(path: Path, counts: Counter[str]) -> None:
    """A YAML file of the copy, fixed in place (its own rules only)."""
    text = _read(path)
    document = yaml.load(text, Loader=Loader)
    if not isinstance(document, dict):
        return
    todo = problems(document)
    if not todo:
        return
    tree = yaml.compose(text, Loader=Loader)
    edits = Edits(text)
    removals: dict[int, list[int]] = {}  # id(mapping) -> indexes removed
    for rule, parts, key in todo:
        owner = node_at(tree, parts)
        assert isinstance(owner, yaml.MappingNode)
        index = key_index(owner, key)
        counts[rule] += 1
        if rule == "required-duplicate":
            unique = list(dict.fromkeys(document_at(document, parts)[key]))
            replace_value(edits, owner.value[index][1], json.dumps(unique))
        elif rule == "properties-ref":
            value = owner.value[index][1]
            ref = document_at(document, parts)["properties"]["$ref"]
            names = _ref_target(path, ref)
            column = value.start_mark.column
            lines = [
                f"{json.dumps(name)}:\n{' ' * (column + 2)}$ref: "
                + json.dumps(f"{ref}/{name.replace('~', '~0').replace('/', '~1')}")
                for name in names
            ]
            replace_value(edits, value, ("\n" + " " * column).join(lines))
        else:
            removals.setdefault(id(owner), []).append(index)
            if len(removals[id(owner)]) >= len(owner.value):
                raise ValueError(f"{path}: would empty the mapping at {parts}")
            remove_pair(edits, owner, index)
    path.write_text(edits.apply(), encoding="utf-8")


def document_at(document: Any, parts: Parts) -> Any:
    for part in parts:
        document = document[part]
    return document


def _ref_target(base: Path, ref: str) -> list[str]:
    """The keys of the mapping a `$ref` (from the file `base`) names."""
    file_part, _, fragment = ref.partition("#")
    target = (base.parent / file_part) if file_part else base
    value = yaml.load(_read(target), Loader=Loader)
    for part in fragment.strip("/").split("/") if fragment.strip("/") else []:
        value = value[part.replace("~1", "/").replace("~0", "~")]
    if not isinstance(value, dict):
        raise ValueError(f"{base}: {ref} does not name a mapping")
    return [str(key) for key in value]


def _embedded(text: str, indent: str) -> str:
    """A whole YAML file's text, indented to sit under a key."""
    lines = text.splitlines()
    if lines and lines[0].rstrip() == "---":
        lines = lines[1:]
    if any(line.rstrip() in ("---", "...") or line.startswith("%") for line in lines):
        raise ValueError("a multi-document file cannot be embedded")
    return "".join(f"{indent}{line}\n" if line.strip() else "\n" for line in lines)


def _relocated(path: Path, folder: Path) -> str:
    """The text of the YAML file `path` with its references rewritten to
    hold from `folder` instead (its local `#...` ones name `path` itself)."""
    text = _read(path)
    edits = Edits(text)
    stack = [yaml.compose(text, Loader=Loader)]
    while stack:
        node = stack.pop()
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if key.value == "$ref" and isinstance(value, yaml.ScalarNode):
                    file_part, hash_, fragment = value.value.partition("#")
                    target = path.parent / file_part if file_part else path
                    moved = os.path.relpath(os.path.normpath(target), folder)
                    edits.replace(
                        value.start_mark.index,
                        value.end_mark.index,
                        json.dumps(moved + hash_ + fragment),
                    )
                else:
                    stack.append(value)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return edits.apply()


def inline_operation_refs(entry: Path, counts: Counter[str]) -> None:
    """Operations that are only a `$ref` to a file: the file's text, indented
    under the method in the entry, its references rewritten to hold there."""
    text = _read(entry)
    tree = yaml.compose(text, Loader=Loader)
    if not isinstance(tree, yaml.MappingNode) or not any(
        k.value == "paths" for k, _ in tree.value
    ):
        return
    paths = node_at(tree, ("paths",))
    edits = Edits(text)
    for _, item in paths.value if isinstance(paths, yaml.MappingNode) else []:
        for method, op in item.value if isinstance(item, yaml.MappingNode) else []:
            if not (
                method.value in METHODS
                and isinstance(op, yaml.MappingNode)
                and len(op.value) == 1
                and op.value[0][0].value == "$ref"
            ):
                continue
            ref = op.value[0][1].value
            if "#" in ref:
                raise ValueError(f"{entry}: an operation $ref with a fragment: {ref}")
            body = _relocated(entry.parent / ref, entry.parent)
            indent = " " * op.start_mark.column
            # From the end of `method:` to the end of its value: a new block.
            edits.replace(
                method.end_mark.index,
                _after_line(text, _content_end(op)),
                ":\n" + _embedded(body, indent),
            )
            counts["operation-ref"] += 1
    entry.write_text(edits.apply(), encoding="utf-8")


def file_refs(document: Any) -> Iterator[str]:
    """The file part of every `$ref` to another file in a document."""
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not ref.startswith("#"):
                yield ref.partition("#")[0]
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)


def reachable(entry: Path) -> list[Path]:
    """The entry and every file its references reach, in a stable order."""
    seen = {entry.resolve(): entry}
    pending = [entry]
    while pending:
        path = pending.pop()
        document = yaml.load(_read(path), Loader=Loader)
        for ref in file_refs(document):
            target = Path(os.path.normpath(path.parent / ref))
            if target.resolve() not in seen:
                seen[target.resolve()] = target
                pending.append(target)
    return sorted(seen.values())


def fixup(source: Path, out_dir: Path) -> dict[str, Any]:
    """The fixed copy of `source` under `out_dir` (a spec split into files:
    its whole folder, copied); what was done."""
    counts: Counter[str] = Counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    if _is_json(source):
        entry = out_dir / source.name
        fix_json(source, entry, counts)
        files = [entry]
    else:
        split = any(True for _ in file_refs(yaml.load(_read(source), Loader=Loader)))
        if split:
            copied = out_dir / source.parent.name
            shutil.copytree(source.parent, copied)
            entry = copied / source.name
            inline_operation_refs(entry, counts)
        else:
            entry = out_dir / source.name
            shutil.copyfile(source, entry)
        for path in reachable(entry):
            fix_yaml(path, counts)
        files = reachable(entry)
    return {
        "entry": str(entry),
        "removed": dict(sorted(counts.items())),
        "files": len(files),
    }


# --------------------------------------------------------------------------- #
# bundle
# --------------------------------------------------------------------------- #


BUNDLED = "x-bundled"


def bundle(entry: Path, target: Path) -> dict[str, Any]:
    """`entry` and every file it reaches, as one YAML file: the entry's text,
    then each other file's text under `x-bundled: {its path: ...}`, every
    reference rewritten to point inside. Each file is held once, as written,
    so the bundle is the same data and the same YAML as the split spec."""
    files = reachable(entry)
    folder = entry.parent
    keys = {path.resolve(): os.path.relpath(path, folder) for path in files}

    def pointer(path: Path) -> str:
        if path.resolve() == entry.resolve():
            return "#"
        escaped = keys[path.resolve()].replace("~", "~0").replace("/", "~1")
        return f"#/{BUNDLED}/{escaped}"

    def rewritten(path: Path) -> str:
        text = _read(path)
        edits = Edits(text)
        stack = [yaml.compose(text, Loader=Loader)]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                for key, value in node.value:
                    if key.value == "$ref" and isinstance(value, yaml.ScalarNode):
                        file_part, _, fragment = value.value.partition("#")
                        where = Path(os.path.normpath(path.parent / file_part))
                        new = pointer(where if file_part else path) + fragment
                        edits.replace(
                            value.start_mark.index,
                            value.end_mark.index,
                            json.dumps(new),
                        )
                    else:
                        stack.append(value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
        return edits.apply()

    head = rewritten(entry)
    if BUNDLED in (yaml.load(head, Loader=Loader) or {}):
        raise ValueError(f"{entry} has an `{BUNDLED}` key already")
    parts = [head.rstrip("\n") + "\n", f"{BUNDLED}:\n"]
    for path in files:
        if path.resolve() != entry.resolve():
            parts.append(f"  {json.dumps(keys[path.resolve()])}:\n")
            parts.append(_embedded(rewritten(path), "    "))
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("".join(parts), encoding="utf-8")
    return {"entry": str(target), "files": len(files), "bytes": target.stat().st_size}


# --------------------------------------------------------------------------- #
# downgrade
# --------------------------------------------------------------------------- #


#: The keys of OpenAPI 3.0's Schema Object. A 3.1 schema's other keys (JSON
#: Schema keywords 3.0 lacks, and unknown ones, which 3.1 ignores) are dropped.
_SCHEMA_30 = frozenset(
    {
        "title", "multipleOf", "maximum", "exclusiveMaximum", "minimum",
        "exclusiveMinimum", "maxLength", "minLength", "pattern", "maxItems",
        "minItems", "uniqueItems", "maxProperties", "minProperties", "required",
        "enum", "type", "not", "allOf", "oneOf", "anyOf", "items", "properties",
        "additionalProperties", "description", "format", "default", "nullable",
        "discriminator", "readOnly", "writeOnly", "example", "externalDocs",
        "deprecated", "xml", "$ref",
    }
)  # fmt: skip


def _is_null(schema: Any) -> bool:
    return (
        isinstance(schema, dict) and schema.get("type") == "null" and len(schema) <= 2
    )


def _down_schema(schema: Any, counts: Counter[str]) -> Any:
    """One 3.1 schema in 3.0 form (its subschemas too)."""
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    nullable = False
    for key, value in schema.items():
        if key == "required" and value == []:
            counts["empty required"] += 1  # 3.0 wants at least one name
        elif key == "type" and isinstance(value, list):
            kinds = [kind for kind in value if kind != "null"]
            nullable = nullable or len(kinds) < len(value)
            if len(kinds) == 1:
                out["type"] = kinds[0]
            elif kinds:
                out["anyOf"] = [{"type": kind} for kind in kinds]
            counts["type list"] += 1
        elif key == "type" and value == "null":
            nullable = True
            out["enum"] = [None]
            counts["type null"] += 1
        elif key == "const":
            out["enum"] = [value]
            counts["const"] += 1
        elif key == "examples" and isinstance(value, list):
            if value:
                out["example"] = value[0]
            counts["schema examples"] += 1
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and not isinstance(
            value, bool
        ):
            out["minimum" if key == "exclusiveMinimum" else "maximum"] = value
            out[key] = True
            counts["numeric exclusive bound"] += 1
        elif key in ("anyOf", "oneOf", "allOf") and isinstance(value, list):
            kept = [_down_schema(item, counts) for item in value if not _is_null(item)]
            if len(kept) < len(value):
                nullable = True
                counts[f"null in {key}"] += 1
            if kept:
                out[key] = kept
        elif key in ("properties",) and isinstance(value, dict):
            out[key] = {
                name: _down_schema(item, counts) for name, item in value.items()
            }
        elif key in ("items", "not", "additionalProperties") and isinstance(
            value, dict
        ):
            out[key] = _down_schema(value, counts)
        else:
            out[key] = value
    for key in [
        key for key in out if key not in _SCHEMA_30 and not key.startswith("x-")
    ]:
        counts[f"dropped {key}"] += 1
        del out[key]
    if "$ref" in out and len(out) > 1:
        # 3.0 ignores a reference's siblings: the reference goes into allOf.
        ref = out.pop("$ref")
        out["allOf"] = [{"$ref": ref}, *out.get("allOf", [])]
        counts["$ref with siblings"] += 1
    if nullable:
        out["nullable"] = True
    return out


def _down(node: Any, counts: Counter[str], parts: Parts = ()) -> Any:
    """A 3.1 document's non-schema part, its schemas turned to 3.0."""
    if isinstance(node, list):
        return [_down(item, counts, parts + (i,)) for i, item in enumerate(node)]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "schema" and isinstance(value, dict):
            out[key] = _down_schema(value, counts)
        elif key == "schemas" and parts[-1:] == ("components",):
            out[key] = {k: _down_schema(v, counts) for k, v in value.items()}
        elif key in ("example", "examples", "default") or key.startswith("x-"):
            out[key] = value
        else:
            out[key] = _down(value, counts, parts + (key,))
    return out


def downgrade(source: Path, out31: Path, out30: Path) -> dict[str, Any]:
    """A 3.1 spec written as JSON (`out31`), and the same spec in 3.0 form
    (`out30`), also JSON: so that the two differ in their OpenAPI version only."""
    document = yaml.load(_read(source), Loader=Loader)
    if not str(document.get("openapi", "")).startswith("3.1"):
        raise ValueError(f"{source} is not OpenAPI 3.1")
    counts: Counter[str] = Counter()
    converted = _down(document, counts)
    converted["openapi"] = "3.0.3"
    for key in ("webhooks", "jsonSchemaDialect"):
        if converted.pop(key, None) is not None:
            counts[f"dropped {key}"] += 1
    info = converted.get("info", {})
    if info.pop("summary", None) is not None:
        counts["dropped info.summary"] += 1
    if isinstance(info.get("license"), dict) and info["license"].pop(
        "identifier", None
    ):
        counts["dropped license.identifier"] += 1
    if converted.get("components", {}).pop("pathItems", None) is not None:
        counts["dropped components.pathItems"] += 1
    for path, document_ in ((out31, document), (out30, converted)):
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(document_, indent=2, ensure_ascii=False, default=str)
        path.write_text(text + "\n", encoding="utf-8")
    return {
        "3.1": str(out31),
        "3.0": str(out30),
        "changes": dict(sorted(counts.items())),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    command = commands.add_parser("fixup", help="write a fixed copy; JSON summary")
    command.add_argument("source", type=Path)
    command.add_argument("out_dir", type=Path)
    command = commands.add_parser("bundle", help="bundle a split spec into one file")
    command.add_argument("entry", type=Path)
    command.add_argument("out", type=Path)
    command = commands.add_parser("downgrade", help="a 3.1 spec, and in 3.0 form")
    command.add_argument("source", type=Path)
    command.add_argument("out31", type=Path)
    command.add_argument("out30", type=Path)
    args = parser.parse_args()
    if args.command == "fixup":
        summary = fixup(args.source, args.out_dir)
    elif args.command == "bundle":
        summary = bundle(args.entry, args.out)
    else:
        summary = downgrade(args.source, args.out31, args.out30)
    json.dump(summary, sys.stdout)
    print()


if __name__ == "__main__":
    main()
