#!/usr/bin/env python3
"""Cross-checks the Swift JSON Schema validator of the Contracts module with Python's `jsonschema`.

Usage: contracts_crosscheck.py DOCUMENTS.json [--schemas DIR]

DOCUMENTS.json (written by the Swift contract tests) holds
    {"documents": [{"name": str, "schema": "events/x.v1.json", "instance": any, "valid": bool}]}
where `schema` is a schema file's path relative to the schemas folder and `valid` is the Swift
validator's verdict.

The script
  1. loads every schema file under schemas/ (the frozen compat/ copies excepted) into a
     `referencing` registry keyed by `$id`, and checks each against the official 2020-12
     metaschema (Draft202012Validator.check_schema);
  2. validates every document with Draft202012Validator (its `pattern` with ECMA-262's `$`, see
     ecma_anchors), format assertion on for `uuid` and
     `date-time` (checked here by this script's own RFC 9562 / RFC 3339 rules, so the result does
     not depend on optional jsonschema extras being installed);
  3. prints a JSON report on stdout and exits 0 when every schema is valid and the two validators
     agree on every document, 1 when they disagree or a schema is invalid, 2 on a usage error.
"""

import json
import pathlib
import re
import sys

try:
    import jsonschema
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012
except ImportError as error:  # the test must fail, not skip, when jsonschema is missing
    print(f"contracts_crosscheck: cannot import jsonschema/referencing: {error}", file=sys.stderr)
    sys.exit(1)

UUID = re.compile(r"[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}")
DATE_TIME = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d+)?(?:([Zz])|([+-])(\d{2}):(\d{2}))"
)


def is_uuid(instance):
    return not isinstance(instance, str) or UUID.fullmatch(instance) is not None


def is_date_time(instance):
    """RFC 3339 section 5.6 date-time, with calendar and leap-second (UTC 23:59:60) checks."""
    if not isinstance(instance, str):
        return True
    match = DATE_TIME.fullmatch(instance)
    if match is None:
        return False
    year, month, day, hour, minute, second = (int(match.group(i)) for i in range(1, 7))
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 60:
        return False
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
    if not 1 <= day <= days:
        return False
    offset = 0
    if match.group(8) is None:
        offset_hour, offset_minute = int(match.group(10)), int(match.group(11))
        if offset_hour > 23 or offset_minute > 59:
            return False
        offset = (offset_hour * 60 + offset_minute) * (1 if match.group(9) == "+" else -1)
    if second == 60:
        utc_minute = (hour * 60 + minute - offset) % (24 * 60)
        if utc_minute != 23 * 60 + 59:
            return False
    return True


def format_checker():
    checker = FormatChecker(formats=())
    checker.checks("uuid")(is_uuid)
    checker.checks("date-time")(is_date_time)
    return checker


def ecma_anchors(pattern):
    """`pattern` for Python's `re` with ECMA-262's `$` (JSON Schema's dialect): the end of the
    string only. Python's `$`, like ICU's, also matches before a final newline, so every `$`
    outside a character class becomes `\\Z` (the Swift validator rewrites it to ICU's `\\z`)."""
    out, escaped, in_class = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char == "$":
            out.append("\\Z")
            continue
        out.append(char)
    return "".join(out)


def ecma_pattern(validator, pattern, instance, schema):
    """The `pattern` keyword with ECMA-262 anchors (see ecma_anchors)."""
    if validator.is_type(instance, "string") and not re.search(ecma_anchors(pattern), instance):
        yield jsonschema.exceptions.ValidationError(f"{instance!r} does not match {pattern!r}")


EcmaValidator = jsonschema.validators.extend(Draft202012Validator, {"pattern": ecma_pattern})


def pointer(path):
    return "".join("/" + str(part).replace("~", "~0").replace("/", "~1") for part in path)


def main(argv):
    args = argv[1:]
    schemas_dir = pathlib.Path(__file__).resolve().parent.parent / "schemas"
    if "--schemas" in args:
        index = args.index("--schemas")
        if index + 1 >= len(args):
            print("usage: contracts_crosscheck.py DOCUMENTS.json [--schemas DIR]", file=sys.stderr)
            return 2
        schemas_dir = pathlib.Path(args[index + 1])
        del args[index:index + 2]
    if len(args) != 1:
        print("usage: contracts_crosscheck.py DOCUMENTS.json [--schemas DIR]", file=sys.stderr)
        return 2

    schemas, problems = {}, []
    for path in sorted(schemas_dir.rglob("*.json")):
        relative = path.relative_to(schemas_dir).as_posix()
        if relative.startswith("compat/"):
            continue
        schema = json.loads(path.read_text(encoding="utf-8"))
        try:
            Draft202012Validator.check_schema(schema)
        except jsonschema.exceptions.SchemaError as error:
            problems.append(f"{relative}: not a valid 2020-12 schema: {error.message}")
        schemas[relative] = schema
    if not schemas:
        print(f"contracts_crosscheck: no schema files under {schemas_dir}", file=sys.stderr)
        return 2
    registry = Registry().with_resources(
        (schema["$id"], DRAFT202012.create_resource(schema)) for schema in schemas.values()
    )
    checker = format_checker()
    validators = {
        name: EcmaValidator(schema, registry=registry, format_checker=checker)
        for name, schema in schemas.items()
    }

    documents = json.loads(pathlib.Path(args[0]).read_text(encoding="utf-8"))["documents"]
    results, disagreements = [], 0
    for document in documents:
        validator = validators.get(document["schema"])
        if validator is None:
            problems.append(f"{document['name']}: unknown schema {document['schema']}")
            continue
        errors = sorted(validator.iter_errors(document["instance"]), key=lambda e: list(e.absolute_path))
        python_valid = not errors
        agree = python_valid == document["valid"]
        disagreements += 0 if agree else 1
        results.append({
            "name": document["name"],
            "python": python_valid,
            "swift": document["valid"],
            "errors": [f"{pointer(e.absolute_path) or '/'}: {e.message}" for e in errors],
        })

    report = {
        "schemasChecked": len(schemas),
        "documents": len(results),
        "disagreements": disagreements,
        "problems": problems,
        "results": results,
    }
    json.dump(report, sys.stdout, indent=1)
    sys.stdout.write("\n")
    return 0 if disagreements == 0 and not problems else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
