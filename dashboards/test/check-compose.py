#!/usr/bin/env python3
"""The compose stack and the image are closed by default (issue 13). Usage:

    check-compose.py docker-compose.yml Dockerfile

Checks, on the file as written (no engine needed):
- every published port binds to 127.0.0.1 (short "127.0.0.1:H:C" or long syntax host_ip);
- Alertmanager publishes no port;
- Prometheus runs without --web.enable-lifecycle;
- Grafana: no anonymous access, an admin password with no default (${VAR:?...});
- Kafka's listeners for clients (in the network and from the host) are SASL, SCRAM-SHA-512;
- every image is pinned to an exact version (no :latest, no bare major), except the one built here;
- the Dockerfile: pinned FROM lines, no curl or wget in the runtime stage, a HEALTHCHECK.
Prints one line per problem; exit status 1 when there is any.
"""
import re
import sys

import yaml

EXACT_TAG = re.compile(r"^v?\d+\.\d+\.\d+([.-][0-9A-Za-z.-]+)?(@sha256:[0-9a-f]{64})?$")


def ports_of(service):
    for entry in service.get("ports", []) or []:
        if isinstance(entry, dict):
            yield entry.get("host_ip"), str(entry)
        else:
            text = str(entry)
            # "IP:HOST:CONTAINER" -> IP; "HOST:CONTAINER" or "CONTAINER" -> no IP (every interface)
            parts = text.split(":")
            yield (parts[0] if len(parts) == 3 else None), text


def text_of(value):
    if isinstance(value, list):
        return "\n".join(str(v) for v in value)
    return "" if value is None else str(value)


def check_compose(path):
    problems = []
    with open(path) as f:
        compose = yaml.safe_load(f)
    services = compose.get("services", {})
    for name, service in services.items():
        for host_ip, text in ports_of(service):
            if host_ip != "127.0.0.1":
                problems.append(f"{name}: port {text!r} is published on every interface, not on 127.0.0.1")
        image = service.get("image")
        if image and "build" not in service:
            tag = image.rsplit(":", 1)[1] if ":" in image.split("/")[-1] else ""
            if not EXACT_TAG.match(tag):
                problems.append(f"{name}: image {image!r} is not pinned to an exact version")
        command = text_of(service.get("command")) + "\n" + text_of(service.get("entrypoint"))
        if "--web.enable-lifecycle" in command:
            problems.append(f"{name}: --web.enable-lifecycle lets anyone who reaches it shut Prometheus down")
    if services.get("alertmanager", {}).get("ports"):
        problems.append("alertmanager: published; Prometheus reaches it on the compose network")
    grafana = (services.get("grafana") or {}).get("environment") or {}
    if str(grafana.get("GF_AUTH_ANONYMOUS_ENABLED", "false")).lower() != "false":
        problems.append("grafana: anonymous access is on")
    password = str(grafana.get("GF_SECURITY_ADMIN_PASSWORD", ""))
    if not re.fullmatch(r"\$\{[A-Z_]+:\?[^}]*\}", password):
        problems.append(f"grafana: the admin password must come from .env with no default, got {password!r}")
    kafka = text_of((services.get("kafka") or {}).get("command"))
    protocols = re.search(r"listener\.security\.protocol\.map=(\S+)", kafka)
    mapping = dict(p.split(":") for p in protocols.group(1).split(",")) if protocols else {}
    for listener in ("CLIENTS", "HOST"):
        if mapping.get(listener) not in ("SASL_PLAINTEXT", "SASL_SSL"):
            problems.append(f"kafka: listener {listener} is {mapping.get(listener)}, not SASL")
    if "sasl.enabled.mechanisms=SCRAM-SHA-512" not in kafka or "--add-scram" not in kafka:
        problems.append("kafka: SCRAM-SHA-512 is not enabled, or no SCRAM user is created at format time")
    return problems


def check_dockerfile(path):
    problems = []
    with open(path) as f:
        lines = [line.rstrip("\n") for line in f]
    stages = [i for i, line in enumerate(lines) if line.upper().startswith("FROM ")]
    for i in stages:
        image = lines[i].split()[1]
        tag = image.rsplit(":", 1)[1] if ":" in image else ""
        if not re.match(r"^\d+\.\d+\.\d+", tag.split("@")[0]):
            problems.append(f"Dockerfile: {lines[i]!r} is not pinned to an exact version")
    runtime = "\n".join(line for line in lines[stages[-1]:] if not line.lstrip().startswith("#")) if stages else ""
    for tool in ("curl", "wget"):
        if re.search(rf"\b{tool}\b", runtime):
            problems.append(f"Dockerfile: the runtime stage installs or uses {tool}")
    if "HEALTHCHECK" not in runtime:
        problems.append("Dockerfile: the runtime stage has no HEALTHCHECK")
    return problems


def main(argv):
    problems = check_compose(argv[1]) + (check_dockerfile(argv[2]) if len(argv) > 2 else [])
    for p in problems:
        print("FAIL " + p)
    if not problems:
        print("ok   compose and image are closed by default")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
