#!/usr/bin/env bash
# A local network on 127.0.0.1: N validator nodes (Alice, Bob, … of the `local` chain) and M
# miners (`tensor-miner run`) that register, serve and post weights.
#
#   scripts/localnet.sh            start; Ctrl-C stops everything it started
#   scripts/localnet.sh stop       stop a network started from another shell
#
# Settings (environment):
#   VALIDATORS=4     1..4: Alice, Bob, Charlie, Dave (the authorities of the `local` chain; blocks
#                    are finalized only with 3 or more running, they are produced with any)
#   MINERS=3         0..5, signing as //Charlie, //Dave, //Eve, //Ferdie, //Bob (dev accounts,
#                    endowed in genesis); the last one serves noise when NOISE=1, or is
#                    hostile (serves ±3e38 in every cell) when HOSTILE=1
#   NOISE=0
#   HOSTILE=0
#   STAKE=100        TAO each miner registers with
#   RPC_PORT=9944    validator i serves RPC on RPC_PORT+i, p2p on P2P_PORT+i (30333)
#   AXON_PORT=7101   miner k serves its axon on AXON_PORT+k
#   METRICS_PORT=7201  miner k serves Prometheus metrics on METRICS_PORT+k (/metrics)
#   CHAIN_SPEC=      a chain spec file (e.g. chain-specs/local.json); default: generated from the
#                    node binary (`build-spec --chain local --raw`), so its runtime matches
#   MECHANISM=attribution   or `consensus` (docs/consensus.md), set in the generated spec's genesis
#   COMMIT_REVEAL=0  1: weights must be committed and revealed (reveal delay 1 block, window 10);
#                    the miners do so by themselves
#   LOCALNET_DIR=/tmp/tensor-localnet   bases, logs, miner data and the pid file
#   TENSOR_NODE, TENSOR_MINER   binaries (default: $CARGO_TARGET_DIR/release/…, scripts/env.sh)
#   CORPUS=miner/tests/data/stories.txt        corpus of the even-numbered miners
#   CORPUS_ODD=miner/tests/data/voyages.txt    corpus of the odd-numbered ones (other text, same
#                                              tokenizer: miners on different data help each other)
set -euo pipefail
cd "$(dirname "$0")/.."

node_override="${TENSOR_NODE:-}"
source scripts/env.sh
TENSOR_NODE="${node_override:-$TENSOR_NODE}"
TENSOR_MINER="${TENSOR_MINER:-$CARGO_TARGET_DIR/release/tensor-miner}"

VALIDATORS="${VALIDATORS:-4}"
MINERS="${MINERS:-3}"
NOISE="${NOISE:-0}"
HOSTILE="${HOSTILE:-0}"
STAKE="${STAKE:-100}"
RPC_PORT="${RPC_PORT:-9944}"
P2P_PORT="${P2P_PORT:-30333}"
AXON_PORT="${AXON_PORT:-7101}"
METRICS_PORT="${METRICS_PORT:-7201}"
RUN="${LOCALNET_DIR:-/tmp/tensor-localnet}"
CORPUS="${CORPUS:-miner/tests/data/stories.txt}"
CORPUS_ODD="${CORPUS_ODD:-miner/tests/data/voyages.txt}"
PIDS="$RUN/pids"

MECHANISM="${MECHANISM:-attribution}"
COMMIT_REVEAL="${COMMIT_REVEAL:-0}"
NAMES=(alice bob charlie dave)
MINER_KEYS=(Charlie Dave Eve Ferdie Bob)

# Kills the processes recorded in the pid file, and only those: a pid is signalled only while
# its command line still names the binary it was started as (pids are reused).
stop_all() {
	[[ -f "$PIDS" ]] || { echo "no pid file at $PIDS: nothing to stop"; return 0; }
	local pid name bin
	while read -r pid name bin; do
		if [[ -r "/proc/$pid/cmdline" ]] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -qF "$bin"; then
			kill -TERM "$pid" 2>/dev/null || true
		fi
	done <"$PIDS"
	for _ in $(seq 1 100); do
		local alive=0
		while read -r pid name bin; do
			if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$bin"; then
				alive=1
			fi
		done <"$PIDS"
		[[ $alive == 0 ]] && break
		sleep 0.1
	done
	while read -r pid name bin; do
		if kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$bin"; then
			echo "killing $name ($pid)"
			kill -KILL "$pid" 2>/dev/null || true
		fi
	done <"$PIDS"
	rm -f "$PIDS"
	echo "stopped"
}

if [[ "${1:-start}" == "stop" ]]; then
	stop_all
	exit 0
fi
[[ "${1:-start}" == "start" ]] || { echo "usage: $0 [start|stop]" >&2; exit 2; }

die() { echo "error: $*" >&2; exit 1; }
[[ "$VALIDATORS" =~ ^[1-4]$ ]] || die "VALIDATORS must be 1..4 (Alice..Dave are the authorities)"
[[ "$MINERS" =~ ^[0-5]$ ]] || die "MINERS must be 0..5 (one dev account each)"
[[ -x "$TENSOR_NODE" ]] || die "no node binary at $TENSOR_NODE; build it (cargo build --release -p tensor-node) or set TENSOR_NODE"
if (( MINERS > 0 )); then
	[[ -x "$TENSOR_MINER" ]] || die "no miner binary at $TENSOR_MINER; build it (cargo build --release -p tensor-miner) or set TENSOR_MINER"
fi
if [[ -f "$PIDS" ]]; then
	die "$PIDS exists: a network may be running; run \`$0 stop\` first"
