#!/usr/bin/env python3
"""Load test of the incentive JSON-RPC methods on a node with a large metagraph.

Builds a chain spec from the dev preset with NEURONS genesis neurons of EDGES edges each (the
pallet's `neurons` genesis field), starts `tensor-node` with manual sealing on loopback, seals
enough blocks for one payout (so ranks and emissions are non-zero), then runs `wrk` against
`incentive_emissions` and `incentive_metagraph` and prints requests/s, latency percentiles and
the response size of each.

Usage: scripts/rpc-bench.py [--neurons 4096] [--edges 64] [--duration 20] [--connections 4]
Needs: the release node (scripts/env.sh's TENSOR_NODE) and `wrk` (apt-get install wrk).
"""

import argparse
import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
SS58_PREFIX = 42
TAO = 10**9


def base58(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    text = ""
    while number:
        number, digit = divmod(number, 58)
        text = ALPHABET[digit] + text
    leading_zeros = len(data) - len(data.lstrip(b"\0"))
    return "1" * leading_zeros + text


def ss58(public: bytes) -> str:
    payload = bytes([SS58_PREFIX]) + public
    checksum = hashlib.blake2b(b"SS58PRE" + payload, digest_size=64).digest()[:2]
    return base58(payload + checksum)


def bench_account(index: int) -> str:
    # No one signs for these accounts, so any 32 bytes will do; hashing keeps them distinct.
    return ss58(hashlib.blake2b(b"rpc-bench/%d" % index, digest_size=32).digest())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rpc(port: int, method: str, params: list) -> bytes:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=120) as response:
        raw = response.read()
    reply = json.loads(raw)
    if "error" in reply:
        raise RuntimeError(f"{method} failed: {reply['error']}")
    return raw


def node_answers(port: int) -> bool:
    try:
        rpc(port, "system_health", [])
        return True
    except OSError:
        return False


def build_spec(node: str, neurons: int, edges: int, path: str) -> None:
    spec = json.loads(
        subprocess.run(
            [node, "build-spec", "--chain", "dev"], check=True, capture_output=True, text=True
        ).stdout
    )
    patch = spec["genesis"]["runtimeGenesis"]["patch"]
    stake = 1000 * TAO
    accounts = [bench_account(i) for i in range(neurons)]
    patch["balances"]["balances"] += [[account, 10 * stake] for account in accounts]
    params = patch["incentive"]["params"]
    params.update(maxNeurons=neurons, maxEdges=edges, tempo=2, weightsRateLimit=0)
    # Each neuron weights its self and the next edges - 1 uids (a ring), with varying weights
    # so the ranking has real work to do.
    patch["incentive"]["neurons"] = [
        [
            account,
            stake + uid * TAO,
            # Packed ("uid:weight,…"): the list form of a graph this large would not fit the
            # runtime's allocator once the node pretty-prints the genesis config for it.
            ",".join(f"{(uid + k) % neurons}:{1 + (uid * 7 + k * 13) % 1000}" for k in range(edges)),
        ]
        for uid, account in enumerate(accounts)
    ]
    with open(path, "w") as out:
        json.dump(spec, out)


