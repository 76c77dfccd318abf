"""The real services the suite relies on answer as the real thing (proof that tests talk to them)."""

from __future__ import annotations

import time

import psycopg
import pytest
import redis

from tests.conftest import S3Bucket
from tests.fixtures.kubernetes import KubeCluster


def test_postgres_database_is_fresh_and_writable(postgres_url: str) -> None:
    with psycopg.connect(postgres_url) as connection:
        version = connection.execute("SHOW server_version").fetchone()
        tables = connection.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'"
        ).fetchone()
        connection.execute("CREATE TABLE probe (id int primary key)")
        connection.execute("INSERT INTO probe VALUES (1)")
        assert connection.execute("SELECT id FROM probe").fetchone() == (1,)
    assert version is not None and int(version[0].split(".")[0]) >= 13
    assert tables == (0,)


def test_redis_round_trip(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.set("zgw:probe", "ok", ex=10)
    assert client.get("zgw:probe") == b"ok"
    assert client.info("server")["redis_version"]


def test_minio_object_round_trip(s3_bucket: S3Bucket) -> None:
    s3 = s3_bucket.client()
    payload = b"zaakdossier " * 1000
    s3.put_object(Bucket=s3_bucket.bucket, Key="tenant-a/doc.txt", Body=payload)
    assert s3.get_object(Bucket=s3_bucket.bucket, Key="tenant-a/doc.txt")["Body"].read() == payload
    listed = s3.list_objects_v2(Bucket=s3_bucket.bucket)["Contents"]
    assert [o["Key"] for o in listed] == ["tenant-a/doc.txt"]


@pytest.mark.k8s
def test_kubernetes_deployment_becomes_available(kube_cluster: KubeCluster) -> None:
    from kubernetes import client

    api_client = kube_cluster.api_client()
    core, apps = client.CoreV1Api(api_client), client.AppsV1Api(api_client)
    namespace = f"probe-{int(time.time() * 1000) % 10_000_000}"
    core.create_namespace(client.V1Namespace(metadata=client.V1ObjectMeta(name=namespace)))
    labels = {"app": "probe"}
    deployment = client.V1Deployment(
        metadata=client.V1ObjectMeta(name="probe"),
        spec=client.V1DeploymentSpec(
            replicas=2,
            selector=client.V1LabelSelector(match_labels=labels),
            template=client.V1PodTemplateSpec(
                metadata=client.V1ObjectMeta(labels=labels),
                spec=client.V1PodSpec(containers=[client.V1Container(name="app", image="example.invalid/app:1")]),
            ),
        ),
    )
    apps.create_namespaced_deployment(namespace, deployment)
    if not kube_cluster.has_controllers:
        pytest.fail("controller-manager, scheduler and kwok are required for Deployments to become Available")
    deadline = time.monotonic() + 90
    status = None
    while time.monotonic() < deadline:
        status = apps.read_namespaced_deployment_status("probe", namespace).status
        if status.available_replicas == 2:
            break
        time.sleep(0.5)
    assert status is not None and status.available_replicas == 2, status
    pods = core.list_namespaced_pod(namespace).items
    assert len(pods) == 2 and all(p.status.phase == "Running" for p in pods)
    core.delete_namespace(namespace)
