#!/usr/bin/env bash
# Make a Docker engine answer, for the Docker, PyAirbyte-in-Docker and image tests. Never fails the build:
# when no engine can be started, the reason goes to .docker-unavailable and those tests skip with it.
#
# The engine is set up by ../shared/tools/container-setup.sh (beside the repository; override with
# CONTAINER_SETUP=/path/to/script). It installs Docker from Debian's packages, starts dockerd, and builds
# the local base image local/python-base:3.11 that the connector image is built from when no container
# registry is reachable. It must run as root (directly, or through passwordless sudo).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
reason_file=$repo/.docker-unavailable
log_file=$repo/.docker-engine.log
setup=${CONTAINER_SETUP:-$repo/../shared/tools/container-setup.sh}
rm -f "$reason_file"

docker_answers() { command -v docker >/dev/null 2>&1 && timeout 20 docker info >/dev/null 2>&1; }
unavailable() {
  echo "$1" >"$reason_file"
  echo "docker-engine: Docker tests will be SKIPPED: $1" >&2
  exit 0
}

base_image=${LOCAL_BASE_IMAGE:-local/python-base:3.11}
if docker_answers && docker image inspect "$base_image" >/dev/null 2>&1; then
  echo "docker-engine: the Docker engine answers and $base_image exists"
  exit 0
fi
if [[ ! -f $setup ]]; then
  docker_answers && { echo "docker-engine: the Docker engine answers ($base_image is missing: image builds use the Dockerfile's default base)"; exit 0; }
  unavailable "docker does not answer and the engine setup script $setup does not exist"
fi
if [[ $(id -u) == 0 ]]; then
  run=(bash "$setup")
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  run=(sudo -n bash "$setup")
else
  unavailable "docker does not answer and $setup needs root (no passwordless sudo)"
fi
echo "docker-engine: starting the Docker engine with $setup (log: $log_file; takes a few minutes on a fresh machine)"
start=$(date +%s)
"${run[@]}" setup >"$log_file" 2>&1
rc=$?
if ((rc != 0)); then
  tail -15 "$log_file" >&2
  docker_answers && { echo "docker-engine: the engine answers, but $setup failed (exit code $rc, see $log_file)"; exit 0; }
  unavailable "$setup failed with exit code $rc after $(($(date +%s) - start)) s: $(grep -m1 ERROR "$log_file" || tail -1 "$log_file") (log: $log_file)"
fi
docker_answers || unavailable "$setup finished but docker still does not answer (see $log_file)"
echo "docker-engine: Docker engine ready after $(($(date +%s) - start)) s"
