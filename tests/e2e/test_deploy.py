"""deploy/: the manifests parse, agree with each other, and agree with the binary.

Nothing here needs Docker, a cluster or AWS. What can be run is run: the
ConfigMap's config.toml and the ECS task's environment go through
``ghpool --check-config``, the Dockerfile's runtime packages are compared with
the built binary's NEEDED libraries (through dpkg), the systemd unit through
``systemd-analyze verify`` and the kustomization through ``kubectl kustomize``
when those tools exist.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import tomllib
from pathlib import Path, PurePosixPath
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
K8S = DEPLOY / "kubernetes"
DOCKERFILE = DEPLOY / "Dockerfile"
TASKDEF = DEPLOY / "ecs" / "task-definition.json"
UNIT = DEPLOY / "systemd" / "ghpool.service"
BINARY_IN_IMAGE = "/usr/local/bin/ghpool"

# Defaults of the config keys the manifests depend on (README's table).
DEFAULT_SHUTDOWN_GRACE = 20
DEFAULT_K8S_SECRETS_DIR = "/etc/secrets"


# ---------------------------------------------------------------------------
# loading
# ---------------------------------------------------------------------------

def yaml_files() -> list[Path]:
    return sorted(p for p in DEPLOY.rglob("*") if p.suffix in (".yaml", ".yml"))


def load_docs(path: Path) -> list[dict[str, Any]]:
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d is not None]


def k8s_object(kind: str) -> dict[str, Any]:
    found = [d for p in K8S.glob("*.y*ml") for d in load_docs(p) if d.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind} under {K8S}, found {len(found)}"
    return found[0]


def deployment() -> dict[str, Any]:
    return k8s_object("Deployment")


def pod_spec() -> dict[str, Any]:
    return deployment()["spec"]["template"]["spec"]


def container() -> dict[str, Any]:
    cs = pod_spec()["containers"]
    named = [c for c in cs if c["name"] == "ghpool"]
    assert len(named) == 1, f"no single container named ghpool in {[c['name'] for c in cs]}"
    return named[0]


def configmap_toml_text() -> str:
    data = k8s_object("ConfigMap")["data"]
    assert "config.toml" in data, f"ConfigMap keys: {sorted(data)}"
    return data["config.toml"]


def configmap_config() -> dict[str, Any]:
    return tomllib.loads(configmap_toml_text())


def secret() -> dict[str, Any]:
    return k8s_object("Secret")


def secret_data_keys() -> set[str]:
    s = secret()
    return set(s.get("stringData") or {}) | set(s.get("data") or {})


def taskdef_container() -> dict[str, Any]:
    cs = json.loads(TASKDEF.read_text())["containerDefinitions"]
    assert len(cs) == 1, "the task runs ghpool alone"
    return cs[0]


def mem_bytes(q: str) -> int:
    """A Kubernetes memory quantity (binary or decimal suffix) in bytes."""
    m = re.fullmatch(r"(\d+)(Ki|Mi|Gi|Ti|k|M|G|T)?", str(q))
    assert m, f"unexpected memory quantity {q!r}"
    mult = {None: 1, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40,
            "k": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}[m.group(2)]
    return int(m.group(1)) * mult


def arg_after(args: list[str], flag: str) -> str:
    assert flag in args, f"{flag} not in {args}"
    return args[args.index(flag) + 1]


# ---------------------------------------------------------------------------
# every file parses
# ---------------------------------------------------------------------------

def test_deploy_has_the_expected_files():
    for p in [DOCKERFILE, TASKDEF, UNIT, DEPLOY / "README.md", DEPLOY / "ecs" / "README.md",
              K8S / "kustomization.yaml", REPO_ROOT / ".dockerignore"]:
        assert p.is_file(), f"missing {p.relative_to(REPO_ROOT)}"


@pytest.mark.parametrize("path", yaml_files(), ids=lambda p: str(p.relative_to(DEPLOY)))
def test_yaml_documents_are_kubernetes_objects(path):
    docs = load_docs(path)
    assert docs, f"{path} holds no document"
    for d in docs:
        assert isinstance(d, dict), f"{path}: a document is not a mapping"
        assert d.get("apiVersion"), f"{path}: no apiVersion"
        assert d.get("kind"), f"{path}: no kind"
        # A Kustomization (or Component) is a file kustomize reads, not an
        # object with a name.
        if d["kind"] not in ("Kustomization", "Component"):
            assert (d.get("metadata") or {}).get("name"), f"{path}: {d['kind']} has no metadata.name"


@pytest.mark.parametrize("path", sorted(DEPLOY.rglob("*.json")),
                         ids=lambda p: str(p.relative_to(DEPLOY)))
def test_json_files_load(path):
    json.loads(path.read_text())


# ---------------------------------------------------------------------------
# Kubernetes
# ---------------------------------------------------------------------------

def test_kustomization_lists_exactly_the_manifests():
    kust = load_docs(K8S / "kustomization.yaml")[0]
    listed = kust.get("resources") or []
    assert len(listed) == len(set(listed)), f"duplicate resources: {listed}"
    present = {p.name for p in K8S.iterdir()
               if p.suffix in (".yaml", ".yml") and p.name != "kustomization.yaml"}
    assert set(listed) == present


def test_namespace_agrees_with_the_k8s_references():
    """Every k8s:<ns>/<secret>:<key> names the kustomization's namespace, the
    Secret of secret.yaml and one of its keys."""
    ns = load_docs(K8S / "kustomization.yaml")[0].get("namespace")
    assert ns, "kustomization.yaml sets no namespace"
    for p in K8S.glob("*.y*ml"):
        for d in load_docs(p):
            got = (d.get("metadata") or {}).get("namespace")
            assert got in (None, ns), f"{p.name}: {d['kind']} in namespace {got}, not {ns}"
    refs = re.findall(r'"k8s:([^/"]+)/([^:"]+):([^"]+)"', configmap_toml_text())
    assert refs, "the ConfigMap's config.toml uses no k8s: reference"
    for rns, name, key in refs:
        assert rns == ns, f"k8s:{rns}/{name}:{key} names namespace {rns}, not {ns}"
        assert name == secret()["metadata"]["name"], f"k8s:{rns}/{name}:{key}: no such Secret"
        assert key in secret_data_keys(), f"k8s:{rns}/{name}:{key}: the Secret has no key {key}"


def test_selectors_match_pod_labels():
    labels = deployment()["spec"]["template"]["metadata"]["labels"]
    for sel in (deployment()["spec"]["selector"]["matchLabels"], k8s_object("Service")["spec"]["selector"]):
        assert sel and all(labels.get(k) == v for k, v in sel.items()), (sel, labels)


def test_probes():
    c = container()
    assert c["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert c["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p.get("name") for p in c["ports"]} | {p["containerPort"] for p in c["ports"]}
    for probe in ("livenessProbe", "readinessProbe"):
        assert c[probe]["httpGet"]["port"] in ports, f"{probe} port is not a container port"


def test_service_targets_the_container_port():
    c = container()
    assert [p["containerPort"] for p in c["ports"]] == [8080]
    svc = k8s_object("Service")
    assert svc["spec"].get("type", "ClusterIP") == "ClusterIP"
    [sp] = svc["spec"]["ports"]
    assert sp["port"] == 8080
    target = sp.get("targetPort", sp["port"])
    assert any(target in (p.get("name"), p["containerPort"]) for p in c["ports"]), \
        f"Service targetPort {target!r} matches no port of {c['ports']}"


def test_security_context():
    pod, c = pod_spec(), container()
    psc, csc = pod.get("securityContext") or {}, c.get("securityContext") or {}
    for sc in (psc, csc):
        assert sc.get("runAsNonRoot") is True
        assert sc.get("runAsUser") == 10001
    assert csc.get("readOnlyRootFilesystem") is True
    assert csc.get("allowPrivilegeEscalation") is False
    assert csc.get("capabilities", {}).get("drop") == ["ALL"]
    seccomp = csc.get("seccompProfile") or psc.get("seccompProfile") or {}
    assert seccomp.get("type") == "RuntimeDefault"
    assert pod.get("automountServiceAccountToken") is False


def test_image_and_pod_run_as_the_same_uid():
    user, _ = dockerfile_user()
    assert pod_spec()["securityContext"]["runAsUser"] == user
    assert container()["securityContext"]["runAsUser"] == user
    assert int(taskdef_container()["user"].split(":")[0]) == user


def test_termination_outlasts_the_drain():
    """SIGKILL only after the preStop sleep and ghpool's own grace."""
    cfg = configmap_config()
    grace = cfg.get("shutdown_grace_secs", DEFAULT_SHUTDOWN_GRACE)
    sleep = container()["lifecycle"]["preStop"]["sleep"]["seconds"]
    assert 0 < sleep <= 10
    assert pod_spec()["terminationGracePeriodSeconds"] > sleep + grace


