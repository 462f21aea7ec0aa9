# shellcheck shell=bash
# How scripts/image calls podman and buildah. Source it, don't run it.
#
# Rootful podman with runc and cgroupfs: that pair runs on hosts without systemd and with
# cgroup v1 controllers mounted by hand, which crun refuses. Every container gets explicit
# ulimits: podman's default (nofile 1048576) can be above the host's hard limit, and then the
# container does not start.
# IMAGE_STORAGE_DRIVER=vfs picks the storage driver where overlay cannot be mounted.

storage_opts=()
if [[ -n ${IMAGE_STORAGE_DRIVER:-} ]]; then
    storage_opts=(--storage-driver "$IMAGE_STORAGE_DRIVER")
fi

# Open files: the host's hard limit (a gateway holds two sockets per request in flight).
# Processes: enough for Relay's threads, low enough for any host to grant.
nofile=$(ulimit -Hn)
[[ $nofile == unlimited ]] && nofile=1048576
# shellcheck disable=SC2034 # used by the scripts that source this file
run_limits=(--ulimit "nofile=$nofile:$nofile" --ulimit nproc=4096:4096)

pm() { podman "${storage_opts[@]}" --runtime runc --cgroup-manager cgroupfs "$@"; }
bah() { buildah "${storage_opts[@]}" "$@"; }
