"""All naming in one place: spec names become safe, distinct Python identifiers.

Nothing from a spec reaches generated code as an identifier without passing
through `snake` or `pascal`, which keep only ASCII letters, digits and
underscores, never start with a digit, and steer clear of keywords and of the
names the generated modules themselves use.
"""

from __future__ import annotations

import functools
import keyword
import re
import unicodedata

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z0-9])|[A-Z]?[a-z]+|[A-Z]+|[0-9]+")

# Names the generated modules import or define at module level; a model or
# enum with one of these names would shadow them.
RESERVED_MODULE_NAMES = frozenset(
    {
        "Annotated",
        "Any",
        "BaseModel",
        "ConfigDict",
        "Enum",
        "Field",
        "Literal",
        "Mapping",
        "Model",
        "OpenEnum",
        "Optional",
        "RootModel",
        "UNSET",
        "Unset",
        "Client",
        "AsyncClient",
        "Handler",
        "Context",
        "Principal",
        "Reply",
        "annotations",
        "dataclass",
        "datetime",
        "date",
        "time",
        "uuid",
        "UUID",
        "field",
        "httpx",
        "json",
        "typing",
        "bool",
        "bytes",
        "dict",
        "float",
        "int",
        "list",
        "object",
        "str",
        "type",
        "tuple",
        "set",
        "frozenset",
        "Exception",
        "None",
        "True",
        "False",
        "TYPE_CHECKING",
        "Protocol",
        "Awaitable",
        "Callable",
        "Iterator",
        "AsyncIterator",
        "Sequence",
        "BaseException",
        "Ellipsis",
        "NotImplemented",
        "print",
        "id",
        "len",
        # What the generated modules import from their runtimes, FastAPI and typing.
        "AfterValidator",
        "ApiModel",
        "AsyncClientBase",
        "Authenticator",
        "ClassVar",
        "Endpoint",
        "ErrorBodyFactory",
        "FastAPI",
        "Generic",
        "OpenIntEnum",
        "Omittable",
        "Operation",
        "ParamsModel",
        "RangeReply",
        "RateLimiter",
        "RequestOptions",
        "SecurityScheme",
        "SPEC_JSON",
        "SyncClient",
        "TypeAlias",
        "TypeVar",
        "dataclasses",
        "fastapi",
        # What the generated app module defines beside the models it star-imports.
        "ROUTES",
        "SCHEMES",
        "create_app",
        "B",
        "T",
        "m",
        "Default",
        "CommonErrors",
    }
    # The reply classes the server interface defines: `Ok`, `Created`, `NotFound`, ...
    | {
        "".join(
            w[:1].upper() + w[1:].lower()
            for w in status.phrase.replace("-", " ").split()
            if w.isalnum()
        )
        for status in __import__("http").HTTPStatus
    }
    | {f"Status{d}XX" for d in range(1, 6)}
)

# Attribute names the generated models use themselves, and the builtins their
# annotations use: a field called `str` would shadow the type when pydantic or
# `get_type_hints` evaluates `str | None` in the class namespace. The modules
# annotations use are imported under private names (`_dt`, `_uuid`) that no
# spec name becomes, so `uuid`, `datetime`, `type` and `id` stay as they are.
RESERVED_FIELD_NAMES = frozenset(
    {
        "self",
        "cls",
        "additional_properties",
        "from_dict",
        "to_dict",
        "model_config",
        "model_fields",
        "model_computed_fields",
        "model_extra",
        "model_fields_set",
        "model_validate",
        "model_dump",
        "model_construct",
        "model_copy",
        "model_json_schema",
        "model_post_init",
        "model_validate_json",
        "model_dump_json",
        "model_rebuild",
        "model_parametrized_name",
        "model_validate_strings",
        "dataclasses",
        "typing",
        "str",
        "int",
        "float",
        "bool",
        "bytes",
        "list",
        "dict",
        "object",
        "tuple",
        "m",
    }
)

# Parameter names besides: what the generated methods take themselves.
RESERVED_MEMBER_NAMES = RESERVED_FIELD_NAMES | {
    "options",
    "ctx",
    "params",
    "body",
    "request",
}

# The longest name given to an inline schema (a spec's own names are kept).
TYPE_NAME_LIMIT = 40


def is_python_regex(pattern: str) -> bool:
    """Whether Python's `re` (which the generated server uses) compiles `pattern`."""
    return regex_error(pattern) is None


def regex_error(pattern: str) -> str | None:
    """Why Python's `re` refuses `pattern`, or None. Quietly: `re` warns (FutureWarning)
    about some ECMA-style classes, and warnings must not escape a pipeline stage."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            re.compile(pattern)
        except (re.error, RecursionError, OverflowError) as error:
            return " ".join(str(error).split())
    return None


def words(text: str) -> list[str]:
    """Split any spec name into ASCII words: `userID`, `user-id` and `user_id` agree."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return _WORD.findall(ascii_text)


