"""Reads a Bicep file as the ARM template it stands for, to compare infra/ with deploymentTemplates/.

No Bicep compiler installs here from PyPI, npm or Debian (the toolkit downloads one from GitHub), so
the test parses the Bicep with tree-sitter's Bicep grammar and writes each declaration as ARM JSON, its
expressions in the ARM syntax that `bicep build` and deploymentTemplates/generate.py write: a parameter
as `parameters('x')`, `a == b` as `equals(a, b)`, `c ? a : b` as `if(c, a, b)`, an interpolated string
as `format('…{0}…', …)`, `res.id` as `resourceId(…)`, `res.properties.x` as `reference(…).x`,
`res.listKeys()` as `listKeys(…)`, a child's name with its parent's, implicit dependencies as `dependsOn`.
It knows only the constructs infra/azure.bicep uses: anything else raises `UnsupportedBicep`, so a
change it cannot read fails the test instead of slipping past it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tree_sitter_bicep
from tree_sitter import Language, Node, Parser

#: Bicep functions written the same in ARM expressions; others are refused until added here.
FUNCTIONS = frozenset({"resourceGroup", "subscription", "uniqueString", "environment"})
#: Bicep's escape sequences in single-quoted strings, and what they stand for.
ESCAPES = {"\\'": "'", "\\\\": "\\", "\\n": "\n", "\\r": "\r", "\\t": "\t", "\\$": "$"}


class UnsupportedBicep(ValueError):
    """The Bicep uses a construct this reader does not translate (or does not parse)."""


@dataclass(frozen=True)
class _Resource:
    """A declared resource, as other declarations refer to it."""

    type: str
    api_version: str
    name: str  # the ARM expression of its name, without brackets


def read_bicep(path: Path) -> dict[str, Any]:
    """The ARM template (parameters, variables, resources, outputs) the Bicep file at `path` describes."""
    return _Reader(path.read_bytes()).template()


def _located(node: Node, message: str) -> UnsupportedBicep:
    line, column = node.start_point
    return UnsupportedBicep(f"line {line + 1}, column {column + 1}: {message}: {_text(node)[:80]!r}")


def _text(node: Node) -> str:
    return (node.text or b"").decode()


def _named(node: Node) -> list[Node]:
    """The node's named children, comments left out."""
    return [child for child in node.named_children if child.type != "comment"]


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Reader:
    """One Bicep file's declarations, translated on demand."""

    def __init__(self, source: bytes) -> None:
        root = Parser(Language(tree_sitter_bicep.language())).parse(source).root_node
        if root.has_error:
            raise UnsupportedBicep("the file does not parse as Bicep")
        self._declarations: list[tuple[Node, list[Node]]] = []
        decorators: list[Node] = []
        for node in _named(root):
            if node.type == "decorators":
                decorators += _named(node)
            else:
                self._declarations.append((node, decorators))
                decorators = []
        self._parameters = self._names("parameter_declaration")
        self._variables = self._names("variable_declaration")
        self._resources: dict[str, _Resource] = {}
        for node, _ in self._declarations:
            if node.type == "resource_declaration":
                symbol, type_and_version, _, body = self._resource_parts(node)
                resource_type, _, api_version = self._literal(type_and_version).partition("@")
                properties = self._properties(body)
                # Nothing here refers to a child resource by its symbol: its name is not needed.
                name = "<child>" if "parent" in properties else self._expression(properties["name"])
                self._resources[symbol] = _Resource(resource_type, api_version, name)

    def _names(self, kind: str) -> set[str]:
        return {_text(_named(node)[0]) for node, _ in self._declarations if node.type == kind}

    def template(self) -> dict[str, Any]:
        """The whole template."""
        template: dict[str, Any] = {"parameters": {}, "variables": {}, "resources": [], "outputs": {}}
        for node, decorators in self._declarations:
            if node.type == "parameter_declaration":
                name, declared_type, *default = _named(node)
                template["parameters"][_text(name)] = self._parameter(declared_type, default, decorators)
            elif node.type == "variable_declaration":
                name, value = _named(node)
                template["variables"][_text(name)] = self._value(value)
            elif node.type == "resource_declaration":
                template["resources"].append(self._resource(node))
            elif node.type == "output_declaration":
                name, declared_type, value = _named(node)
                template["outputs"][_text(name)] = {"type": _text(declared_type), "value": self._value(value)}
            else:
                raise _located(node, f"a {node.type} is not translated")
            if decorators and node.type != "parameter_declaration":
                raise _located(decorators[0], "only parameters may have decorators here")
        return template

    # -- declarations -----------------------------------------------------------------------------

    def _parameter(self, declared_type: Node, default: list[Node], decorators: list[Node]) -> dict[str, Any]:
        parameter: dict[str, Any] = {"type": _text(declared_type)}
        for decorator in decorators:
            [call] = _named(decorator)
            function, arguments = _named(call)
            values = _named(arguments)
            match _text(function):
                case "description":
                    parameter["metadata"] = {"description": self._literal(values[0])}
                case "allowed":
                    parameter["allowedValues"] = self._value(values[0])
                case "secure" if parameter["type"] == "string":
                    parameter["type"] = "securestring"
                case _:
                    raise _located(decorator, "this decorator is not translated")
        if default:
            parameter["defaultValue"] = self._value(default[0])
        return parameter

    def _resource_parts(self, node: Node) -> tuple[str, Node, Node | None, Node]:
        """Its symbol, 'type@apiVersion', condition (or None) and body."""
        symbol, type_and_version, body = _named(node)
        condition = None
        if body.type == "if_statement":
            condition, body = _named(body)
        return _text(symbol), type_and_version, condition, body

    def _resource(self, node: Node) -> dict[str, Any]:
        symbol, _, condition, body = self._resource_parts(node)
        declared = self._resources[symbol]
        resource: dict[str, Any] = {}
        if condition is not None:
            resource["condition"] = self._value(condition)
        resource["type"], resource["apiVersion"] = declared.type, declared.api_version
        properties = self._properties(body)
        depends_on: list[str] = []
        if "parent" in properties:
            parent = self._resources[_text(properties.pop("parent"))]
            name = self._expression(properties.pop("name"))
            resource["name"] = f"[format('{{0}}/{{1}}', {parent.name}, {name})]"
            depends_on.append(self._resource_id(parent))
        else:
            resource["name"] = self._value(properties.pop("name"))
        for dependency in _named(properties.pop("dependsOn")) if "dependsOn" in properties else []:
            depends_on.append(self._resource_id(self._symbol(dependency)))
        for key, value in properties.items():
            resource[key] = self._value(value)
            depends_on += [self._resource_id(self._resources[used]) for used in self._referenced(value)]
        if depends_on:
            resource["dependsOn"] = [f"[{resource_id}]" for resource_id in dict.fromkeys(depends_on)]
        return resource

    def _properties(self, body: Node) -> dict[str, Node]:
        if body.type != "object":
            raise _located(body, "a resource body must be an object")
        properties: dict[str, Node] = {}
        for item in _named(body):
            key, value = _named(item)
            properties[_text(key)] = value
        return properties

    def _symbol(self, node: Node) -> _Resource:
        if node.type != "identifier" or _text(node) not in self._resources:
            raise _located(node, "not a resource declared in this file")
        return self._resources[_text(node)]

    def _referenced(self, node: Node) -> list[str]:
        """Resource symbols the expression uses, in order: the resource depends on them."""
        if node.type == "identifier" and _text(node) in self._resources:
            return [_text(node)]
        if node.type == "object_property":
            return self._referenced(_named(node)[1])  # not the key: a property name is no reference
        return [symbol for child in _named(node) for symbol in self._referenced(child)]

    # -- values and expressions ------------------------------------------------------------------

    def _value(self, node: Node) -> Any:
        """`node` as a JSON value: literals as themselves, expressions as "[…]"."""
        match node.type:
            case "string" if not any(child.type == "interpolation" for child in node.named_children):
                text = self._literal(node)
                if text.startswith("["):
                    raise _located(node, "a literal starting with [ needs ARM's escaping")
                return text
            case "number":
                return int(_text(node))
            case "boolean":
                return _text(node) == "true"
            case "object":
                return {self._key(key): self._value(value) for key, value in map(_named, _named(node))}
            case "array":
                return [self._value(item) for item in _named(node)]
            case _:
                return f"[{self._expression(node)}]"

    def _key(self, node: Node) -> str:
        if node.type == "identifier":
            return _text(node)
        return self._literal(node)

    def _literal(self, node: Node) -> str:
        """The text of a string without interpolations."""
        if node.type != "string":
            raise _located(node, "expected a string")
        parts = []
        for part in _named(node):
            if part.type == "string_content":
                parts.append(_text(part))
            elif part.type == "escape_sequence" and _text(part) in ESCAPES:
                parts.append(ESCAPES[_text(part)])
            else:
                raise _located(part, "expected a string without interpolations")
        return "".join(parts)

    def _expression(self, node: Node) -> str:
        """`node` as an ARM expression, without the brackets."""
        children = _named(node)
        match node.type:
            case "string":
                return self._string_expression(node)
            case "number":
                return _text(node)
            case "boolean":
                return _text(node)
            case "identifier" if _text(node) in self._parameters:
                return f"parameters('{_text(node)}')"
            case "identifier" if _text(node) in self._variables:
                return f"variables('{_text(node)}')"
            case "parenthesized_expression":
                return self._expression(children[0])
            case "binary_expression" if _text(node.children[1]) == "==":
                return f"equals({self._expression(children[0])}, {self._expression(children[1])})"
            case "ternary_expression":
                return "if({})".format(", ".join(self._expression(child) for child in children))
            case "object":
                pairs = [
                    f"{self._key_expression(key)}, {self._expression(value)}"
                    for key, value in map(_named, children)
                ]
                return f"createObject({', '.join(pairs)})"
            case "member_expression":
                return self._member(node)
            case "call_expression":
                return self._call(node)
            case "subscript_expression":
                target, index = children
                return f"{self._expression(target)}[{self._expression(index)}]"
        raise _located(node, f"a {node.type} is not translated")

    def _key_expression(self, node: Node) -> str:
        if node.type == "identifier":
            return _quote(_text(node))
        return self._expression(node)

    def _string_expression(self, node: Node) -> str:
        """A string in an expression: quoted, or format() when it has interpolations."""
        pattern: list[str] = []
        arguments: list[str] = []
        for part in _named(node):
            if part.type == "interpolation":
                [inner] = _named(part)
                pattern.append(f"{{{len(arguments)}}}")
                arguments.append(self._expression(inner))
            else:
                pattern.append(self._literal_part(part).replace("{", "{{").replace("}", "}}"))
        if not arguments:
            return _quote(self._literal(node))
        if pattern == ["{0}"]:
            return arguments[0]  # '${x}' is x itself
        return f"format({', '.join([_quote(''.join(pattern)), *arguments])})"

    def _literal_part(self, part: Node) -> str:
        if part.type == "string_content":
            return _text(part)
        if part.type == "escape_sequence" and _text(part) in ESCAPES:
            return ESCAPES[_text(part)]
        raise _located(part, "not a part of a string")

    def _member(self, node: Node) -> str:
        target, member = _named(node)
        if target.type == "identifier" and _text(target) in self._resources:
            resource = self._resources[_text(target)]
            match _text(member):
                case "id":
                    return self._resource_id(resource)
                case "properties":
                    return f"reference({self._resource_id(resource)}, '{resource.api_version}')"
            raise _located(node, "only a resource's id and properties are translated")
        return f"{self._expression(target)}.{_text(member)}"

    def _call(self, node: Node) -> str:
        function, arguments = _named(node)
        values = [self._expression(argument) for argument in _named(arguments)]
        if function.type == "identifier" and _text(function) in FUNCTIONS:
            return f"{_text(function)}({', '.join(values)})"
        if function.type == "member_expression":
            target, method = _named(function)
            if _text(method) == "listKeys" and not values:
                resource = self._symbol(target)
                return f"listKeys({self._resource_id(resource)}, '{resource.api_version}')"
        raise _located(node, "this function is not translated")

    def _resource_id(self, resource: _Resource) -> str:
        if resource.name == "<child>":
            raise UnsupportedBicep(f"a reference to a child resource ({resource.type}) is not translated")
        return f"resourceId('{resource.type}', {resource.name})"
