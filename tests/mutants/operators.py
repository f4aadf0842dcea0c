"""Mutation operators for code that is mostly configuration, added to cosmic-ray's own.

cosmic-ray's core operators change numbers, booleans, comparisons and arithmetic; they never
touch a string, a list entry or a keyword argument, which is where a snippet is wrong while
every line runs (a regex that matches nothing, an option left out). These three do:

- guide/ReplaceString: "abc" becomes "XXabcXX" (a regex, a key, a name, a message).
- guide/RemoveElement: one entry of a list, tuple, set or dict literal is left out.
- guide/RemoveKeyword: one `name=value` or `**mapping` argument of a call is left out.

Docstrings and other bare string statements are not mutated: no test can observe prose.
"""

from collections.abc import Iterator

import cosmic_ray.plugins
from cosmic_ray.operators.operator import Example, Operator
from parso.python.tree import Operator as Punctuation
from parso.python.tree import PythonNode, String

Position = tuple[tuple[int, int], tuple[int, int]]


def _is_bare_string_statement(node) -> bool:
    """A docstring, or any string that is a statement of its own."""
    parent = node.parent
    if parent is not None and parent.type == "strings":
        parent = parent.parent
    return parent is not None and parent.type == "simple_stmt"


class ReplaceString(Operator):
    """Wrap a string literal's text in XX...XX."""

    def mutation_positions(self, node) -> Iterator[Position]:
        if isinstance(node, String) and not _is_bare_string_statement(node):
            yield (node.start_pos, node.end_pos)

    def mutate(self, node, index):
        value = node.value
        opening = len(value) - len(value.lstrip("rRbBuU"))
        quote = value[opening : opening + 3]
        if quote not in ('"""', "'''"):
            quote = value[opening]
        body = value[opening + len(quote) : -len(quote)]
        node.value = f"{value[:opening]}{quote}XX{body}XX{quote}"
        return node

    @classmethod
    def examples(cls):
        return (
            Example('x = "^cleanup-"', 'x = "XX^cleanup-XX"'),
            Example("x = r'\\d+'", "x = r'XX\\d+XX'"),
            Example('x = ""', 'x = "XXXX"'),
            Example(
                'def f():\n    """Doc."""\n    return "a"',
                'def f():\n    """Doc."""\n    return "XXaXX"',
            ),
        )


def _is_comma(node) -> bool:
    return node.type == "operator" and node.value == ","


def _groups(children: list) -> list[list]:
    """Split a comma-separated run of children into entries, each with its trailing comma."""
    groups, current = [], []
    for child in children:
        current.append(child)
        if _is_comma(child):
            groups.append(current)
            current = []
    if current:
        groups.append(current)
    return groups


def _without(children: list, index: int) -> list:
    groups = _groups(children)
    removed = groups.pop(index)
    if groups and index == len(groups) and not _is_comma(removed[-1]):
        groups[-1] = groups[-1][:-1]  # the new last entry loses the comma before the removed one
    if groups and index < len(groups):  # `[a, b]` -> `[b]`, not `[ b]`
        groups[index][0].get_first_leaf().prefix = removed[0].get_first_leaf().prefix
    return [child for group in groups for child in group]


def _entries(node) -> list | None:
    """The children holding the entries of a literal list, tuple, set or dict, or None."""
    if node.type != "atom" or len(node.children) != 3:
        return None
    opening, inside, _closing = node.children
    if opening.value not in "([{":
        return None
    if inside.type in ("testlist_comp", "dictorsetmaker"):
        if any(child.type in ("comp_for", "sync_comp_for") for child in inside.children):
            return None  # a comprehension
        return inside.children
    if opening.value == "[":
        return [inside]  # a list of one entry
    return None  # `(x)` is no tuple; `{x}` without its entry would be a dict


