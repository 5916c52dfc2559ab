#!/usr/bin/env python3
"""What a scaled-out Kafka Streams app needs, checked on the rendered manifests (YAML on stdin):

    kubectl kustomize deploy/k8s | python3 deploy/k8s/test/check-manifests.py

The API schemas (validate.mjs) say an object is well-formed; this says it is the deployment the
README promises: state on a volume claim, application.server from the headless Service, probes
on /health/ready and /health/live, a fixed heap that fits the memory limit, MALLOC_ARENA_MAX,
non-root with a read-only root filesystem, a PodDisruptionBudget with standbys, Secrets only
referenced, and monitoring of the API Service. Exit 1 with one line per broken promise.
"""
import re
import sys

import yaml

# README "Scaling out": RSS = heap + about 470 MB beside it
NON_HEAP_MB = 470
SECRET_WORDS = re.compile(r"(password|secret|user\.info|sasl\.jaas\.config|token)\s*=", re.I)


def mebibytes(quantity):
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G)?", str(quantity))
    if not m:
        raise ValueError("unparsed quantity " + str(quantity))
    factor = {None: 1 / 2**20, "Ki": 1 / 1024, "Mi": 1, "Gi": 1024, "Ti": 2**20,
              "k": 1000 / 2**20, "M": 10**6 / 2**20, "G": 10**9 / 2**20}[m.group(2)]
    return int(m.group(1)) * factor


def heap_mb(options, flag):
    m = re.search(r"-" + flag + r"(\d+)([kmgKMG])", options)
    if not m:
        return None
    return int(m.group(1)) * {"k": 1 / 1024, "m": 1, "g": 1024}[m.group(2).lower()]


