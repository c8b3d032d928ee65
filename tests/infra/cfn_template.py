"""template.yaml as CloudFormation would read it for one set of parameters, for tests.

What CloudFormation does before it creates anything, and nothing more: parameter values
are checked against their declarations (AllowedValues, AllowedPattern, MinValue/MaxValue),
the Rules' assertions are evaluated, then the Conditions, which decide the resources the
stack holds; ``resolve`` then evaluates ``Fn::If`` and parameter ``Ref``s in a property.
Only the intrinsics the template uses in those places are understood; anything else is an
error, so the tests cannot silently pass on something they did not evaluate.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

NO_VALUE = object()


class TemplateError(AssertionError):
    """CloudFormation would refuse these parameters; the message says why."""


class _Loader(yaml.SafeLoader):
    pass


def _tag(name: str) -> Any:
    def construct(loader: yaml.SafeLoader, node: yaml.Node) -> dict[str, Any]:
        if isinstance(node, yaml.ScalarNode):
            value: Any = loader.construct_scalar(node)
            if name == "Fn::GetAtt":
                value = str(value).split(".", 1)
        elif isinstance(node, yaml.SequenceNode):
            value = loader.construct_sequence(node, deep=True)
        else:
            value = loader.construct_mapping(node, deep=True)
        return {name: value}

    return construct


for _short, _full in {
    "Ref": "Ref",
    "Condition": "Condition",
    **{
        n: f"Fn::{n}"
        for n in (
            "If",
            "Equals",
            "Not",
            "And",
            "Or",
            "Join",
            "Sub",
            "GetAtt",
            "Select",
            "Split",
            "Cidr",
            "GetAZs",
            "FindInMap",
        )
    },
}.items():
    _Loader.add_constructor(f"!{_short}", _tag(_full))


def load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.load(path.read_text(), Loader=_Loader)  # noqa: S506 - SafeLoader subclass
    return document


class Stack:
    """The template, its parameters resolved, its Rules checked and Conditions evaluated."""

    def __init__(self, template: dict[str, Any], overrides: dict[str, str]) -> None:
        self.template = template
        declared = template["Parameters"]
        unknown = set(overrides) - set(declared)
        if unknown:
            raise TemplateError(f"unknown parameters: {sorted(unknown)}")
        self.parameters: dict[str, Any] = {}
        for name, spec in declared.items():
            if name not in overrides and "Default" not in spec:
                raise TemplateError(f"parameter {name} has no default and was not given")
            raw = str(overrides.get(name, spec.get("Default", "")))
            self._check_parameter(name, spec, raw)
            self.parameters[name] = (
                [v.strip() for v in raw.split(",")] if spec["Type"] == "CommaDelimitedList" else raw
            )
        self.conditions: dict[str, bool] = {}
        for name in template.get("Conditions", {}):
            self.condition(name)
        for name, rule in template.get("Rules", {}).items():
            if "RuleCondition" in rule and not self._truth(rule["RuleCondition"]):
                continue
            for assertion in rule["Assertions"]:
                if not self._truth(assertion["Assert"]):
                    raise TemplateError(f"rule {name}: {assertion['AssertDescription']}")

    @staticmethod
    def _check_parameter(name: str, spec: dict[str, Any], raw: str) -> None:
        if "AllowedValues" in spec and raw not in [str(v) for v in spec["AllowedValues"]]:
            raise TemplateError(f"parameter {name}={raw!r} is not one of {spec['AllowedValues']}")
        if "AllowedPattern" in spec and not re.fullmatch(spec["AllowedPattern"], raw):
            raise TemplateError(f"parameter {name}={raw!r} does not match {spec['AllowedPattern']}")
        if spec["Type"] == "Number":
            number = float(raw)
            if "MinValue" in spec and number < float(spec["MinValue"]):
                raise TemplateError(f"parameter {name}={raw} is below {spec['MinValue']}")
            if "MaxValue" in spec and number > float(spec["MaxValue"]):
                raise TemplateError(f"parameter {name}={raw} is above {spec['MaxValue']}")

    def condition(self, name: str) -> bool:
        if name not in self.conditions:
            self.conditions[name] = self._truth(self.template["Conditions"][name])
        return self.conditions[name]

    def _truth(self, node: Any) -> bool:
        ((op, arg),) = node.items()
        if op == "Condition":
            return self.condition(arg)
        if op == "Fn::Equals":
            return bool(self._value(arg[0]) == self._value(arg[1]))
        if op == "Fn::Not":
            return not self._truth(arg[0])
        if op == "Fn::And":
            return all(self._truth(a) for a in arg)
        if op == "Fn::Or":
            return any(self._truth(a) for a in arg)
        raise TemplateError(f"cannot evaluate {op} as a condition")

    def _value(self, node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((op, arg),) = node.items()
            if op == "Ref" and arg in self.parameters:
                return self.parameters[arg]
            if op == "Fn::Join":
                return arg[0].join(str(v) for v in self._value(arg[1]))
        if isinstance(node, str | int | float):
            return str(node)
        raise TemplateError(f"cannot evaluate {node!r} as a value in a condition")

    @property
    def resources(self) -> dict[str, dict[str, Any]]:
        """The resources this stack holds (before SAM expands its own types)."""
        return {
            name: resource
            for name, resource in self.template["Resources"].items()
            if "Condition" not in resource or self.condition(resource["Condition"])
        }

    def resolve(self, node: Any) -> Any:
        """``node`` with every ``Fn::If`` decided and every parameter ``Ref`` replaced; NO_VALUE drops."""
        if isinstance(node, list):
            return [v for v in (self.resolve(item) for item in node) if v is not NO_VALUE]
        if isinstance(node, dict):
            if len(node) == 1:
                ((op, arg),) = node.items()
                if op == "Fn::If":
                    return self.resolve(arg[1] if self.condition(arg[0]) else arg[2])
                if op == "Ref" and arg == "AWS::NoValue":
                    return NO_VALUE
                if op == "Ref" and arg in self.parameters:
                    return self.parameters[arg]
            resolved = {k: self.resolve(v) for k, v in node.items()}
            return {k: v for k, v in resolved.items() if v is not NO_VALUE}
        return node
