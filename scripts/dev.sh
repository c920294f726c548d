#!/usr/bin/env bash
# The project's main job on one machine: a development chain and two miners beside it that
# register, train on natural text, serve each other and post weights, so that emission flows.
# Installs what is missing and builds first (the same build as scripts/test.sh). Ctrl-C stops
# everything it started.
#
#   scripts/dev.sh               the dev node on ws://127.0.0.1:9944 and miners //Bob, //Charlie
#   scripts/dev.sh --node-only   the chain alone
#   scripts/dev.sh --tmp         start from a fresh chain and fresh models in a new /tmp dir (by
#                                default the chain and the models are kept in DEV_DIR)
#   scripts/dev.sh -- ARGS       ARGS go to tensor-node, e.g. `-- --sealing instant`
#
# Settings (environment):
#   DEV_DIR=$HOME/.local/share/tensor-dev   chain database, miner data dirs, logs, corpora
#   MINER_PRESET=tiny    model preset of new miners (tiny, small, gpu; docs/miner.md): tiny
#                        because the node and two miners share the machine's cores (`small`
#                        took 1.4 s a step here on 2 cores); use small or gpu on a larger one
#   MINER_STAKE=100      TAO each miner registers with
set -euo pipefail
cd "$(dirname "$0")/.."

node_only=0
fresh=0
node_args=()
while (($#)); do
	case "$1" in
	--node-only) node_only=1 ;;
	--tmp) fresh=1 ;;
	--) shift; node_args=("$@"); break ;;
	-h | --help) sed -n '2,19s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "unknown argument: $1 (see scripts/dev.sh --help)" >&2; exit 1 ;;
	esac
	shift
done

if ((node_only)); then bash scripts/setup.sh; else bash scripts/setup.sh --with-corpus; fi
source scripts/env.sh
TENSOR_MINER="$CARGO_TARGET_DIR/release/tensor-miner"
log() { printf '[dev] %s\n' "$*" >&2; }

# Before the first build: what it costs, and the free disk space where it goes.
first_build_gb=16 # a full target directory (node, miner, tests, benchmarks) is about 15 GiB
if [ ! -x "$TENSOR_NODE" ]; then
	dir="$CARGO_TARGET_DIR"
	while [ ! -d "$dir" ]; do dir=$(dirname "$dir"); done
	free_bytes=$(df -P -B1 "$dir" | awk 'NR == 2 { print $4 }')
	cat >&2 <<-EOF
		[dev] No node binary yet ($TENSOR_NODE).
		[dev] The first build compiles polkadot-sdk and takes most of an hour on a 2-core machine
		[dev] (docs/build.md: about 41 min for the node and all test binaries from a clean target
		[dev] directory); later builds are incremental.
		[dev] It needs about $first_build_gb GB of disk under $CARGO_TARGET_DIR, plus about 2 GB of
		[dev] crate sources under ${CARGO_HOME:-~/.cargo}. Free space there:
	EOF
	df -h "$dir" >&2
	if [[ $free_bytes =~ ^[0-9]+$ ]] && ((free_bytes < first_build_gb * 1000 * 1000 * 1000)); then
		printf '[dev] warning: less than %s GB free; set CARGO_TARGET_DIR to a larger disk\n' \
			"$first_build_gb" >&2
	fi
fi

# The same build as scripts/test.sh (`cargo test --workspace` unifies the features of the
# tests' dependencies too): building only the binaries would compile ~180 crates again with
# other features, after a test run or before one.
cargo test --release --locked --workspace --no-run

DEV_DIR="${DEV_DIR:-$HOME/.local/share/tensor-dev}"
if ((fresh)); then
	DEV_DIR=$(mktemp -d /tmp/tensor-dev.XXXXXX)
fi
mkdir -p "$DEV_DIR/logs"
MINER_PRESET="${MINER_PRESET:-tiny}"
MINER_STAKE="${MINER_STAKE:-100}"
RPC=ws://127.0.0.1:9944