def wrk_latency(port: int, method: str, duration: int, connections: int, workdir: str) -> dict:
    script = os.path.join(workdir, f"{method}.lua")
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": []})
    with open(script, "w") as out:
        out.write(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            f"wrk.body = {json.dumps(body)}\n"
            "done = function(summary, latency, requests)\n"
            '  io.write(string.format("RESULT %d %d %d %d %d %d %d\\n", summary.requests,'
            " summary.duration, summary.errors.status + summary.errors.read +"
            " summary.errors.timeout + summary.errors.connect, latency:percentile(50),"
            " latency:percentile(90), latency:percentile(99), latency.max))\n"
            "end\n"
        )
    threads = min(2, connections)
    output = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
         "-s", script, f"http://127.0.0.1:{port}"],
        check=True, capture_output=True, text=True,
    ).stdout
    line = next(l for l in output.splitlines() if l.startswith("RESULT"))
    requests, micros, errors, p50, p90, p99, worst = map(int, line.split()[1:])
    return {
        "requests": requests,
        "errors": errors,
        "rps": requests / (micros / 1e6),
        "p50_ms": p50 / 1000,
        "p90_ms": p90 / 1000,
        "p99_ms": p99 / 1000,
        "max_ms": worst / 1000,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--neurons", type=int, default=4096)
    parser.add_argument("--edges", type=int, default=64)
    parser.add_argument("--duration", type=int, default=20, help="seconds per method")
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--max-response-mb", type=int, default=None,
                        help="the node's --rpc-max-response-size (default: the node's default)")
    parser.add_argument("--sizes-only", action="store_true",
                        help="seal the blocks and measure the responses, without wrk")
    args = parser.parse_args()
    node = os.environ.get("TENSOR_NODE") or os.path.expanduser(
        "~/.cache/incentive-chain/target/release/tensor-node"
    )
    if not os.access(node, os.X_OK):
        sys.exit(f"no node binary at {node}: build it with `cargo build --release -p tensor-node`")
    if shutil.which("wrk") is None and not args.sizes_only:
        sys.exit("wrk is not installed: run `apt-get install -y wrk`")

    workdir = tempfile.mkdtemp(prefix="rpc-bench-")
    spec = os.path.join(workdir, "spec.json")
    print(f"building a spec with {args.neurons} neurons x {args.edges} edges", flush=True)
    build_spec(node, args.neurons, args.edges, spec)
    port = free_port()
    log = open(os.path.join(workdir, "node.log"), "w")
    process = subprocess.Popen(
        [node, "--chain", spec, "--alice", "--tmp", "--node-key", "1" * 64, "--sealing", "manual", "--rpc-port",
         str(port), "--port", str(free_port()), "--no-prometheus", "--no-telemetry",
         "--no-mdns"] + (["--rpc-max-response-size", str(args.max_response_mb)]
                         if args.max_response_mb else []),
        stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        # The genesis of a large metagraph takes a while to build.
        started = time.time()
        deadline = started + 600
        while not node_answers(port):
            if process.poll() is not None or time.time() > deadline:
                log.flush()
                with open(log.name) as text:
                    tail = "".join(text.readlines()[-20:])
                sys.exit(f"the node did not start answering RPC; its log ends with:\n{tail}")
            time.sleep(1)
        print(f"the node answers RPC {time.time() - started:.1f} s after its start", flush=True)
        # Tempo 2: block 2 pays out from the ranking computed over the genesis graph. Each seal
        # builds, executes (in wasm) and imports the block.
        for number in (1, 2, 3):
            sealing = time.time()
            rpc(port, "engine_createBlock", [True, True, None])
            role = " (the payout)" if number == 2 else ""
            print(f"block {number}{role} sealed in {(time.time() - sealing) * 1e3:.0f} ms",
                  flush=True)
        results = {}
        for method in ("incentive_emissions", "incentive_metagraph"):
            try:
                size = len(rpc(port, method, []))
            except RuntimeError as error:
                results[method] = {"error": str(error)}
                print(error, flush=True)
                continue
            if args.sizes_only:
                results[method] = {"response_bytes": size}
                print(f"{method}: response {size / 1e6:.2f} MB", flush=True)
                continue
            stats = wrk_latency(port, method, args.duration, args.connections, workdir)
            results[method] = dict(stats, response_bytes=size)
            print(
                f"{method}: {stats['rps']:.1f} req/s, p50 {stats['p50_ms']:.1f} ms, "
                f"p90 {stats['p90_ms']:.1f} ms, p99 {stats['p99_ms']:.1f} ms, "
                f"max {stats['max_ms']:.1f} ms, {stats['errors']} errors, "
                f"response {size / 1e6:.2f} MB",
                flush=True,
            )
        print(json.dumps(results))
    finally:
        process.terminate()
        process.wait(timeout=30)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