fi

mkdir -p "$RUN/logs"
: >"$PIDS"
trap 'echo; stop_all; exit 0' INT TERM

spec="${CHAIN_SPEC:-}"
if [[ -z "$spec" ]]; then
	spec="$RUN/local-raw.json"
	plain="$RUN/local.json"
	# No default bootnode: it would clash with Alice at the same address under another peer id.
	"$TENSOR_NODE" build-spec --chain local --disable-default-bootnode >"$plain" \
		2>"$RUN/logs/build-spec.log" \
		|| die "build-spec failed; see $RUN/logs/build-spec.log"
	if [[ "$MECHANISM" != attribution || "$COMMIT_REVEAL" == 1 ]]; then
		command -v python3 >/dev/null || die "MECHANISM/COMMIT_REVEAL need python3 to patch the spec"
		python3 - "$plain" "$MECHANISM" "$COMMIT_REVEAL" <<'PY'
import json, sys
path, mechanism, commit_reveal = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
spec = json.load(open(path))
patch = spec["genesis"]["runtimeGenesis"]["patch"]
params = {"mechanism": mechanism}
if commit_reveal:
    params.update(commitRevealRequired=True, revealDelay=1, revealWindow=10)
patch.setdefault("incentive", {})["mechanismParams"] = params
json.dump(spec, open(path, "w"), indent=2)
PY
		echo "genesis mechanism: $MECHANISM, commit-reveal required: $COMMIT_REVEAL"
	fi
	"$TENSOR_NODE" build-spec --chain "$plain" --raw --disable-default-bootnode >"$spec" \
		2>>"$RUN/logs/build-spec.log" \
		|| die "build-spec --raw failed; see $RUN/logs/build-spec.log"
fi

# Fixed node keys (local use only) so that Alice's peer id, the bootnode address, is known.
node_key() { printf '%064x' "$(( $1 + 1 ))"; }
printf '%s' "$(node_key 0)" >"$RUN/alice.node-key"
boot_id="$("$TENSOR_NODE" key inspect-node-key --file "$RUN/alice.node-key")"
bootnode="/ip4/127.0.0.1/tcp/$P2P_PORT/p2p/$boot_id"

for (( i = 0; i < VALIDATORS; i++ )); do
	name="${NAMES[$i]}"
	args=(--chain "$spec" "--$name" --base-path "$RUN/$name" --node-key "$(node_key "$i")"
		--listen-addr "/ip4/127.0.0.1/tcp/$(( P2P_PORT + i ))" --rpc-port "$(( RPC_PORT + i ))"
		--no-prometheus --no-telemetry --no-mdns)
	(( i > 0 )) && args+=(--bootnodes "$bootnode")
	"$TENSOR_NODE" "${args[@]}" >"$RUN/logs/$name.log" 2>&1 &
	echo "$! $name $TENSOR_NODE" >>"$PIDS"
done

# Miners need the RPC of the node they talk to; they reconnect anyway, but start them once it
# answers so their first log lines are about training, not retries.
for _ in $(seq 1 120); do
	curl -sf -H 'Content-Type: application/json' \
		-d '{"jsonrpc":"2.0","id":1,"method":"system_health","params":[]}' \
		"http://127.0.0.1:$RPC_PORT" >/dev/null && break
	sleep 1
done

for (( k = 0; k < MINERS; k++ )); do
	key="${MINER_KEYS[$k]}"
	port=$(( AXON_PORT + k ))
	rpc=$(( RPC_PORT + k % VALIDATORS ))
	corpus="$CORPUS"
	if (( k % 2 == 1 )); then corpus="$CORPUS_ODD"; fi
	args=(run --node "ws://127.0.0.1:$rpc" --suri "//$key" --corpus "$corpus"
		--data-dir "$RUN/miner-$k" --axon-host 127.0.0.1 --axon-port "$port"
		--external-addr "127.0.0.1:$port" --stake "$STAKE" --threads 1 --device cpu
		--preset tiny --step-pause-ms 20 --metrics-port "$(( METRICS_PORT + k ))")
	if [[ "$NOISE" == 1 ]] && (( k == MINERS - 1 )); then
		args+=(--serve-noise)
	elif [[ "$HOSTILE" == 1 ]] && (( k == MINERS - 1 )); then
		args+=(--serve-huge)
	fi
	RAYON_NUM_THREADS=1 "$TENSOR_MINER" "${args[@]}" >"$RUN/logs/miner-$k.log" 2>&1 &
	echo "$! miner-$k $TENSOR_MINER" >>"$PIDS"
done

echo "local network in $RUN (pids in $PIDS)"
for (( i = 0; i < VALIDATORS; i++ )); do
	echo "  ${NAMES[$i]}: RPC ws://127.0.0.1:$(( RPC_PORT + i )), p2p $(( P2P_PORT + i )), log $RUN/logs/${NAMES[$i]}.log"
done
for (( k = 0; k < MINERS; k++ )); do
	echo "  miner-$k (//${MINER_KEYS[$k]}): axon 127.0.0.1:$(( AXON_PORT + k )), metrics http://127.0.0.1:$(( METRICS_PORT + k ))/metrics, log $RUN/logs/miner-$k.log"
done
echo "watch: curl -s -H 'Content-Type: application/json' -d '{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"incentive_emissions\",\"params\":[]}' http://127.0.0.1:$RPC_PORT"
echo "stop: Ctrl-C here, or $0 stop"
wait