@functools.cache  # pure; build asks for the same names again and again
def snake(text: str, *, fallback: str = "value") -> str:
    name = "_".join(w.lower() for w in words(text)) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    if keyword.iskeyword(name) or keyword.issoftkeyword(name):
        name += "_"
    return name


@functools.cache  # pure; build asks for the same names again and again
def pascal(text: str, *, fallback: str = "Model") -> str:
    name = "".join(w[:1].upper() + w[1:] for w in words(text)) or fallback
    if name[0].isdigit():
        name = f"{fallback}{name}"
    if keyword.iskeyword(name) or name in RESERVED_MODULE_NAMES:
        name += fallback if name != fallback else "_"
    return name


# Words of operation ids that say what is done, not to what: the first a long
# inline schema's name does without.
_VERBS = frozenset(
    {"get", "list", "retrieve", "read", "create", "post", "put", "update"}
    | {"partial", "patch", "delete", "destroy", "remove"}
)


def type_name(hint: str, limit: int = TYPE_NAME_LIMIT) -> str:
    """The name of an inline schema: `hint` (its owner's name and its place
    in it, `Person` + `address`), shortened to `limit` characters.

    A long name loses the words the rest repeats, then verbs, then the
    words after its first, most general one, until it fits:
    `PersonsFunnelCorrelationRetrieve` + `FunnelCorrelationPersonConverted`
    becomes `PersonsFunnelCorrelationPersonConverted`. The result depends on
    `hint` alone, so no other schema can change it.
    """
    name = pascal(hint)
    if len(name) <= limit:
        return name
    parts = [w[:1].upper() + w[1:] for w in words(name)]
    # A word said again later says nothing new where it first stands.
    seen: set[str] = set()
    unique = []
    for word in reversed(parts):
        if word.lower() not in seen:
            seen.add(word.lower())
            unique.append(word)
    parts = unique[::-1]
    if sum(map(len, parts)) > limit:
        parts = [
            w
            for i, w in enumerate(parts)
            if w.lower() not in _VERBS or i == len(parts) - 1
        ] or parts
    kept = parts[-1:]
    for word in reversed(parts[1:-1]):
        if len(parts[0]) + len(word) + sum(map(len, kept)) > limit:
            break
        kept.insert(0, word)
    if len(parts) > 1:
        kept.insert(0, parts[0])
    return pascal("".join(kept)[:limit])


def request_variant(model: str) -> str:
    """The model a request body sends where `model`'s shapes differ (readOnly fields)."""
    return f"{model}Request"


def constant(text: str, *, fallback: str = "VALUE") -> str:
    name = "_".join(w.upper() for w in words(text)) or fallback
    if name[0].isdigit():
        name = f"{fallback}_{name}"
    return name  # upper case: never a keyword, nor a name Enum reserves


@functools.cache  # pure; build asks for the same names again and again
def member(
    text: str,
    *,
    fallback: str = "value",
    reserved: frozenset[str] = RESERVED_MEMBER_NAMES,
) -> str:
    """A snake_case parameter name that our methods do not use, or with
    `reserved=RESERVED_FIELD_NAMES` an attribute name our models do not use."""
    name = snake(text, fallback=fallback)
    if name in reserved or name.startswith("model_"):
        name += "_"
    return name


class Namespace:
    """Hands out distinct names: the first claimant keeps a name, later ones get `_2`, `_3`."""

    def __init__(self, taken: frozenset[str] = frozenset()) -> None:
        self._taken: set[str] = set(taken)

    def claim(self, name: str, *, separator: str = "_") -> str:
        if name not in self._taken:
            self._taken.add(name)
            return name
        counter = 2
        while f"{name}{separator}{counter}" in self._taken:
            counter += 1
        unique = f"{name}{separator}{counter}"
        self._taken.add(unique)
        return unique


def package(text: str, suffix: str) -> str:
    """A package name from a spec title: `Swagger Petstore` -> `swagger_petstore_client`."""
    return snake(f"{text} {suffix}", fallback="api")


# The methods pydantic's BaseModel keeps from version 1 (`dict` is reserved for
# both sides above). A field of one of these names shadows one: pydantic warns
# at import, and mypy refuses the override.
PYDANTIC_RESERVED = frozenset(
    {
        "construct",
        "copy",
        "from_orm",
        "json",
        "parse_file",
        "parse_obj",
        "parse_raw",
        "schema",
        "schema_json",
        "update_forward_refs",
        "validate",
    }
)


def server_attributes(names: list[str]) -> list[str]:
    """The attribute each of a model's field names gets in a pydantic model: the
    name itself, or for one pydantic's BaseModel uses, the name with `_`
    appended until no other field has it. The wire name stays (an alias), and
    the client, which has no such base, keeps the name."""
    taken = set(names)
    attributes = []
    for name in names:
        if name in PYDANTIC_RESERVED:
            while name in taken:
                name += "_"
            taken.add(name)
        attributes.append(name)
    return attributes
