"""Walking the OpenAPI document: its operations and its `$ref`s."""

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(spec):
    """Every operation as (path, method, operation)."""
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(spec, obj: dict) -> dict:
    """`obj`, its `$ref`s followed into the document's components."""
    while "$ref" in obj:
        _, _, section, name = obj["$ref"].split("/")
        obj = spec["components"][section][name]
    return obj
