"""The render's Kubernetes manifests: valid against the Kubernetes schemas, offline, and in step
with the app and its image (probe paths, port, commands, drain timing).

kubernetes-validate ships the schemas of every Kubernetes release inside its wheel, so this runs
with no cluster and no network.
"""

from __future__ import annotations

import json
import re
from typing import Any

import kubernetes_validate
import yaml

from tests.conftest import Project, with_projects

KUBERNETES_VERSION = "1.33.0"
CHECKED = ("async-auth-github", "sync-noauth-gitlab")


def manifests(project: Project) -> dict[str, dict[str, Any]]:
    """The resources the kustomization lists, by kind."""
    folder = project.path / "deploy" / "kubernetes"
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
    resources = [
        yaml.safe_load((folder / name).read_text("utf-8")) for name in kustomization["resources"]
    ]
    return {resource["kind"]: resource for resource in resources}


def container(resource: dict[str, Any]) -> dict[str, Any]:
    """The one container of a Deployment's or Job's pod."""
    (only,) = resource["spec"]["template"]["spec"]["containers"]
    return only


def dockerfile_value(project: Project, instruction: str) -> str:
    """The argument of the last ``instruction`` line of the render's Dockerfile."""
    lines = (project.path / "Dockerfile").read_text("utf-8").splitlines()
    values = [line.split(None, 1)[1] for line in lines if line.startswith(f"{instruction} ")]
    assert values, f"the Dockerfile has no {instruction}"
    return values[-1]


@with_projects(CHECKED)
def test_manifests_are_valid_kubernetes_resources(project: Project) -> None:
    folder = project.path / "deploy" / "kubernetes"
    kustomization = yaml.safe_load((folder / "kustomization.yaml").read_text("utf-8"))
    listed = set(kustomization["resources"])
    on_disk = {path.name for path in folder.glob("*.yaml")} - {"kustomization.yaml"}
    assert listed == on_disk, "every manifest is listed in kustomization.yaml, and only those"
    problems = []
    for name in sorted(listed):
        resource = yaml.safe_load((folder / name).read_text("utf-8"))
        try:
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{name}: {error.message} at {'.'.join(map(str, error.path))}")
    assert not problems, "\n".join(problems)
    assert set(manifests(project)) == {
        "ConfigMap", "Deployment", "Service", "PodDisruptionBudget", "Job",
    }  # fmt: skip


@with_projects(CHECKED)
def test_no_secret_value_is_in_the_repository(project: Project) -> None:
    folder = project.path / "deploy" / "kubernetes"
    kinds = {yaml.safe_load(path.read_text("utf-8")).get("kind") for path in folder.glob("*.yaml")}
    assert "Secret" not in kinds
    config = manifests(project)["ConfigMap"]["data"]
    assert not {"DATABASE_URL", "SECRET_KEY"} & set(config), "secrets belong in the Secret"
    name = manifests(project)["Deployment"]["metadata"]["name"]
    for kind in ("Deployment", "Job"):
        sources = container(manifests(project)[kind])["envFrom"]
        assert {"secretRef": {"name": name}} in sources, f"the {kind} reads no Secret {name!r}"
        assert {
            "secretRef": {
                "name": project.combination.value("project_name").lower().replace(" ", "-")
            }
        } in sources


@with_projects(CHECKED)
def test_probes_port_and_commands_match_the_app_and_its_image(project: Project) -> None:
    resources = manifests(project)
    api, migrate = container(resources["Deployment"]), container(resources["Job"])
    paths = set(json.loads((project.path / "tests/api/openapi.json").read_text("utf-8"))["paths"])
    probes = {
        probe: api[probe]["httpGet"]["path"]
        for probe in ("startupProbe", "livenessProbe", "readinessProbe")
    }
    assert set(probes.values()) <= paths, f"probes on routes the app lacks: {probes}"
    assert probes["readinessProbe"] == "/health/ready"
    assert probes["livenessProbe"] == "/health/live"
    (port,) = api["ports"]
    assert str(port["containerPort"]) == dockerfile_value(project, "EXPOSE")
    assert resources["ConfigMap"]["data"]["PORT"] == str(port["containerPort"])
    assert resources["Service"]["spec"]["ports"][0]["targetPort"] == port["name"]
    assert api["command"] == json.loads(dockerfile_value(project, "CMD"))
    migrate_script = (project.path / "Dockerfile").read_text("utf-8")
    assert migrate["command"] == ["migrate"]
    assert "alembic upgrade head" in migrate_script
    assert "/usr/local/bin/migrate" in migrate_script


@with_projects(CHECKED)
def test_pods_roll_safely_and_drain_before_they_are_killed(project: Project) -> None:
    resources = manifests(project)
    deployment = resources["Deployment"]
    pod, api = deployment["spec"]["template"]["spec"], container(deployment)
    assert deployment["spec"]["replicas"] >= 2
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    pause = int(api["lifecycle"]["preStop"]["exec"]["command"][-1])
    drain = int(resources["ConfigMap"]["data"]["GRACEFUL_TIMEOUT"])
    assert pod["terminationGracePeriodSeconds"] > pause + drain
    for spec, one in (
        (pod, api),
        (resources["Job"]["spec"]["template"]["spec"], container(resources["Job"])),
    ):
        assert spec["securityContext"]["runAsNonRoot"] is True
        assert (
            str(spec["securityContext"]["runAsUser"])
            == dockerfile_value(project, "USER").split(":")[0]
        )
        assert one["securityContext"]["readOnlyRootFilesystem"] is True
        assert one["securityContext"]["allowPrivilegeEscalation"] is False
        assert set(one["resources"]) == {"requests", "limits"}
    budget = resources["PodDisruptionBudget"]["spec"]
    assert budget["selector"]["matchLabels"] == deployment["spec"]["selector"]["matchLabels"]
    assert resources["Service"]["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert re.fullmatch(r"\d+", str(budget["minAvailable"]))
