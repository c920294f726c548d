#!/bin/sh
# The image's entry point: runs tensor-node with `--base-path /data` (or, with
# TENSOR_BIN=tensor-miner, the miner, which takes its own `--data-dir`) as the unprivileged
# `tensor` user. A host directory bind-mounted on /data is usually owned by the host's user; when
# started as root, hand it to `tensor` first.
set -eu
bin="/usr/local/bin/${TENSOR_BIN:-tensor-node}"
if [ "${TENSOR_BIN:-tensor-node}" = tensor-node ]; then
	set -- --base-path /data "$@"
fi
if [ "$(id -u)" = 0 ]; then
	[ "$(stat -c %u /data)" = "$(id -u tensor)" ] || chown -R tensor:tensor /data
	exec setpriv --reuid=tensor --regid=tensor --init-groups "$bin" "$@"
fi
exec "$bin" "$@"