def main():
    objects = [o for o in yaml.safe_load_all(sys.stdin) if o]
    problems = []

    def need(condition, message):
        if not condition:
            problems.append(message)

    by_kind = {}
    for o in objects:
        by_kind.setdefault(o["kind"], []).append(o)

    need("Secret" not in by_kind, "a Secret is rendered: Secrets must be referenced, never inlined")
    for cm in by_kind.get("ConfigMap", []):
        for key, value in (cm.get("data") or {}).items():
            for line in str(value).splitlines():
                if not line.lstrip().startswith("#") and SECRET_WORDS.search(line):
                    problems.append("ConfigMap %s/%s holds a secret: %s" % (cm["metadata"]["name"], key, line.split("=")[0]))

    sets = by_kind.get("StatefulSet", [])
    need(len(sets) == 1, "exactly one StatefulSet expected, found %d" % len(sets))
    if not sets:
        print("\n".join(problems), file=sys.stderr)
        return 1
    sts = sets[0]
    spec = sts["spec"]
    pod = spec["template"]["spec"]
    services = {s["metadata"]["name"]: s for s in by_kind.get("Service", [])}
    headless = services.get(spec.get("serviceName"))
    need(headless is not None and headless["spec"].get("clusterIP") == "None",
         "serviceName %s is not a rendered headless Service" % spec.get("serviceName"))
    api = [s for s in services.values() if s["spec"].get("clusterIP") != "None"]
    need(len(api) == 1, "one normal (non-headless) Service for the API and page expected")

    claims = {c["metadata"]["name"] for c in spec.get("volumeClaimTemplates", [])}
    need(claims, "no volumeClaimTemplates: the state dir needs a volume of its own per instance")
    need(pod.get("securityContext", {}).get("runAsNonRoot") is True, "pod securityContext.runAsNonRoot is not true")
    volumes = {v["name"]: v for v in pod.get("volumes", [])}
    for v in volumes.values():
        if "secret" in v:
            need(v["secret"].get("secretName"), "secret volume %s names no Secret" % v["name"])

    main_container = None
    for c in pod.get("initContainers", []) + pod["containers"]:
        name = c["name"]
        sc = c.get("securityContext", {})
        need(sc.get("readOnlyRootFilesystem") is True, "%s: readOnlyRootFilesystem is not true" % name)
        need(sc.get("allowPrivilegeEscalation") is False, "%s: allowPrivilegeEscalation is not false" % name)
        res = c.get("resources", {})
        for kind in ("requests", "limits"):
            for r in ("cpu", "memory"):
                need(r in res.get(kind, {}), "%s: no %s.%s" % (name, kind, r))
        for e in c.get("env", []):
            if "value" in e:
                need(not re.search(r"password|secret|token", e["name"], re.I),
                     "%s: env %s has a literal value; take it from a Secret" % (name, e["name"]))
        if "run" in c.get("args", []):
            main_container = c
    need(main_container is not None, "no container runs `run`")
    if main_container is None:
        print("\n".join(problems), file=sys.stderr)
        return 1
    c = main_container
    args = c["args"]

    def arg(option):
        return args[args.index(option) + 1] if option in args and args.index(option) + 1 < len(args) else None

    advertised = arg("--advertised-host") or ""
    need(advertised.startswith("$(POD_NAME).%s." % spec.get("serviceName")),
         "--advertised-host is not the pod's stable name through the headless Service: %r" % advertised)
    env = {e["name"]: e for e in c.get("env", [])}
    need(env.get("POD_NAME", {}).get("valueFrom", {}).get("fieldRef", {}).get("fieldPath") == "metadata.name",
         "POD_NAME is not the downward API's metadata.name")
    need(env.get("MALLOC_ARENA_MAX", {}).get("value") is not None, "MALLOC_ARENA_MAX is not set")
    options = env.get("JAVA_TOOL_OPTIONS", {}).get("value", "")
    xms, xmx = heap_mb(options, "Xms"), heap_mb(options, "Xmx")
    need(xmx is not None and xms == xmx, "the heap is not fixed (-Xms = -Xmx) in JAVA_TOOL_OPTIONS: %r" % options)
    limit = c.get("resources", {}).get("limits", {}).get("memory")
    if xmx and limit:
        need(mebibytes(limit) >= xmx + NON_HEAP_MB,
             "memory limit %s is below heap %d MiB + %d MiB beside it" % (limit, xmx, NON_HEAP_MB))
    probes = {p: c.get(p, {}).get("httpGet", {}).get("path") for p in ("readinessProbe", "livenessProbe")}
    need(probes["readinessProbe"] == "/health/ready", "readiness probe is not /health/ready")
    need(probes["livenessProbe"] == "/health/live", "liveness probe is not /health/live")
    mounts = {m["mountPath"]: m["name"] for m in c.get("volumeMounts", [])}
    state_dir = arg("--state-dir")
    need(state_dir in mounts and mounts[state_dir] in claims, "--state-dir %s is not on a volume claim" % state_dir)
    need("/tmp" in mounts, "/tmp is not a volume (the root filesystem is read-only)")
    config = arg("--config")
    need(config is not None, "`run` gets no --config file")

    # PodDisruptionBudget over the pods, and standbys when more than one instance runs
    pdbs = by_kind.get("PodDisruptionBudget", [])
    labels = spec["template"]["metadata"]["labels"]
    need(any(all(labels.get(k) == v for k, v in p["spec"]["selector"]["matchLabels"].items()) for p in pdbs),
         "no PodDisruptionBudget selects the pods")
    properties = "\n".join(str(v) for cm in by_kind.get("ConfigMap", []) for v in (cm.get("data") or {}).values())
    standby = re.search(r"^\s*num\.standby\.replicas\s*=\s*(\d+)", properties, re.M)
    if spec.get("replicas", 1) > 1:
        need(standby and int(standby.group(1)) >= 1, "more than one replica but num.standby.replicas < 1")

    # monitoring: the ServiceMonitor scrapes the API Service (job label = its name), the rules are there
    monitors = by_kind.get("ServiceMonitor", [])
    need(len(monitors) == 1, "one ServiceMonitor expected")
    if monitors and api:
        selector = monitors[0]["spec"]["selector"]["matchLabels"]
        selected = [s["metadata"]["name"] for s in services.values()
                    if all(s["metadata"].get("labels", {}).get(k) == v for k, v in selector.items())]
        need(selected == [api[0]["metadata"]["name"]], "the ServiceMonitor selects %s, not the API Service only" % selected)
        ports = {p["name"] for p in api[0]["spec"]["ports"]}
        need(all(e.get("port") in ports for e in monitors[0]["spec"]["endpoints"]), "a ServiceMonitor endpoint names no Service port")
    need(len(by_kind.get("PrometheusRule", [])) == 1, "one PrometheusRule expected")

    if problems:
        for p in problems:
            print("FAIL " + p, file=sys.stderr)
        return 1
    print("ok   %d objects: StatefulSet %s (%s replicas), state on %s, probes, heap %d MiB in %s, PDB, standbys %s, monitoring"
          % (len(objects), sts["metadata"]["name"], spec.get("replicas", 1), sorted(claims), xmx, limit,
             standby.group(1) if standby else "0"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