def test_resources_and_cache_fit():
    res = container()["resources"]
    for kind in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(res[kind]), f"resources.{kind}: {res[kind]}"
    limit = mem_bytes(res["limits"]["memory"])
    assert mem_bytes(res["requests"]["memory"]) <= limit
    max_bytes = configmap_config().get("cache", {}).get("max_bytes", 256 * 2**20)
    assert max_bytes <= limit * 3 // 4, \
        f"cache max_bytes {max_bytes} leaves too little of the {limit}-byte memory limit"


def test_config_and_secret_are_mounted_where_ghpool_reads_them():
    pod, c = pod_spec(), container()
    mounts = {m["name"]: m for m in c["volumeMounts"]}
    vols = {v["name"]: v for v in pod["volumes"]}

    # --config points at the config.toml key of the ConfigMap volume.
    cfg_path = PurePosixPath(arg_after(c["args"], "--config"))
    cm_name = k8s_object("ConfigMap")["metadata"]["name"]
    [cm_vol] = [v for v in vols.values() if (v.get("configMap") or {}).get("name") == cm_name]
    m = mounts[cm_vol["name"]]
    items = {i["key"]: i["path"] for i in cm_vol["configMap"].get("items", [])}
    assert "subPath" not in m, "subPath mounts never see ConfigMap updates"
    assert str(cfg_path) == f"{m['mountPath']}/{items.get('config.toml', 'config.toml')}"

    # The Secret sits at <k8s_secrets_dir>/<secret name>, as a directory.
    name = secret()["metadata"]["name"]
    [sec_vol] = [v for v in vols.values() if (v.get("secret") or {}).get("secretName") == name]
    m = mounts[sec_vol["name"]]
    secrets_dir = configmap_config().get("k8s_secrets_dir", DEFAULT_K8S_SECRETS_DIR)
    assert m["mountPath"] == f"{secrets_dir}/{name}"
    assert m.get("readOnly") is True
    assert "subPath" not in m and "items" not in sec_vol["secret"], \
        "every key must appear as a file, and rotations need a whole-directory mount"


