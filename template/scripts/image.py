"""The image in CI: `make image-e2e` and `make publish-image` (a user's own `make image`
is plain `docker build`).

Through the docker SDK (a dev dependency already, for testcontainers), so a CI job needs Python
and a Docker API, not the docker CLI: GitLab's uv image with a Docker-in-Docker service will do.

test: build; `migrate` once, then the server, both on DATABASE_URL and on the host's network
(a CI job's PostgreSQL service is at the same address for them as for the job); then the e2e
tests over HTTP (BASE_URL). CONTAINER_HOST is where the job reaches the container's port:
127.0.0.1 by default, the Docker-in-Docker service's host on GitLab.
publish: build, log in with REGISTRY_USER / REGISTRY_PASSWORD from the environment, push.
"""

import argparse
import os
import secrets
import subprocess
import sys
import time
import urllib.error
import urllib.request

import docker

READY_SECONDS = 60


def build(client: docker.DockerClient, image: str) -> None:
    """Build the Dockerfile here as `image`, printing the build's output."""
    for chunk in client.api.build(path=".", tag=image, rm=True, decode=True):
        if "error" in chunk:
            sys.exit(f"the image did not build: {chunk['error']}")
        print(chunk.get("stream", ""), end="")


def ready(url: str) -> bool:
    """True once /health/ready answers 200."""
    try:
        with urllib.request.urlopen(f"{url}/health/ready", timeout=2) as response:  # noqa: S310 (our own URL)
            return bool(response.status == 200)
    except (OSError, urllib.error.URLError):
        return False


def test(client: docker.DockerClient, image: str) -> int:
    """Migrate, serve, run the e2e suite against the container; always remove the container."""
    database_url = os.environ.get("DATABASE_URL")
    if not database_url:
        sys.exit("DATABASE_URL is not set: name the PostgreSQL the container should use.")
    port = os.environ.get("CONTAINER_PORT", "8080")
    env = {
        "DATABASE_URL": database_url,
        "PORT": port,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_urlsafe(48),
    }
    print(
        client.containers.run(
            image, "migrate", environment=env, network_mode="host", remove=True, stderr=True
        ).decode()
    )
    server = client.containers.run(image, environment=env, network_mode="host", detach=True)
    url = f"http://{os.environ.get('CONTAINER_HOST', '127.0.0.1')}:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not ready(url):
            if time.monotonic() > deadline:
                print(f"{url}/health/ready did not answer 200 within {READY_SECONDS}s")
                return 1
            time.sleep(0.5)
        # The slow e2e tests start servers of their own: `make test-slow` runs them.
        suite = [sys.executable, "-m", "pytest", "tests/e2e", "-m", "not slow", "--no-cov"]
        run = subprocess.run(suite, env=os.environ | {"BASE_URL": url}, check=False)  # noqa: S603 (our interpreter, fixed arguments)
        return run.returncode
    finally:
        print(server.logs().decode(errors="replace"))
        server.remove(force=True)


def publish(client: docker.DockerClient, image: str) -> int:
    """Log in to the image's registry with the job's credentials and push the image."""
    client.login(
        username=os.environ["REGISTRY_USER"],
        password=os.environ["REGISTRY_PASSWORD"],
        registry=image.split("/", 1)[0],
    )
    for line in client.images.push(image, stream=True, decode=True):
        if "error" in line:
            sys.exit(f"the push failed: {line['error']}")
        print(line.get("status", ""), line.get("progress", ""))
    return 0


def main() -> int:
    """Build the image, then test or publish it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("action", choices=["test", "publish"])
    parser.add_argument("image", help="name:tag of the image to build")
    args = parser.parse_args()
    client = docker.from_env()
    build(client, args.image)
    return test(client, args.image) if args.action == "test" else publish(client, args.image)


if __name__ == "__main__":
    sys.exit(main())