class RemoveElement(Operator):
    """Leave one entry out of a list, tuple, set or dict literal."""

    def mutation_positions(self, node) -> Iterator[Position]:
        children = _entries(node)
        if children is None:
            return
        for group in _groups(children):
            yield (group[0].start_pos, group[-1].end_pos)

    def mutate(self, node, index):
        inside = node.children[1]
        if inside.type in ("testlist_comp", "dictorsetmaker"):
            remaining = _without(inside.children, index)
            if node.children[0].value == "(" and len(remaining) == 1:
                remaining.append(Punctuation(",", remaining[0].end_pos))  # still a tuple
            if remaining:
                inside.children = remaining
                for child in remaining:
                    child.parent = inside
            else:
                node.children = [node.children[0], node.children[2]]
        else:
            node.children = [node.children[0], node.children[2]]
        return node

    @classmethod
    def examples(cls):
        return (
            Example('x = ["a", "^cleanup-"]', 'x = ["a"]', occurrence=1),
            Example('x = ["a", "b"]', 'x = ["b"]'),
            Example("x = (404, 405)", "x = (405,)"),
            Example('x = {"a": 1, "b": 2}', 'x = {"b": 2}'),
            Example('x = {"a": 1, **y}', 'x = {"a": 1}', occurrence=1),
            Example('x = ["a"]', "x = []"),
            Example("x = [\n    1,\n    2,\n]", "x = [\n    1,\n]", occurrence=1),
        )


def _call_arguments(node) -> tuple[PythonNode, list] | None:
    """The node holding a call's arguments and its keyword/** arguments, or None."""
    if node.type not in ("trailer", "decorator"):
        return None
    children = node.children
    try:
        start = next(i for i, c in enumerate(children) if c.type == "operator" and c.value == "(")
    except StopIteration:
        return None
    inside = children[start + 1]
    if inside.type == "arglist":
        arguments = inside.children
    elif inside.type == "argument":
        arguments = [inside]
    else:
        return None
    return inside, arguments


def _is_removable(argument) -> bool:
    if argument.type != "argument":
        return False
    first = argument.children[0]
    second = argument.children[1]
    return (first.type == "operator" and first.value == "**") or (
        second.type == "operator" and second.value == "="
    )


class RemoveKeyword(Operator):
    """Leave one keyword (`name=value`) or `**mapping` argument out of a call."""

    def mutation_positions(self, node) -> Iterator[Position]:
        found = _call_arguments(node)
        if found is None:
            return
        for argument in found[1]:
            if _is_removable(argument):
                yield (argument.start_pos, argument.end_pos)

    def mutate(self, node, index):
        inside, arguments = _call_arguments(node)
        removable = [a for a in arguments if _is_removable(a)]
        target = removable[index]
        if inside.type == "argument":
            position = node.children.index(inside)
            node.children = node.children[:position] + node.children[position + 1 :]
            return node
        groups = _groups(inside.children)
        group_index = next(i for i, g in enumerate(groups) if g[0] is target)
        inside.children = _without(inside.children, group_index)
        return node

    @classmethod
    def examples(cls):
        return (
            Example("f(a=1, b=2)", "f(b=2)"),
            Example("f(a=1, b=2)", "f(a=1)", occurrence=1),
            Example("f(x, a=1)", "f(x)"),
            Example("f(a=1)", "f()"),
            Example("f(x, **kw)", "f(x)"),
            Example("@g(slug='x')\ndef f(): pass", "@g()\ndef f(): pass"),
        )


OPERATORS = {op.__name__: op for op in (ReplaceString, RemoveElement, RemoveKeyword)}


class Provider:
    """A cosmic-ray operator provider, registered under the name `guide`."""

    def __iter__(self):
        return iter(OPERATORS)

    def __getitem__(self, name):
        return OPERATORS[name]


def register() -> None:
    """Make guide/* operators available to cosmic-ray in this process (no package install)."""
    cosmic_ray.plugins.OPERATOR_PROVIDERS.setdefault("guide", Provider())


def check_examples() -> None:
    """Each operator's examples produce exactly the code they show."""
    from cosmic_ray.mutating import mutate_code

    for name, operator in OPERATORS.items():
        for example in operator.examples():
            mutated = mutate_code(example.pre_mutation_code, operator(), example.occurrence)
            if mutated != example.post_mutation_code:
                raise AssertionError(f"{name}: {example.pre_mutation_code!r} gave {mutated!r}")