pids=()
stop_all() {
	if ((${#pids[@]})); then
		log "stopping ${#pids[@]} processes"
		kill -TERM "${pids[@]}" 2>/dev/null || true
		# Give them 20 s to save (the node its database, the miners their checkpoints).
		for _ in $(seq 1 40); do
			kill -0 "${pids[@]}" 2>/dev/null || break
			sleep 0.5
		done
		kill -KILL "${pids[@]}" 2>/dev/null || true
		wait 2>/dev/null || true
	fi
}
trap stop_all EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The node: its log on the terminal when it runs alone, in DEV_DIR beside the miners'.
node_log="$DEV_DIR/logs/node.log"
((node_only)) && node_log=/dev/stderr
"$TENSOR_NODE" --dev --base-path "$DEV_DIR/node" --rpc-cors all "${node_args[@]}" 2>"$node_log" &
pids+=($!)
if ((node_only)); then
	log "dev chain in $DEV_DIR/node, RPC $RPC"
	wait "${pids[0]}"
	exit
fi
log "node starting (log $node_log)"

# The miners' corpora: Debian's fortunes, split by topic so that each miner knows text the
# other does not (they share the tokenizer, so each can use what the other knows).
fortunes=/usr/share/games/fortunes
corpus() { # corpus NAME TOPIC... : writes the topics' entries, without the `%` separators
	local out="$DEV_DIR/corpus-$1.txt"
	shift
	[ -s "$out" ] && return
	for topic in "$@"; do
		[ -r "$fortunes/$topic" ] || { log "no $fortunes/$topic: is the fortunes package installed?"; exit 1; }
		grep -v '^%$' "$fortunes/$topic"
	done >"$out.tmp"
	mv "$out.tmp" "$out"
}
corpus bob people wisdom literature art men-women work politics songs-poems
corpus charlie computers science linux perl definitions education law

rpc_up() {
	curl -sf -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}' http://127.0.0.1:9944 \
		>/dev/null
}
for _ in $(seq 1 240); do
	rpc_up && break
	kill -0 "${pids[0]}" 2>/dev/null || { tail -20 "$node_log" >&2; exit 1; }
	sleep 0.5
done
rpc_up || { log "the node's RPC did not come up in 120 s"; tail -20 "$node_log" >&2; exit 1; }

k=0
for name in Bob Charlie; do
	lower=$(tr '[:upper:]' '[:lower:]' <<<"$name")
	corpus_file="$DEV_DIR/corpus-$lower.txt"
	# One thread each and a pause per step leave CPU to the node on a small machine.
	"$TENSOR_MINER" run --node "$RPC" --suri "//$name" --stake "$MINER_STAKE" \
		--corpus "$corpus_file" --data-dir "$DEV_DIR/$lower" --preset "$MINER_PRESET" \
		--axon-host 127.0.0.1 --axon-port $((7101 + k)) --external-addr 127.0.0.1:$((7101 + k)) \
		--metrics-port $((7201 + k)) --threads 1 --step-pause-ms 20 \
		2>"$DEV_DIR/logs/$lower.log" &
	pids+=($!)
	k=$((k + 1))
done

cat >&2 <<EOF

[dev] running (Ctrl-C stops everything):
  chain        $RPC (state in $DEV_DIR/node; scripts/dev.sh --tmp for a fresh one)
  polkadot.js  https://polkadot.js.org/apps/?rpc=$RPC
  emissions    curl -s -H 'Content-Type: application/json' -d '{"jsonrpc":"2.0","id":1,"method":"incentive_emissions","params":[]}' http://127.0.0.1:9944
  miner logs   tail -f $DEV_DIR/logs/bob.log $DEV_DIR/logs/charlie.log
  metrics      http://127.0.0.1:7201/metrics (Bob), http://127.0.0.1:7202/metrics (Charlie)
  node log     $node_log

EOF
# Until Ctrl-C, or until one of them exits (then the others are stopped too).
wait -n || true
log "stopping (Ctrl-C, or a process exited: the logs are in $DEV_DIR/logs)"
exit 1
