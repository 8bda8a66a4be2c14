"""Renders Loop311's own Kustomize overlays where kubectl is not installed (CI here): the
subset deploy/k8s uses — resources (files and kustomization folders), namespace, images,
replicas, configMapGenerator (create, merge) and strategic-merge patches by kind and name.
With kubectl, `kubectl kustomize deploy/k8s/overlays/production` gives the same objects.

    python -m devtools.kustomize_lite deploy/k8s/overlays/production > rendered.yaml
"""
import sys
from pathlib import Path

import yaml

SUPPORTED = {"apiVersion", "kind", "resources", "namespace", "images", "replicas",
             "configMapGenerator", "generatorOptions", "patches"}


def render(folder: Path) -> list[dict]:
    folder = Path(folder)
    spec = yaml.safe_load((folder / "kustomization.yaml").read_text())
    unknown = set(spec) - SUPPORTED
    if unknown:
        raise ValueError(f"{folder}: kustomize_lite does not support {sorted(unknown)}")
    objects = []
    for resource in spec.get("resources", []):
        path = folder / resource
        objects += render(path) if path.is_dir() else [
            document for document in yaml.safe_load_all(path.read_text()) if document]
    for generator in spec.get("configMapGenerator", []):
        literals = dict(literal.split("=", 1) for literal in generator.get("literals", []))
        if generator.get("behavior") == "merge":
            find(objects, "ConfigMap", generator["name"])["data"].update(literals)
        else:
            objects.append({"apiVersion": "v1", "kind": "ConfigMap",
                            "metadata": {"name": generator["name"]}, "data": literals})
    for patch in spec.get("patches", []):
        change = yaml.safe_load((folder / patch["path"]).read_text())
        merge(find(objects, change["kind"], change["metadata"]["name"]), change)
    for replica in spec.get("replicas", []):
        find(objects, "Deployment", replica["name"])["spec"]["replicas"] = replica["count"]
    for image in spec.get("images", []):
        for container in containers(objects):
            name, _, tag = container["image"].partition(":")
            if name == image["name"]:
                container["image"] = f"{image.get('newName', name)}:{image.get('newTag', tag)}"
    if "namespace" in spec:
        for document in objects:
            document["metadata"]["namespace"] = spec["namespace"]
    return objects


def find(objects: list[dict], kind: str, name: str) -> dict:
    for document in objects:
        if document["kind"] == kind and document["metadata"]["name"] == name:
            return document
    raise ValueError(f"no {kind} {name!r} to change")


def containers(objects: list[dict]):
    for document in objects:
        if document["kind"] == "Deployment":
            yield from document["spec"]["template"]["spec"]["containers"]


def merge(target: dict, change: dict) -> None:
    """Strategic merge as Kubernetes does it for what deploy/k8s patches: maps merge, a
    list of named items (containers) merges item by name, other values are replaced."""
    for key, value in change.items():
        old = target.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            merge(old, value)
        elif isinstance(value, list) and isinstance(old, list) and named(value):
            for item in value:
                same = next((entry for entry in old if entry.get("name") == item["name"]), None)
                if same is None:
                    old.append(item)
                else:
                    merge(same, item)
        else:
            target[key] = value


def named(items: list) -> bool:
    return bool(items) and all(isinstance(item, dict) and "name" in item for item in items)

if __name__ == "__main__":
    yaml.safe_dump_all(render(Path(sys.argv[1])), sys.stdout, sort_keys=False)
