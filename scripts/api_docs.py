"""The native package's API reference (docs/api/), rendered from its schema: a page per resource and per
function, and an index with the provider's configuration. Each property is named as every language spells
it, with its type, whether it is required, its default, what a change to it does and its description.

Pulumi's own docs generator is not part of the CLI's module at the version here, so this is ours; `./run sdk`
writes the pages with the SDKs, and its `--check` names a stale one. The names follow Pulumi's generators
(camelCase in TypeScript and YAML, snake_case in Python, PascalCase in Go, where a `get<Resource>` function is
`Lookup<Resource>`); tests/test_sdk.py holds them to the generated SDKs.
"""

from __future__ import annotations

import re
from typing import Any

LANGUAGE_HEADERS = "TypeScript, YAML | Python | Go"


def python_name(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def go_name(name: str) -> str:
    return name[0].upper() + name[1:]


def short(token: str) -> str:
    return token.rsplit(":", 1)[1]


def page_name(token: str) -> str:
    """``ims-record:index:LiveRecordJob`` → ``live-record-job.md``."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", short(token)).lower() + ".md"


def go_function(token: str, resources: dict[str, Any]) -> str:
    """Pulumi's Go generator names a function ``get<X>`` whose X is a resource ``Lookup<X>`` (``Get<X>`` is
    the resource's read by id)."""
    name = go_name(short(token))
    resource = name.removeprefix("Get")
    if name.startswith("Get") and any(short(other) == resource for other in resources):
        return "Lookup" + resource
    return name


def type_text(spec: dict[str, Any]) -> str:
    if "$ref" in spec:
        name = short(spec["$ref"].rsplit("/", 1)[1])
        return f"[{name}](#{name.lower()})"
    kind = spec.get("type", "")
    if kind == "array":
        return f"list of {type_text(spec['items'])}"
    if kind == "object":
        return f"map of {type_text(spec.get('additionalProperties', {'type': 'string'}))}"
    return str(kind)


def referenced_types(properties: dict[str, Any], types: dict[str, Any]) -> list[str]:
    """The object types ``properties`` use, nested ones included, in the order met."""
    found: list[str] = []

    def visit(spec: dict[str, Any]) -> None:
        if "$ref" in spec:
            token = spec["$ref"].rsplit("/", 1)[1]
            if token not in found:
                found.append(token)
                for nested in types[token]["properties"].values():
                    visit(nested)
        for key in ("items", "additionalProperties"):
            if isinstance(spec.get(key), dict):
                visit(spec[key])

    for spec in properties.values():
        visit(spec)
    return found


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def property_table(
    properties: dict[str, Any], required: list[str], *, changes: bool = False, output: bool = False
) -> list[str]:
    """A row per property; ``output``: values that come back (always set, or not), which have no default."""
    columns = [LANGUAGE_HEADERS, "type", "always set" if output else "required"]
    with_default = not output
    columns += ["default"] if with_default else []
    columns += ["on change"] if changes else []
    columns += ["description"]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * (len(columns) + 2)]
    for name, spec in properties.items():
        row = [f"`{name}`", f"`{python_name(name)}`", f"`{go_name(name)}`", type_text(spec)]
        row.append("yes" if name in required else "")
        if with_default:
            row.append(f"`{str(spec['default']).lower()}`" if "default" in spec else "")
        if changes:
            row.append("replaces" if spec.get("willReplaceOnChanges") else "updates in place")
        description = spec.get("description", "")
        row.append(cell(description + (" Secret." if spec.get("secret") else "")))
        lines.append("| " + " | ".join(row) + " |")
    return lines


def types_section(properties: dict[str, Any], types: dict[str, Any]) -> list[str]:
    lines: list[str] = []
    for token in referenced_types(properties, types):
        spec = types[token]
        lines += ["", f"### {short(token)}", "", cell(spec.get("description", "")), ""]
        lines += property_table(spec["properties"], spec.get("required", []))
    return ["", "## Types", *lines] if lines else []


def resource_page(token: str, spec: dict[str, Any], types: dict[str, Any]) -> str:
    name = short(token)
    inputs = spec["inputProperties"]
    outputs = {key: value for key, value in spec["properties"].items() if key not in inputs}
    lines = [
        f"# {name}",
        "",
        f"`{token}`: {spec['description']}",
        "",
        "| TypeScript | Python | Go | YAML |",
        "|---|---|---|---|",
        f"| `new ims.{name}(name, args)` | `ims.{name}(name, ...)` | `imsrecord.New{name}(ctx, name, "
        f"&imsrecord.{name}Args{{...}})` | `type: {token}` |",
        "",
        "## Inputs",
        "",
        *property_table(inputs, spec.get("requiredInputs", []), changes=True),
        "",
        "## Outputs",
        "",
        "Every input, and:",
        "",
        *property_table(outputs, spec.get("required", []), output=True),
        *types_section({**inputs, **outputs}, types),
    ]
    return "\n".join(lines) + "\n"


def function_page(token: str, spec: dict[str, Any], schema: dict[str, Any]) -> str:
    name = short(token)
    go = go_function(token, schema["resources"])
    inputs, outputs = spec["inputs"], spec["outputs"]
    lines = [
        f"# {name}",
        "",
        f"`{token}`: {spec['description']}",
        "",
        "| TypeScript | Python | Go | YAML |",
        "|---|---|---|---|",
        f"| `ims.{name}({{...}})`, `ims.{name}Output({{...}})` | `ims.{python_name(name)}(...)`, "
        f"`ims.{python_name(name)}_output(...)` | `imsrecord.{go}(ctx, &imsrecord.{go}Args{{...}})`, "
        f"`imsrecord.{go}Output(...)` | `fn::invoke: {{function: {token}, arguments: {{...}}}}` |",
        "",
        "## Arguments",
        "",
        *property_table(inputs["properties"], inputs.get("required", [])),
        "",
        "## Result",
        "",
        *property_table(outputs["properties"], outputs.get("required", []), output=True),
        *types_section({**inputs["properties"], **outputs["properties"]}, schema["types"]),
    ]
    return "\n".join(lines) + "\n"


def index_page(schema: dict[str, Any]) -> str:
    config = schema["config"]["variables"]
    lines = [
        f"# The `{schema['name']}` package: API reference",
        "",
        f"{schema['description']}",
        "Generated from schema.json by `./run sdk` (scripts/api_docs.py): do not edit.",
        "",
        "Each page names every property as each language spells it: TypeScript and YAML (the schema's",
        "names), Python (`pulumi_ims_record_sdk`, snake_case) and Go (`imsrecord`, PascalCase). The inputs",
        "of the Python dynamic resources (`pulumi_ims_record`) have the same Python names.",
        "",
        "## Resources",
        "",
        *(f"- [{short(token)}]({page_name(token)})" for token in schema["resources"]),
        "",
        "## Functions",
        "",
        *(f"- [{short(token)}]({page_name(token)})" for token in schema["functions"]),
        "",
        "## Provider configuration",
        "",
        f"Stack config `{schema['name']}:<name>` (`pulumi config set {schema['name']}:endpoint ...`), or the",
        "arguments of an explicit provider resource.",
        "",
        *property_table(config, []),
    ]
    return "\n".join(lines) + "\n"


def render(schema: dict[str, Any]) -> dict[str, str]:
    """Every page: file name → text."""
    pages = {"README.md": index_page(schema)}
    for token, spec in schema["resources"].items():
        pages[page_name(token)] = resource_page(token, spec, schema["types"])
    for token, spec in schema["functions"].items():
        pages[page_name(token)] = function_page(token, spec, schema)
    return pages
