"""Stage 3, build: aliases that refer to themselves, directly or through others.

A model may contain itself: it is a class, and its annotations are read when
first used. An alias is evaluated when its module is imported, so one that
names itself (`Tree = dict[str, Tree]`), or names another alias that names it,
is written as a `TypeAliasType` whose value is read later; and a union that
lists itself (`Item = Item | Reference`) means no more than its other options.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

from .. import ir


def collapse_self_unions(aliases: dict[str, ir.Alias]) -> None:
    """Rewrite, in place, each alias that is one of its own options.

    Such a union, directly (`Item = Item | Reference`) or through other
    aliases' unions (`A = B | int`, `B = A | str`), admits exactly what its
    other options admit, and type checkers refuse it as written.
    """
    graph = {name: _direct(alias.type, aliases) for name, alias in aliases.items()}
    cycle = {
        name: component
        for component in strongly_connected(graph)
        for name in component
        if len(component) > 1 or component[0] in graph[component[0]]
    }
    rewritten = {}
    for name in sorted(cycle):
        options, nullable = _options(
            aliases[name].type, aliases, set(cycle[name]), {name}
        )
        kept = tuple(dict.fromkeys(options))
        if not kept:
            t: ir.Type = ir.ANY
        else:
            t = kept[0] if len(kept) == 1 else ir.UnionType(kept)
            if nullable and not ir.is_nullable(t):
                t = ir.NullableType(t)
        rewritten[name] = replace(aliases[name], type=t)
    aliases.update(rewritten)


def _direct(t: ir.Type, aliases: dict[str, ir.Alias]) -> set[str]:
    """The aliases `t` is, or has as an option (not inside a list or a map)."""
    if isinstance(t, ir.NullableType):
        return _direct(t.inner, aliases)
    if isinstance(t, ir.UnionType):
        return {n for o in t.options for n in _direct(o, aliases)}
    if isinstance(t, ir.NamedType) and t.name in aliases:
        return {t.name}
    return set()


def _options(
    t: ir.Type, aliases: dict[str, ir.Alias], cycle: set[str], seen: set[str]
) -> tuple[list[ir.Type], bool]:
    """The options of `t` with the aliases of `cycle` expanded, each once; and
    whether null is one of them."""
    if isinstance(t, ir.NullableType):
        return _options(t.inner, aliases, cycle, seen)[0], True
    if isinstance(t, ir.Scalar) and t.kind == "none":
        return [], True
    if isinstance(t, ir.UnionType):
        found: list[ir.Type] = []
        nullable = False
        for option in t.options:
            more, null = _options(option, aliases, cycle, seen)
            found += more
            nullable = nullable or null
        return found, nullable
    if isinstance(t, ir.NamedType) and t.name in cycle:
        if t.name in seen:
            return [], False
        return _options(aliases[t.name].type, aliases, cycle, seen | {t.name})
    return [t], False


def ordered(aliases: dict[str, ir.Alias]) -> tuple[ir.Alias, ...]:
    """Every alias after those it names, the members of a cycle marked recursive.

    A recursive alias's value is text read when first used, so the members of
    one cycle may come in any order (by name); anything that names one of
    them comes after the whole cycle.
    """
    graph = {
        name: {n for n in ir.names_in(alias.type) if n in aliases}
        for name, alias in aliases.items()
    }
    result = []
    for component in strongly_connected(graph):
        recursive = len(component) > 1 or component[0] in graph[component[0]]
        for name in sorted(component):
            alias = aliases[name]
            result.append(replace(alias, recursive=True) if recursive else alias)
    return tuple(result)


def strongly_connected(graph: dict[str, set[str]]) -> Iterator[list[str]]:
    """Tarjan's strongly connected components of `graph`, each after those it
    reaches; deterministic (names are visited in sorted order). Iterative: a
    chain of thousands of aliases must not exhaust Python's stack."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    yield component