def test_secret_holds_placeholders_only():
    for k, v in (secret().get("stringData") or {}).items():
        assert "REPLACE" in v or "PLACEHOLDER" in v.upper(), f"{k} looks like a real token"


def test_kustomize_builds():
    kubectl = shutil.which("kubectl")
    if not kubectl:
        pytest.skip("kubectl not installed")
    p = subprocess.run([kubectl, "kustomize", str(K8S)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    kinds = sorted(d["kind"] for d in yaml.safe_load_all(p.stdout) if d)
    assert kinds == ["ConfigMap", "Deployment", "Secret", "Service"]


def test_configmap_config_passes_check_config(ghpool_cli, tmp_path):
    """The real binary accepts the ConfigMap's config.toml with the Secret's
    keys laid out as the kubelet mounts them."""
    sec = secret()
    sdir = tmp_path / "secrets" / sec["metadata"]["name"]
    sdir.mkdir(parents=True)
    for key, value in (sec.get("stringData") or {}).items():
        # With a trailing newline, as files behind --from-file often end:
        # ghpool trims one.
        (sdir / key).write_text(value + "\n")
    text = configmap_toml_text()
    line = f'k8s_secrets_dir = "{tmp_path / "secrets"}"'
    text, n = re.subn(r"(?m)^k8s_secrets_dir\s*=.*$", line, text)
    if n == 0:
        text = line + "\n" + text
    cfg = tmp_path / "config.toml"
    cfg.write_text(text)
    p = ghpool_cli(["--check-config", "--config", str(cfg)])
    assert p.returncode == 0, p.stderr
    for ident in configmap_config()["identities"]:
        assert f'id = "{ident["id"]}"' in p.stdout


# ---------------------------------------------------------------------------
# ECS
# ---------------------------------------------------------------------------

def test_ecs_task_definition():
    td = json.loads(TASKDEF.read_text())
    assert td["requiresCompatibilities"] == ["FARGATE"]
    assert td["networkMode"] == "awsvpc"
    c = taskdef_container()
    assert c["healthCheck"]["command"] == ["CMD", BINARY_IN_IMAGE, "--health-check"]
    user = c["user"].split(":")[0]
    assert user.isdigit() and int(user) != 0, f"user {c['user']!r} is not a numeric non-root uid"
    assert c["readonlyRootFilesystem"] is True
    [pm] = c["portMappings"]
    assert (pm["containerPort"], pm["name"], pm["appProtocol"]) == (8080, "http", "http")
    env = {e["name"]: e["value"] for e in c["environment"]}
    assert c["stopTimeout"] > int(env.get("GHPOOL_SHUTDOWN_GRACE_SECS", DEFAULT_SHUTDOWN_GRACE))
    assert c["logConfiguration"]["logDriver"] == "awslogs"
    assert env.get("GHPOOL_LOG_FORMAT") == "json"
    assert c["secrets"], "no secrets"
    for s in c["secrets"]:
        assert set(s) == {"name", "valueFrom"}, s
        assert re.fullmatch(r"GHPOOL_PAT_[A-Z0-9_]+", s["name"]), s["name"]
        assert s["valueFrom"].startswith("arn:aws:secretsmanager:"), s["valueFrom"]


def test_ecs_environment_passes_check_config(ghpool_cli, tmp_path):
    """The task's command and environment, with stand-in tokens for its
    secrets, are a configuration the binary accepts (cwd has no config.toml)."""
    c = taskdef_container()
    env = {e["name"]: e["value"] for e in c["environment"]}
    env.update({s["name"]: f"tok_ecs_{i}" for i, s in enumerate(c["secrets"])})
    p = ghpool_cli(list(c.get("command") or []) + ["--check-config"], env=env, cwd=tmp_path)
    assert p.returncode == 0, p.stderr
    assert "source: environment" in p.stdout
    # The variables took effect, as --check-config prints them.
    expect = {
        "GHPOOL_ALLOWED_OWNERS": lambda v: "allowed_owners = " + json.dumps(v.split(",")),
        "GHPOOL_LOG_FORMAT": lambda v: f'log_format = "{v}"',
        "GHPOOL_SHUTDOWN_GRACE_SECS": lambda v: f"shutdown_grace_secs = {v}",
    }
    for name, line in expect.items():
        if name in env:
            assert line(env[name]) in p.stdout.splitlines(), f"{name}: {p.stdout}"
    for s in c["secrets"]:
        ident = s["name"][len("GHPOOL_PAT_"):].lower()
        assert f'id = "{ident}"' in p.stdout


# ---------------------------------------------------------------------------
# Dockerfile
# ---------------------------------------------------------------------------

def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuations joined and comments dropped."""
    out: list[tuple[str, str]] = []
    cur = ""
    for raw in DOCKERFILE.read_text().splitlines():
        line = raw.strip()
        if line.startswith("#") or (not line and cur):
            continue
        if line.endswith("\\"):
            cur += line[:-1] + " "
            continue
        cur += line
        if cur.strip():
            word, _, rest = cur.strip().partition(" ")
            out.append((word.upper(), rest.strip()))
        cur = ""
    assert not cur, "Dockerfile ends inside a continuation"
    return out


def dockerfile_stages() -> list[list[tuple[str, str]]]:
    stages: list[list[tuple[str, str]]] = []
    for ins in dockerfile_instructions():
        if ins[0] == "FROM":
            stages.append([])
        assert stages, "an instruction before the first FROM"
        stages[-1].append(ins)
    return stages


def apt_installs(stage: list[tuple[str, str]]) -> tuple[list[str], list[str]]:
    """(packages, RUN lines that install) of a stage's apt-get install commands."""
    pkgs: list[str] = []
    runs: list[str] = []
    for ins, args in stage:
        if ins != "RUN":
            continue
        for cmd in re.split(r"&&|\|\||;|\|", args):
            words = shlex.split(cmd)
            if "apt-get" in words and "install" in words[words.index("apt-get"):]:
                runs.append(args)
                after = words[words.index("install") + 1:]
                pkgs += [w for w in after if not w.startswith("-")]
    return pkgs, runs


def dockerfile_user() -> tuple[int, int | None]:
    users = [a for i, a in dockerfile_stages()[-1] if i == "USER"]
    assert users, "the runtime stage sets no USER"
    user, _, group = users[-1].partition(":")
    assert user.isdigit(), f"USER {users[-1]!r}: numeric, so runAsNonRoot can verify it"
    assert int(user) != 0, "USER is root"
    assert not group or group.isdigit(), f"USER {users[-1]!r}: numeric group"
    return int(user), (int(group) if group else None)


def debian_package_of(path: str) -> str | None:
    """dpkg -S on the path as given, resolved, and in its merged-/usr twin."""
    cands = []
    for p in (path, os.path.realpath(path)):
        cands.append(p)
        cands.append(p[4:] if p.startswith("/usr/") else "/usr" + p)
    for c in cands:
        r = subprocess.run(["dpkg", "-S", c], capture_output=True, text=True)
        if r.returncode == 0:
            return r.stdout.split(":", 1)[0].split(",")[0].strip()
    return None


def needed_libraries(binary: Path) -> list[str]:
    if shutil.which("objdump"):
        out = subprocess.run(["objdump", "-p", str(binary)], capture_output=True, text=True,
                             check=True).stdout
        return re.findall(r"^\s*NEEDED\s+(\S+)", out, re.M)
    out = subprocess.run(["readelf", "-d", str(binary)], capture_output=True, text=True,
                         check=True).stdout
    return re.findall(r"\(NEEDED\).*\[(.+?)\]", out)


def library_paths(binary: Path) -> dict[str, str]:
    """soname -> path, as the dynamic loader resolves them."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    paths = {}
    for line in out.splitlines():
        m = re.match(r"\s*(\S+) => (/\S+)", line) or re.match(r"\s*((/\S+))", line)
        if m:
            paths[m.group(1) if "=>" in line else os.path.basename(m.group(2))] = m.group(2)
    return paths


# Sanitizer runtimes come with ASan/UBSan builds (make test's second run),
# never with the release the image builds.
SANITIZER_LIB = re.compile(r"^lib(asan|ubsan|tsan|lsan|hwasan)\.so")
# Not for a linked library, and nothing else.
RUNTIME_EXTRAS = {"ca-certificates"}
BUILD_ONLY = re.compile(r"(-dev|-dbg)$|^(gcc|g\+\+|cpp|clang|make|meson|ninja-build|pkg-config|pkgconf"
                        r"|build-essential|binutils|libc6-dev|git)(-\d+)?$")


def test_dockerfile_runtime_packages_cover_the_binary(ghpool_bin):
    if not shutil.which("dpkg") or not shutil.which("ldd"):
        pytest.skip("needs dpkg and ldd (a Debian host) to map libraries to packages")
    stages = dockerfile_stages()
    assert len(stages) >= 2, "a multi-stage build"
    runtime, runs = apt_installs(stages[-1])
    paths = library_paths(ghpool_bin)
    needed: dict[str, str] = {}
    for lib in needed_libraries(ghpool_bin):
        if SANITIZER_LIB.match(lib):
            continue
        assert lib in paths, f"ldd does not resolve {lib}"
        pkg = debian_package_of(paths[lib])
        assert pkg, f"no Debian package owns {paths[lib]} ({lib})"
        if pkg != "libc6":      # debian:12-slim has it
            needed[lib] = pkg
    assert needed, "found no linked library: is the binary dynamic?"
    missing = {lib: pkg for lib, pkg in needed.items() if pkg not in runtime}
    assert not missing, f"the runtime stage lacks packages for {missing}"
    extra = set(runtime) - set(needed.values()) - RUNTIME_EXTRAS
    assert not extra, f"the runtime stage installs packages ghpool does not link: {sorted(extra)}"
    assert RUNTIME_EXTRAS <= set(runtime)
    for run in runs:
        assert "--no-install-recommends" in run
        assert "rm -rf /var/lib/apt/lists/*" in run


def test_dockerfile_runtime_stage():
    stages = dockerfile_stages()
    build, final = stages[0], stages[-1]
    assert build[0][1].split()[0] == "debian:12"
    assert final[0][1].split()[0] == "debian:12-slim"
    pkgs, _ = apt_installs(final)
    assert not [p for p in pkgs if BUILD_ONLY.search(p)], f"build tools in the runtime stage: {pkgs}"
    ins = {}
    for i, a in final:
        ins.setdefault(i, []).append(a)
    dockerfile_user()
    assert any(re.fullmatch(r"8080(/tcp)?", p) for a in ins["EXPOSE"] for p in a.split())
    [hc] = ins["HEALTHCHECK"]
    assert json.loads(hc[hc.index("CMD") + 3:].strip()) == [BINARY_IN_IMAGE, "--health-check"]
    assert [json.loads(a) for a in ins["ENTRYPOINT"]] == [[BINARY_IN_IMAGE]]
    # No CMD: from WORKDIR / the default ./config.toml is the mounted
    # /config.toml, and without it ghpool runs from the environment (ECS).
    assert "CMD" not in ins, ins.get("CMD")
    assert ins["WORKDIR"][-1] == "/"
    assert ins["STOPSIGNAL"] == ["SIGTERM"]
    copies = [a for a in ins["COPY"] if a.startswith("--from=")]
    assert any(a.split()[-1] == BINARY_IN_IMAGE for a in copies), copies


def test_dockerfile_builds_the_server_target():
    meson = (REPO_ROOT / "meson.build").read_text()
    assert re.search(r"executable\(\s*'ghpool'", meson), "meson.build has no 'ghpool' target"
    runs = " ".join(a for i, a in dockerfile_stages()[0] if i == "RUN")
    assert re.search(r"meson setup build\b.*--buildtype=release", runs)
    assert re.search(r"ninja -C build ghpool\b", runs)


def test_dockerignore_keeps_local_state_out():
    lines = {ln.strip() for ln in (REPO_ROOT / ".dockerignore").read_text().splitlines()
             if ln.strip() and not ln.startswith("#")}
    for pattern in ("build*/", ".git", "/config.toml"):
        assert pattern in lines, f".dockerignore lacks {pattern}"
    assert any("__pycache__" in ln for ln in lines) and any("node_modules" in ln for ln in lines)


# ---------------------------------------------------------------------------
# systemd
# ---------------------------------------------------------------------------

def unit_settings() -> dict[str, list[str]]:
    """Key -> values of the [Service] section (keys may repeat)."""
    section, out = None, {}
    for raw in UNIT.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
            continue
        if section == "[Service]":
            k, _, v = line.partition("=")
            out.setdefault(k.strip(), []).append(v.strip())
    return out


SANDBOX = {
    "DynamicUser": "yes", "NoNewPrivileges": "yes", "ProtectSystem": "strict",
    "ProtectHome": "yes", "PrivateTmp": "yes", "PrivateDevices": "yes",
    "ProtectKernelTunables": "yes", "ProtectKernelModules": "yes", "ProtectKernelLogs": "yes",
    "ProtectControlGroups": "yes", "ProtectClock": "yes", "ProtectHostname": "yes",
    "RestrictAddressFamilies": "AF_INET AF_INET6 AF_UNIX", "RestrictNamespaces": "yes",
    "LockPersonality": "yes", "MemoryDenyWriteExecute": "yes", "RestrictRealtime": "yes",
    "RestrictSUIDSGID": "yes", "SystemCallArchitectures": "native",
    "SystemCallFilter": "@system-service", "CapabilityBoundingSet": "", "AmbientCapabilities": "",
}


def test_systemd_unit_settings():
    s = unit_settings()
    for key, want in SANDBOX.items():
        assert s.get(key) == [want], f"{key}: {s.get(key)} (want {want!r})"
    assert s["Type"] == ["exec"]
    assert s["ExecStart"] == [f"{BINARY_IN_IMAGE} --config /etc/ghpool/config.toml"]
    assert s["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert s["KillSignal"] == ["SIGTERM"]
    assert int(s["TimeoutStopSec"][0]) > DEFAULT_SHUTDOWN_GRACE
    assert s["Restart"] == ["on-failure"]
    assert s["EnvironmentFile"] == ["-/etc/ghpool/env"]


def test_systemd_unit_verifies(ghpool_bin, tmp_path):
    sa = shutil.which("systemd-analyze")
    if not sa:
        pytest.skip("systemd-analyze not installed")
    unit = tmp_path / "ghpool.service"
    text = UNIT.read_text()
    assert f"ExecStart={BINARY_IN_IMAGE} " in text
    unit.write_text(text.replace(f"ExecStart={BINARY_IN_IMAGE} ", f"ExecStart={ghpool_bin} "))
    p = subprocess.run([sa, "verify", str(unit)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "ghpool.service" not in p.stderr, p.stderr   # no warnings about our unit either


def test_redis_component_builds_and_turns_redis_on(tmp_path):
    """The optional Redis (redis/, a kustomize component) builds with the base, adds a
    Redis Deployment and Service, sets ghpool's backend through the environment, and
    ghpool's Service still selects ghpool's pods only."""
    import shutil
    import subprocess
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl not installed")
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    kust = (copy / "kustomization.yaml").read_text()
    assert "# components:\n#   - redis\n" in kust, "the component is not offered"
    (copy / "kustomization.yaml").write_text(
        kust.replace("# components:\n#   - redis\n", "components:\n  - redis\n"))
    p = subprocess.run([kubectl, "kustomize", str(copy)], capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 0, p.stderr
    docs = [d for d in yaml.safe_load_all(p.stdout) if d]
    by = {(d["kind"], d["metadata"]["name"]): d for d in docs}
    assert ("Deployment", "ghpool-redis") in by and ("Service", "ghpool-redis") in by
    env = {e["name"]: e.get("value") for c in
           by[("Deployment", "ghpool")]["spec"]["template"]["spec"]["containers"]
           for e in c.get("env", [])}
    assert env.get("GHPOOL_CACHE_BACKEND") == "redis"
    assert env.get("GHPOOL_REDIS_URL", "").startswith("redis://ghpool-redis:6379")
    sel = by[("Service", "ghpool")]["spec"]["selector"]
    redis_labels = by[("Deployment", "ghpool-redis")]["spec"]["template"]["metadata"]["labels"]
    assert not all(redis_labels.get(k) == v for k, v in sel.items()), \
        "ghpool's Service would select the Redis pods"
    r_sel = by[("Service", "ghpool-redis")]["spec"]["selector"]
    assert all(redis_labels.get(k) == v for k, v in r_sel.items())
