// End-to-end check of the incentive chain through polkadot.js, as a wallet or explorer sees it.
//
// Starts `$TENSOR_NODE --dev --tmp --sealing instant` on free ports, then:
//  1. reads the chain properties (TAO, 9 decimals, SS58 42) and finds IncentiveApi in the
//     metadata (v15 carries runtime APIs with their types, so no type definitions are given here);
//  2. as sudo, sets the incentive parameters (payout every 2 blocks, no weights rate limit, a
//     short unbonding period);
//  3. registers Bob, Charlie and Dave as neurons (one with an axon), each passing the quoted
//     registration fee as its max fee, and checks the fee burned, the price's rise and that a
//     max fee below the fee fails; announces an IPv6 axon and posts weights;
//     Dave offers Eve his operator role, she accepts, then signs his weights but cannot move his
//     stake;
//     every call's quoted fee (paymentInfo) is within 2x of what it is charged, and a transfer
//     costs at most 0.001 TAO;
//  4. unbonds: Bob removes some stake, which is held as unbonding until its release block, when
//     withdrawUnbonded frees it (and not before);
//  5. produces blocks (instant sealing seals one per transaction) until two payouts happened;
//  6. compares, at one block, every incentive storage item with the IncentiveApi runtime API and
//     the incentive_* JSON-RPC methods (stakes, ranked stakes, ranks, emissions, pot, fee, burned
//     total, params, edges, axons), checks the emission accounting and the stake holds, and the
//     RPC's error codes;
//  7. switches to the consensus mechanism with commit-reveal required (sudo(setParams)): plain
//     setWeights is refused, the neurons commit and reveal (a wrong salt is refused), and a
//     consensus payout shows incentive, dividends and bonds alike in storage, the runtime API and
//     the RPC;
//  8. decodes every block's extrinsics and events from genesis to the best block, and checks the
//     total issuance: genesis + paid - burned fees - transaction fees.
// The node is always stopped at the end, pass or fail. Exit code 0 only if every check passed.
//
// Usage: TENSOR_NODE=/path/to/tensor-node node test.mjs
// Optional: RPC_SAMPLES_DIR=dir writes the RPC responses there (for docs/rpc.md);
//           TEST_TIMEOUT_MS (default 300000); KEEP_NODE_LOG=1 keeps the node log file.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ApiPromise, WsProvider } from '@polkadot/api';
import { Keyring } from '@polkadot/keyring';
import { stringToU8a, u8aConcat, u8aToHex } from '@polkadot/util';
import { blake2AsU8a, cryptoWaitReady, encodeAddress } from '@polkadot/util-crypto';

const TAO = 1_000_000_000n;
const ONE = 1_000_000_000_000_000_000n; // Perquintill parts
const SS58 = 42;
const TIMEOUT_MS = Number(process.env.TEST_TIMEOUT_MS ?? 300_000);

// The incentive RPC methods, declared for polkadot.js. They return plain JSON.
const RPC = {
  incentive: {
    metagraph: {
      description: 'Every neuron, the totals and the parameters at a block; with fromUid or limit, a page of neurons',
      params: [
        { name: 'at', type: 'BlockHash', isOptional: true },
        { name: 'fromUid', type: 'u16', isOptional: true },
        { name: 'limit', type: 'u32', isOptional: true }
      ],
      type: 'Json'
    },
    emissions: {
      description: 'The pot, the next payout and each neuron\'s emission at a block',
      params: [{ name: 'at', type: 'BlockHash', isOptional: true }],
      type: 'Json'
    },
    neuron: {
      description: 'One neuron by uid, SS58 address or 0x public key',
      params: [
        { name: 'uidOrAccount', type: 'Text' },
        { name: 'at', type: 'BlockHash', isOptional: true }
      ],
      type: 'Json'
    },
    registrationFee: {
      description: 'The registration fee in force at a block',
      params: [{ name: 'at', type: 'BlockHash', isOptional: true }],
      type: 'Json'
    }
  }
};

// The RPC's error codes (pallets/incentive/rpc/src/error.rs).
const CODES = { UNKNOWN_BLOCK: 8000, BAD_ACCOUNT: 8010, UNKNOWN_UID: 8011, UNKNOWN_ACCOUNT: 8012 };

// ---------------------------------------------------------------------------------------------
// Checks

let checks = 0;

class CheckFailed extends Error {}

function check (condition, what) {
  checks++;
  if (!condition) {
    throw new CheckFailed(`check failed: ${what}`);
  }
}

/** Equality of numbers, bigints, numeric strings and codecs, compared as BigInt or text. */
function eq (actual, expected, what) {
  const a = norm(actual);
  const e = norm(expected);
  checks++;
  if (a !== e) {
    throw new CheckFailed(`check failed: ${what}: got ${a}, expected ${e}`);
  }
}

function norm (value) {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return BigInt(value).toString();
  if (typeof value === 'string') return /^\d+$/.test(value) ? BigInt(value).toString() : value;
  if (typeof value.toBigInt === 'function') return value.toBigInt().toString();
  if (typeof value.toHex === 'function') return value.toHex();
  return JSON.stringify(value);
}

/** A codec, number or decimal string as BigInt. */
function big (value) {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'number' || typeof value === 'string') return BigInt(value);
  return value.toBigInt();
}

function optNumber (option) {
  return option.isSome ? option.unwrap().toNumber() : null;
}

function edgesOf (vec) {
  return vec.map(([target, weight]) => [target.toNumber(), weight.toNumber()]);
}

/** The text form of a 16-byte axon address: dotted IPv4 for IPv4-mapped, else IPv6. */
function ipText (bytes) {
  const b = Array.from(bytes);
  const mapped = b.slice(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;
  if (mapped) return b.slice(12).join('.');
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] << 8) | b[i + 1]).toString(16));
  // Compress the longest run of zero groups (RFC 5952), as Rust's Ipv6Addr Display does.
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  const head = groups.slice(0, best.start).join(':');
  const tail = groups.slice(best.start + best.len).join(':');
  return `${head}::${tail}`;
}

function ipv4Mapped (octets) {
  return u8aToHex(Uint8Array.from([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, ...octets]));
}

const IPV6_LOOPBACK = u8aToHex(Uint8Array.from([...new Array(15).fill(0), 1]));

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function log (...args) {
  console.log(`[${new Date().toISOString().slice(11, 23)}]`, ...args);
}

// ---------------------------------------------------------------------------------------------
// The node

function freePort () {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

const state = { node: null, api: null, logPath: null, cleaningUp: null };

async function startNode () {
  const binary = process.env.TENSOR_NODE;
  if (!binary) {
    throw new Error('set TENSOR_NODE to the tensor-node binary');
  }
  const rpcPort = await freePort();
  let p2pPort = await freePort();
  while (p2pPort === rpcPort) p2pPort = await freePort();
  state.logPath = join(tmpdir(), `tensor-node-polkadotjs-${process.pid}-${rpcPort}.log`);
  const logFile = createWriteStream(state.logPath);
  const args = [
    '--dev', '--tmp', '--sealing', 'instant',
    '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--no-prometheus', '--no-telemetry', '--no-mdns'
  ];
  log(`starting ${binary} ${args.join(' ')} (log: ${state.logPath})`);
  const node = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  state.node = node;
  node.stdout.pipe(logFile);
  node.stderr.pipe(logFile);
  let spawnError = null;
  node.on('error', (error) => { spawnError = error; });

  // Wait until the RPC server answers over HTTP (same port as WebSocket).
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (spawnError) {
      throw new Error(`cannot start ${binary}: ${spawnError.message}`);
    }
    if (node.exitCode !== null || node.signalCode !== null) {
      throw new Error(`the node exited early (${node.exitCode ?? node.signalCode})`);
    }
    try {
      const response = await fetch(`http://127.0.0.1:${rpcPort}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'system_health', params: [] })
      });
      if (response.ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error('the node RPC did not come up within 120 s');
    await sleep(300);
  }
  return `ws://127.0.0.1:${rpcPort}`;
}

async function stopNode () {
  const { node, api } = state;
  if (api) {
    state.api = null;
    await api.disconnect().catch(() => {});
  }
  if (!node || node.exitCode !== null || node.signalCode !== null) return;
  node.kill('SIGTERM');
  const exited = once(node, 'exit');
  const result = await Promise.race([exited.then(() => 'exited'), sleep(10_000).then(() => 'timeout')]);
  if (result === 'timeout') {
    log('node ignored SIGTERM; killing');
    node.kill('SIGKILL');
    await exited;
  }
}

function nodeLogTail (lines = 60) {
  try {
    return readFileSync(state.logPath, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no node log)';
  }
}

// Last resort: never leave the node running, whatever ends this process.
process.on('exit', () => {
  if (state.node && state.node.exitCode === null && state.node.signalCode === null) {
    try { state.node.kill('SIGKILL'); } catch { /* already gone */ }
  }
});
for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    log(`${signal}: stopping the node`);
    stopNode().finally(() => process.exit(130));
  });
}

// ---------------------------------------------------------------------------------------------
// Transactions

function describeDispatchError (api, error) {
  if (error.isModule) {
    const { section, name, docs } = api.registry.findMetaError(error.asModule);
    return `${section}.${name} (${docs.join(' ')})`;
  }
  return error.toString();
}

/** The dispatch error's name, `section.Name` (e.g. `incentive.FeeAboveLimit`). */
function dispatchErrorName (api, error) {
  if (error.isModule) {
    const { section, name } = api.registry.findMetaError(error.asModule);
    return `${section}.${name}`;
  }
  return error.type;
}

/**
 * Signs and submits `tx`, waits for its block and fails on any dispatch error. A dispatch error
 * rejects with a CheckFailed whose `dispatchError` is the error's name (see `submitFailing`).
 */
function submit (api, tx, signer, label) {
  return new Promise((resolve, reject) => {
    let unsubscribe = null;
    let done = false;
    const finish = (fn, value) => {
      if (done) return;
      done = true;
      if (unsubscribe) unsubscribe();
      fn(value);
    };
    tx.signAndSend(signer, (result) => {
      const { status, events, dispatchError } = result;
      if (dispatchError) {
        const failure = new CheckFailed(`${label}: ${describeDispatchError(api, dispatchError)}`);
        failure.dispatchError = dispatchErrorName(api, dispatchError);
        finish(reject, failure);
        return;
      }
      if (status.isInBlock || status.isFinalized) {
        const blockHash = status.isInBlock ? status.asInBlock : status.asFinalized;
        for (const { event } of events) {
          if (api.events.sudo?.Sudid?.is(event) && event.data.sudoResult.isErr) {
            const error = describeDispatchError(api, event.data.sudoResult.asErr);
            finish(reject, new CheckFailed(`${label}: sudo call failed: ${error}`));
            return;
          }
        }
        finish(resolve, { blockHash, events: events.map(({ event }) => event) });
      } else if (status.isDropped || status.isInvalid || status.isUsurped) {
        finish(reject, new CheckFailed(`${label}: transaction ${status.type}`));
      }
    }).then((unsub) => {
      unsubscribe = unsub;
      if (done) unsub();
    }).catch((error) => finish(reject, new CheckFailed(`${label}: ${error.message}`)));
  });
}

/** The commit hash of `weights` with `salt` by `account`: blake2-256 of their SCALE encoding. */
function weightsHash (api, account, weights, salt) {
  const encoded = api.createType('(AccountId32, Vec<(u16, u16)>, [u8; 32])', [account, weights, salt]);
  return blake2AsU8a(encoded.toU8a(), 256);
}

/**
 * Phase 7: root switches to consensus and requires commit-reveal; plain weights are refused, the
 * three neurons commit and reveal, and a consensus payout is checked in storage, runtime API and RPC.
 */
async function consensusPhase (api, { alice, eve, neurons, TEMPO }) {
  const switched = await submit(api, api.tx.sudo.sudo(api.tx.incentive.setParams({
    mechanism: 'Consensus', commitRevealRequired: true, revealDelay: 1, revealWindow: 20
  })), alice, 'sudo(incentive.setParams) to consensus with commit-reveal');
  const updated = switched.events.find((e) => api.events.incentive.ParamsUpdated.is(e));
  check(updated, 'ParamsUpdated event for the mechanism');
  eq(updated.data.mechanism.mechanism.type, 'Consensus', 'ParamsUpdated.mechanism');
  const stored = await api.query.incentive.mechanismConfig();
  eq(stored.mechanism.type, 'Consensus', 'MechanismConfig.mechanism');
  check(stored.commitRevealRequired.isTrue, 'MechanismConfig.commitRevealRequired');
  eq(JSON.stringify((await api.call.incentiveApi.mechanismParams()).toJSON()), JSON.stringify(stored.toJSON()),
    'IncentiveApi.mechanismParams = MechanismConfig');

  const [b, c, d] = neurons;
  const signerOf = (n) => (n === d ? eve : n.pair); // Eve operates Dave's neuron
  const evaluations = new Map([
    [b, [[c.uid, 3], [d.uid, 1]]],
    [c, [[b.uid, 2], [d.uid, 2]]],
    [d, [[b.uid, 1], [c.uid, 3]]]
  ]);
  await submitFailing(api, api.tx.incentive.setWeights(evaluations.get(b)), b.pair,
    'setWeights while commit-reveal is required', 'incentive.CommitRevealRequired');
  await submitFailing(api, api.tx.incentive.revealWeights(evaluations.get(b), new Uint8Array(32)), b.pair,
    'revealWeights without a commit', 'incentive.NoCommit');
  const salts = new Map();
  for (const [n, weights] of evaluations) {
    const signer = signerOf(n);
    const salt = new Uint8Array(32).fill(n.uid + 1);
    salts.set(n, salt);
    const { events } = await submitQuoted(api,
      api.tx.incentive.commitWeights(weightsHash(api, signer.address, weights, salt)), signer, 'commitWeights');
    check(events.some((e) => api.events.incentive.WeightsCommitted.is(e)), `uid ${n.uid}: WeightsCommitted`);
    check((await api.query.incentive.weightCommits(n.uid)).isSome, `uid ${n.uid}: WeightCommits entry`);
  }
  await submitFailing(api, api.tx.incentive.revealWeights(evaluations.get(b), new Uint8Array(32).fill(9)), b.pair,
    'revealWeights with the wrong salt', 'incentive.RevealMismatch');
  let revealBlock = 0;
  for (const [n, weights] of evaluations) {
    const revealed = await submitQuoted(api, api.tx.incentive.revealWeights(weights, salts.get(n)), signerOf(n),
      'revealWeights');
    check(revealed.events.some((e) => api.events.incentive.WeightsSet.is(e)), `uid ${n.uid}: revealed (WeightsSet)`);
    check((await api.query.incentive.weightCommits(n.uid)).isNone, `uid ${n.uid}: commit spent`);
    revealBlock = (await api.rpc.chain.getHeader(revealed.blockHash)).number.toNumber();
  }

  // Blocks until a consensus payout after the reveals.
  let payout = null;
  for (let i = 0; !payout; i++) {
    check(i < 4 * TEMPO + 4, 'a consensus payout within a few tempos');
    const { blockHash } = await submit(api, api.tx.system.remark('0x03'), eve, 'remark (until a consensus payout)');
    const number = (await api.rpc.chain.getHeader(blockHash)).number.toNumber();
    const events = await (await api.at(blockHash)).query.system.events();
    if (number > revealBlock && events.some(({ event }) => api.events.incentive.EmissionPaid.is(event))) {
      payout = { blockHash, number };
    }
  }
  const at = await api.at(payout.blockHash);
  const [sharesBlock, shares] = await at.query.incentive.consensusShares();
  eq(sharesBlock, payout.number, 'ConsensusShares is of the payout block');
  const metagraph = await at.call.incentiveApi.metagraph();
  eq(metagraph.mechanism.mechanism.type, 'Consensus', 'metagraph.mechanism');
  const sum = (key) => metagraph.neurons.reduce((total, n) => total + n[key].toBigInt(), 0n);
  const slots = BigInt(metagraph.neurons.length);
  check(sum('incentive') <= ONE && sum('incentive') >= ONE - slots, `incentive sums to one (${sum('incentive')})`);
  check(sum('dividends') <= ONE && sum('dividends') >= ONE - slots, `dividends sum to one (${sum('dividends')})`);
  const rpc = (await api.rpc.incentive.metagraph(payout.blockHash)).toJSON();
  eq(rpc.mechanism.mechanism, 'consensus', 'RPC metagraph mechanism');
  eq(rpc.mechanism.commit_reveal_required, true, 'RPC commit_reveal_required');
  const rpcEmissions = (await api.rpc.incentive.emissions(payout.blockHash)).toJSON();
  eq(rpcEmissions.mechanism, 'consensus', 'RPC emissions mechanism');
  for (const view of metagraph.neurons) {
    const uid = view.uid.toNumber();
    eq(view.incentive, shares[uid].incentive, `uid ${uid}: runtime API incentive = ConsensusShares`);
    eq(view.dividends, shares[uid].dividends, `uid ${uid}: runtime API dividends = ConsensusShares`);
    check(view.incentive.toBigInt() > 0n, `uid ${uid} has incentive (every neuron is evaluated by the others)`);
    check(view.bonds.length > 0, `uid ${uid} holds bonds`);
    const json = rpc.neurons.find((n) => n.uid === uid);
    eq(json.incentive_raw, view.incentive, `RPC uid ${uid} incentive_raw`);
    eq(json.dividends_raw, view.dividends, `RPC uid ${uid} dividends_raw`);
    eq(JSON.stringify(json.bonds), JSON.stringify(view.bonds.map(([t, v]) => [t.toNumber(), Number(v.toBigInt())])),
      `RPC uid ${uid} bonds`);
    const storedBonds = (await at.query.incentive.bonds(uid)).unwrap();
    eq(storedBonds[0], payout.number, `uid ${uid}: Bonds computed at the payout`);
  }
  log(`consensus payout in block ${payout.number}: incentive ${metagraph.neurons.map((n) => n.incentive.toHuman()).join(', ')}; ` +
      `dividends ${metagraph.neurons.map((n) => n.dividends.toHuman()).join(', ')}`);
}

/** Dispatch errors the test causes on purpose: the chain decode at the end expects this many. */
let expectedFailures = 0;

/**
 * Submits `tx`, which must be included and fail in dispatch with `expected` (`section.Name`);
 * anything else (success, another error, a transaction that is not included) fails the test.
 */
async function submitFailing (api, tx, signer, label, expected) {
  try {
    await submit(api, tx, signer, label);
  } catch (error) {
    if (!(error instanceof CheckFailed) || error.dispatchError === undefined) throw error;
    eq(error.dispatchError, expected, `${label} fails`);
    expectedFailures++;
    return;
  }
  throw new CheckFailed(`${label}: succeeded, expected ${expected}`);
}

/** What `holds` (an account's `balances.holds`) keeps for the incentive pallet's `reason`. */
function heldFor (holds, reason) {
  return holds
    .filter((hold) => hold.id.isIncentive && hold.id.asIncentive.type === reason)
    .reduce((sum, hold) => sum + hold.amount.toBigInt(), 0n);
}

/** The transaction fee (tip included) an extrinsic's `events` say its signer paid. */
function feePaid (api, events) {
  const paid = events.find((e) => api.events.transactionPayment.TransactionFeePaid.is(e));
  check(paid, 'TransactionFeePaid event');
  return paid.data.actualFee.toBigInt();
}

/** `{ label, quoted, charged }` of every call submitted through `submitQuoted`. */
const fees = [];

/**
 * `submit`, with the fee a wallet quotes first (`paymentInfo`, at the best block) compared with
 * the fee charged (`TransactionFeePaid`): the quote must be within 2x of the charge either way.
 */
async function submitQuoted (api, tx, signer, label) {
  const quoted = (await tx.paymentInfo(signer)).partialFee.toBigInt();
  const result = await submit(api, tx, signer, label);
  const charged = feePaid(api, result.events);
  fees.push({ label, quoted, charged });
  check(quoted <= 2n * charged && charged <= 2n * quoted,
    `${label}: quoted fee ${quoted} is within 2x of the charged ${charged}`);
  return result;
}

/** Free balance of `address` at block `hash`. */
async function freeAt (api, hash, address) {
  return (await (await api.at(hash)).query.system.account(address)).data.free.toBigInt();
}

/** Sends an RPC straight to the provider and returns its JSON-RPC error (code, message). */
async function rpcError (provider, method, params) {
  try {
    await provider.send(method, params);
  } catch (error) {
    return { code: error.code, message: error.message };
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// The test

async function run () {
  await cryptoWaitReady();
  const url = await startNode();
  const provider = new WsProvider(url, 1_000);
  const api = await ApiPromise.create({ provider, rpc: RPC, noInitWarn: true, throwOnConnect: true });
  state.api = api;
  log(`connected to ${(await api.rpc.system.chain()).toString()}, ` +
      `${api.runtimeVersion.specName}/${api.runtimeVersion.specVersion}`);

  // 1. Chain properties and metadata.
  const properties = await api.rpc.system.properties();
  eq(properties.tokenSymbol.unwrap()[0].toString(), 'TAO', 'tokenSymbol property');
  eq(properties.tokenDecimals.unwrap()[0], 9, 'tokenDecimals property');
  eq(properties.ss58Format.unwrap(), SS58, 'ss58Format property');
  eq(api.registry.chainTokens[0], 'TAO', 'registry token');
  eq(api.registry.chainDecimals[0], 9, 'registry decimals');
  eq(api.registry.chainSS58, SS58, 'registry SS58 prefix');
  // The runtime lists CheckMetadataHash (RFC-0078); polkadot.js signs with it disabled, and every
  // signed transaction below goes through it (and would fail if polkadot.js did not know it).
  const extensions = api.registry.metadata.extrinsic.transactionExtensions
    ?? api.registry.metadata.extrinsic.signedExtensions;
  check(extensions.some((e) => e.identifier.toString() === 'CheckMetadataHash'),
    'the runtime lists the CheckMetadataHash transaction extension');
  const runtimeApi = api.registry.metadata.apis.find((a) => a.name.toString() === 'IncentiveApi');
  check(runtimeApi, 'metadata lists the IncentiveApi runtime API (metadata v15)');
  const methods = runtimeApi.methods.map((m) => m.name.toString()).sort();
  eq(methods.join(','), 'emissions,mechanism_params,metagraph,neuron,neuron_by_account,params,registration_fee',
    'IncentiveApi methods');
  for (const name of ['metagraph', 'neuron', 'neuronByAccount', 'emissions', 'params', 'registrationFee',
    'mechanismParams']) {
    check(typeof api.call.incentiveApi?.[name] === 'function', `api.call.incentiveApi.${name} exists`);
  }
  const rpcMethods = (await api.rpc.rpc.methods()).methods.map((m) => m.toString());
  for (const name of ['incentive_metagraph', 'incentive_emissions', 'incentive_neuron',
    'incentive_registrationFee']) {
    check(rpcMethods.includes(name), `the node serves ${name}`);
  }

  const keyring = new Keyring({ type: 'sr25519', ss58Format: SS58 });
  const [alice, bob, charlie, dave, eve, ferdie] =
    ['Alice', 'Bob', 'Charlie', 'Dave', 'Eve', 'Ferdie'].map((name) => keyring.addFromUri(`//${name}`));
  eq(alice.address, '5GrwvaEF5zXb26Fz9rcQpDWS57CtERHpNehXCPcNoHGKutQY', 'Alice\'s address');

  // 2. Parameters, as root. The genesis emission is kept for the accounting check. The
  // unbonding period is two payouts (it must be at least `tempo`); the registration fee keeps
  // the dev preset's parameters.
  const genesisHash = await api.rpc.chain.getBlockHash(0);
  const genesisEmission = (await (await api.at(genesisHash)).query.incentive.params()).emissionPerBlock.toBigInt();
  const EMISSION = genesisEmission + 1n * TAO;
  const TEMPO = 2;
  const UNBONDING = 2 * TEMPO;
  const setParams = await submit(api, api.tx.sudo.sudo(api.tx.incentive.setParams({
    emissionPerBlock: EMISSION,
    tempo: TEMPO,
    weightsRateLimit: 0,
    minStake: TAO,
    unbondingPeriod: UNBONDING
  })), alice, 'sudo(incentive.setParams)');
  check(setParams.events.some((e) => api.events.incentive.ParamsUpdated.is(e)), 'ParamsUpdated event');
  const paramsBlock = (await api.rpc.chain.getHeader(setParams.blockHash)).number.toNumber();
  const params = await api.query.incentive.params();
  eq(params.emissionPerBlock, EMISSION, 'params.emissionPerBlock after setParams');
  eq(params.tempo, TEMPO, 'params.tempo after setParams');
  eq(params.weightsRateLimit, 0, 'params.weightsRateLimit after setParams');
  eq(params.unbondingPeriod, UNBONDING, 'params.unbondingPeriod after setParams');
  const feeFloor = params.registrationFeeFloor.toBigInt();
  const feeCeiling = params.registrationFeeCeiling.toBigInt();
  const feeGrowth = BigInt(params.registrationFeeGrowthPercent.toNumber());
  check(feeFloor > 0n, 'the dev chain charges a registration fee (floor > 0)');
  check(feeGrowth > 100n, 'the registration fee grows with each registration');
  log(`params set in block ${paramsBlock}; registration fee floor ${feeFloor}, ceiling ${feeCeiling}, ` +
      `growth ${feeGrowth} %, half life ${params.registrationFeeHalfLife.toNumber()} blocks`);

  // 3. Neurons, axons, weights. Each registration burns the registration fee in force. A wallet
  // quotes it (IncentiveApi.registrationFee, of the best block) and passes the quote as its max
  // fee: the fee only decays until the next registration, so the registration in the next block
  // burns at most the quote, and exactly the quote while nothing has registered yet (the fee is
  // then the floor, from which nothing decays).
  const neurons = [
    { pair: bob, stake: 1_000n * TAO, axon: { ip: ipv4Mapped([127, 0, 0, 1]), port: 8091, version: 1 } },
    { pair: charlie, stake: 2_000n * TAO, axon: null },
    { pair: dave, stake: 3_000n * TAO, axon: null }
  ];
  const firstQuote = (await api.call.incentiveApi.registrationFee()).toBigInt();
  eq(firstQuote, feeFloor, 'the registration fee before any registration is the floor');
  // A max fee below the fee (which is never below the floor) fails and changes nothing.
  await submitFailing(api, api.tx.incentive.register(neurons[0].stake, null, feeFloor - 1n), bob,
    'register with a max fee below the fee', 'incentive.FeeAboveLimit');
  check((await api.query.incentive.uids(bob.address)).isNone, 'a registration over the max fee registers nobody');
  eq(await api.query.incentive.totalBurned(), 0n, 'a registration over the max fee burns nothing');
  eq(await api.call.incentiveApi.registrationFee(), firstQuote, 'a registration over the max fee leaves the fee');

  let burnedSum = 0n;
  let previousFee = 0n;
  let lastRegistration = null;
  for (const [i, neuron] of neurons.entries()) {
    const label = `register ${neuron.pair.address}`;
    const quote = (await api.call.incentiveApi.registrationFee()).toBigInt();
    const { blockHash, events } = await submitQuoted(api,
      api.tx.incentive.register(neuron.stake, neuron.axon, quote), neuron.pair, label);
    const registered = events.find((e) => api.events.incentive.NeuronRegistered.is(e));
    check(registered, 'NeuronRegistered event');
    neuron.uid = registered.data.uid.toNumber();
    eq(registered.data.account.toString(), neuron.pair.address, 'NeuronRegistered account');
    eq(registered.data.stake, neuron.stake, 'NeuronRegistered stake');
    eq(optNumber(await api.query.incentive.uids(neuron.pair.address)), neuron.uid, 'Uids entry');

    // The fee burned: the quote or (decayed since) less, more than the last registration's.
    const burned = events.find((e) => api.events.incentive.RegistrationFeeBurned.is(e));
    check(burned, `${label}: RegistrationFeeBurned event`);
    eq(burned.data.account.toString(), neuron.pair.address, 'RegistrationFeeBurned account');
    const fee = burned.data.fee.toBigInt();
    if (i === 0) {
      eq(fee, quote, 'the first registration burns exactly the quoted fee');
    } else {
      check(fee <= quote, `${label}: burned ${fee}, at most the quote ${quote}`);
      check(fee > previousFee, `${label}: the fee rose since the last registration (${previousFee} -> ${fee})`);
    }
    check(fee >= feeFloor && fee <= feeCeiling, `${label}: the fee ${fee} is within the floor and ceiling`);
    // The price the next registration starts from: the fee grown by the growth percent, capped;
    // it is the quote right after this block.
    const nextPrice = burned.data.nextPrice.toBigInt();
    const grown = fee * feeGrowth / 100n;
    eq(nextPrice, grown < feeCeiling ? grown : feeCeiling, `${label}: next price = fee × growth %, capped`);
    const blockApi = await api.at(blockHash);
    const quoteAfter = (await blockApi.call.incentiveApi.registrationFee()).toBigInt();
    eq(quoteAfter, nextPrice, `${label}: the quote after the registration is the next price`);
    check(quoteAfter > quote, `${label}: the quoted fee rose (${quote} -> ${quoteAfter})`);
    // What left the free balance: the stake (now on hold), the fee (burned) and the transaction fee.
    const header = await api.rpc.chain.getHeader(blockHash);
    const address = neuron.pair.address;
    const spent = (await freeAt(api, header.parentHash, address)) - (await freeAt(api, blockHash, address));
    eq(spent, neuron.stake + fee + feePaid(api, events), `${label}: free balance paid stake + fee + transaction fee`);
    // The new stake ranks from the payout after next: none of it ranks yet.
    const view = (await blockApi.call.incentiveApi.neuron(neuron.uid)).unwrap();
    eq(view.stake, neuron.stake, `${label}: stake`);
    eq(view.rankedStake, 0n, `${label}: a new neuron's ranked stake is zero`);
    burnedSum += fee;
    previousFee = fee;
    lastRegistration = { block: header.number.toNumber(), price: nextPrice };
    log(`${label}: uid ${neuron.uid}, fee ${fee} (quoted ${quote}), next price ${nextPrice}`);
  }
  eq(await api.query.incentive.totalBurned(), burnedSum, 'TotalBurned = the sum of the burned fees');
  const lastPrice = await api.query.incentive.lastRegistrationPrice();
  eq(lastPrice.price, lastRegistration.price, 'LastRegistrationPrice.price = the last next price');
  eq(lastPrice.at, lastRegistration.block, 'LastRegistrationPrice.at = the last registration block');
  const [b, c, d] = neurons;
  const charlieAxon = { ip: IPV6_LOOPBACK, port: 9000, version: 2 };
  await submitQuoted(api, api.tx.incentive.serveAxon(charlieAxon), charlie, 'serveAxon');
  b.weights = [[b.uid, 1], [c.uid, 1]];
  c.weights = [[d.uid, 2]];
  d.weights = [[d.uid, 3], [b.uid, 1]];
  for (const neuron of neurons) {
    const { events } = await submitQuoted(api, api.tx.incentive.setWeights(neuron.weights), neuron.pair,
      `setWeights (${neuron.weights.length} edges) ${neuron.pair.address}`);
    check(events.some((e) => api.events.incentive.WeightsSet.is(e)), 'WeightsSet event');
  }

  // 3b. The operator key. Dave offers the role to Eve, who accepts: from then on Eve signs Dave's
  // weights and axon, Dave's own key no longer does, and Eve cannot move Dave's stake or leave.
  const offer = await submitQuoted(api, api.tx.incentive.setOperator(eve.address), dave, 'setOperator');
  const offered = offer.events.find((e) => api.events.incentive.OperatorOffered.is(e));
  check(offered, 'OperatorOffered event');
  eq(offered.data.operator.toString(), eve.address, 'OperatorOffered operator');
  eq((await api.query.incentive.operatorOffers(d.uid)).unwrap().toString(), eve.address, 'OperatorOffers entry');
  eq((await api.call.incentiveApi.neuron(d.uid)).unwrap().operatorOffer.unwrap().toString(), eve.address,
    'the view shows the offer');
  check((await api.query.incentive.operators(eve.address)).isNone, 'an offer binds nothing until accepted');
  await submitFailing(api, api.tx.incentive.acceptOperator(d.uid, dave.address), ferdie, 'acceptOperator without an offer',
    'incentive.NoOperatorOffer');
  const operatorSet = await submitQuoted(api, api.tx.incentive.acceptOperator(d.uid, dave.address), eve, 'acceptOperator');
  const setEvent = operatorSet.events.find((e) => api.events.incentive.OperatorSet.is(e));
  check(setEvent, 'OperatorSet event');
  check((await api.query.incentive.operatorOffers(d.uid)).isNone, 'the accepted offer is gone');
  eq(setEvent.data.uid, d.uid, 'OperatorSet uid');
  eq(setEvent.data.operator.toString(), eve.address, 'OperatorSet operator');
  eq(optNumber(await api.query.incentive.operators(eve.address)), d.uid, 'Operators entry of Eve');
  check((await api.query.incentive.operators(dave.address)).isNone, 'Dave is no longer an operator');
  await submitQuoted(api, api.tx.incentive.setWeights(d.weights), eve, 'setWeights signed by the operator');
  await submitFailing(api, api.tx.incentive.setWeights(d.weights), dave, 'setWeights signed by the owner',
    'incentive.NotOperator');
  await submitFailing(api, api.tx.incentive.removeStake(TAO), eve, 'removeStake signed by the operator',
    'incentive.NotOwner');
  await submitFailing(api, api.tx.incentive.unregister(), eve, 'unregister signed by the operator',
    'incentive.NotOwner');
  const byOperator = (await api.call.incentiveApi.neuronByAccount(eve.address)).unwrap();
  eq(byOperator.uid, d.uid, 'IncentiveApi.neuronByAccount(operator) is the operated neuron');
  eq(byOperator.operator.toString(), eve.address, 'the view names the operator');
  eq(byOperator.account.toString(), dave.address, 'the view names the owner');
  d.operator = eve;

  // 3c. A plain transfer: the fee schedule makes it cost well under a thousandth of a TAO.
  const transfer = await submitQuoted(api, api.tx.balances.transferKeepAlive(ferdie.address, TAO), alice,
    'transferKeepAlive');
  const transferFee = feePaid(api, transfer.events);
  check(transferFee <= TAO / 1000n, `a transfer costs at most 0.001 TAO (${transferFee} base units)`);

  // 4. Unbonding. Bob takes REMOVED out of his stake: it leaves the ranking at once and stays on
  // hold (reason Unbonding) until its release block, `its block + unbondingPeriod`;
  // withdrawUnbonded fails before that and frees it from then on.
  const REMOVED = 100n * TAO;
  const removal = await submitQuoted(api, api.tx.incentive.removeStake(REMOVED), bob, 'removeStake');
  const removed = removal.events.find((e) => api.events.incentive.StakeRemoved.is(e));
  check(removed, 'StakeRemoved event');
  const removalBlock = (await api.rpc.chain.getHeader(removal.blockHash)).number.toNumber();
  const releaseAt = removed.data.releaseAt.toNumber();
  eq(removed.data.uid, b.uid, 'StakeRemoved uid');
  eq(removed.data.amount, REMOVED, 'StakeRemoved amount');
  eq(releaseAt, removalBlock + UNBONDING, 'StakeRemoved releaseAt = its block + unbondingPeriod');
  b.removed = REMOVED;
  const removalApi = await api.at(removal.blockHash);
  const afterRemoval = (await removalApi.call.incentiveApi.neuron(b.uid)).unwrap();
  eq(afterRemoval.stake, removed.data.stake, 'StakeRemoved stake = Bob\'s stake after it');
  eq(afterRemoval.rankedStake, afterRemoval.stake, 'removed stake leaves the ranking at once');
  const removalHolds = await removalApi.query.balances.holds(bob.address);
  eq(heldFor(removalHolds, 'Unbonding'), REMOVED, 'the removed stake is on hold as Unbonding');
  eq(heldFor(removalHolds, 'Stake'), (await removalApi.query.incentive.neurons(b.uid)).unwrap().heldStake,
    'the Stake hold is the held stake after removeStake');
  const chunks = await removalApi.query.incentive.unbonding(bob.address);
  eq(chunks.length, 1, 'one unbonding chunk');
  eq(chunks[0].amount, REMOVED, 'the unbonding chunk\'s amount');
  eq(chunks[0].releaseAt, releaseAt, 'the unbonding chunk\'s release block');

  await submitFailing(api, api.tx.incentive.withdrawUnbonded(), bob, 'withdrawUnbonded before the release block',
    'incentive.NothingToWithdraw');
  // Instant sealing seals a block per transaction: remarks until the next block is the release block.
  for (let i = 0; ; i++) {
    check(i < 20, 'the release block within 20 blocks');
    const best = (await api.rpc.chain.getHeader()).number.toNumber();
    if (best + 1 >= releaseAt) break;
    await submit(api, api.tx.system.remark('0x02'), eve, 'remark (until the release block)');
  }
  const withdrawal = await submitQuoted(api, api.tx.incentive.withdrawUnbonded(), bob, 'withdrawUnbonded');
  const withdrawn = withdrawal.events.find((e) => api.events.incentive.Withdrawn.is(e));
  check(withdrawn, 'Withdrawn event');
  eq(withdrawn.data.account.toString(), bob.address, 'Withdrawn account');
  eq(withdrawn.data.amount, REMOVED, 'Withdrawn amount');
  const withdrawalHeader = await api.rpc.chain.getHeader(withdrawal.blockHash);
  check(withdrawalHeader.number.toNumber() >= releaseAt, 'withdrawn in or after the release block');
  const gained = (await freeAt(api, withdrawal.blockHash, bob.address)) -
    (await freeAt(api, withdrawalHeader.parentHash, bob.address));
  eq(gained, REMOVED - feePaid(api, withdrawal.events), 'withdrawUnbonded frees the amount (less the transaction fee)');
  const withdrawalApi = await api.at(withdrawal.blockHash);
  eq(heldFor(await withdrawalApi.query.balances.holds(bob.address), 'Unbonding'), 0n, 'no Unbonding hold left');
  eq((await withdrawalApi.query.incentive.unbonding(bob.address)).length, 0, 'no unbonding chunks left');
  log(`Bob unbonded ${REMOVED} in block ${removalBlock} and withdrew it in block ` +
      `${withdrawalHeader.number.toNumber()} (release block ${releaseAt})`);

  // 5. Blocks until two payouts. Every neuron registered more than two payouts ago, so all three
  // rank (a new neuron's stake ranks from the payout after next: at the first payout after its
  // registration it has no ranked stake). A payout happens in the block hook (phase
  // Initialization), so its event is not among the extrinsic's own events: read the block's
  // events from storage.
  const payouts = [];
  for (let i = 0; payouts.length < 2; i++) {
    check(i < 20, 'two payouts within 20 blocks');
    const { blockHash } = await submit(api, api.tx.system.remark('0x00'), eve, 'remark');
    const blockEvents = await (await api.at(blockHash)).query.system.events();
    const paid = blockEvents.find(({ event }) => api.events.incentive.EmissionPaid.is(event));
    if (paid) {
      check(paid.phase.isInitialization, 'EmissionPaid is emitted in the block hook');
      payouts.push({ blockHash, event: paid.event });
      const { block, totalPaid, neurons: count, potLeft } = paid.event.data;
      log(`payout in block ${block.toNumber()}: ${totalPaid.toBigInt()} paid to ${count.toNumber()} ` +
          `neurons, ${potLeft.toBigInt()} left in the pot`);
    }
  }
  const lastPayout = payouts[payouts.length - 1];
  const payoutBlock = lastPayout.event.data.block.toNumber();
  const payoutAt = await api.at(lastPayout.blockHash);
  eq((await api.rpc.chain.getHeader(lastPayout.blockHash)).number, payoutBlock, 'EmissionPaid.block is its block');

  // One more block, so that "the block after a payout" is checked too.
  const last = await submit(api, api.tx.system.remark('0x01'), eve, 'remark');
  const at = last.blockHash;
  const apiAt = await api.at(at);
  const atNumber = (await api.rpc.chain.getHeader(at)).number.toNumber();
  log(`comparing storage, runtime API and RPC at block ${atNumber} (${at.toHex()})`);

  // 6a. Every incentive storage item.
  const storage = {};
  for (const [name, entry] of Object.entries(apiAt.query.incentive)) {
    storage[name] = entry.creator.meta.type.isMap ? await entry.entries() : await entry();
  }
  for (const name of ['params', 'neurons', 'payouts', 'uids', 'weights', 'operators', 'neuronCount',
    'edgeCount', 'uidEnd', 'freeUids', 'pendingEmission', 'totalPaid', 'totalBurned', 'unbonding',
    'lastRegistrationPrice', 'operatorOffers']) {
    check(name in storage, `storage item incentive.${name} is in the metadata`);
  }
  const stored = new Map(storage.neurons.map(([key, value]) => [key.args[0].toNumber(), value.unwrap()]));
  const storedWeights = new Map(storage.weights.map(([key, value]) => [key.args[0].toNumber(), edgesOf(value.unwrap())]));
  eq(stored.size, neurons.length, 'Neurons entries');
  eq(storage.neuronCount, neurons.length, 'NeuronCount');
  eq(storage.uids.length, neurons.length, 'Uids entries');
  for (const [key, uid] of storage.uids) {
    const owner = stored.get(uid.unwrap().toNumber());
    check(owner && owner.account.eq(key.args[0]), `Uids entry of ${key.args[0]} points at its neuron`);
  }
  const edgeTotal = [...storedWeights.values()].reduce((sum, edges) => sum + edges.length, 0);
  eq(storage.edgeCount, edgeTotal, 'EdgeCount is the number of stored edges');
  eq(storage.operators.length, neurons.length, 'Operators entries');
  for (const [key, uid] of storage.operators) {
    const operated = stored.get(uid.unwrap().toNumber());
    check(operated && operated.operator.eq(key.args[0]), `Operators entry of ${key.args[0]} points at its neuron`);
  }
  eq(storage.uidEnd, Math.max(...stored.keys()) + 1, 'UidEnd is one past the highest uid');
  eq(storage.params.tempo, TEMPO, 'stored tempo');
  eq(storage.params.unbondingPeriod, UNBONDING, 'stored unbonding period');
  eq(storage.totalBurned, burnedSum, 'TotalBurned = the fees the registrations burned');
  eq(storage.lastRegistrationPrice.price, lastRegistration.price, 'stored LastRegistrationPrice.price');
  eq(storage.lastRegistrationPrice.at, lastRegistration.block, 'stored LastRegistrationPrice.at');
  eq(storage.unbonding.length, 0, 'no Unbonding entries (Bob withdrew his)');

  // 6b. The runtime API, decoded from the metadata's types alone.
  const metagraph = await apiAt.call.incentiveApi.metagraph();
  const emissions = await apiAt.call.incentiveApi.emissions();
  const apiParams = await apiAt.call.incentiveApi.params();
  eq(metagraph.block, atNumber, 'metagraph.block');
  eq(metagraph.neurons.length, neurons.length, 'metagraph neurons');
  eq(metagraph.neuronCount, storage.neuronCount, 'metagraph.neuronCount = NeuronCount');
  eq(metagraph.edgeCount, storage.edgeCount, 'metagraph.edgeCount = EdgeCount');
  eq(metagraph.pendingEmission, storage.pendingEmission, 'runtime API pending emission = storage');
  eq(metagraph.totalPaid, storage.totalPaid, 'runtime API total paid = storage');
  eq(metagraph.totalBurned, storage.totalBurned, 'runtime API total burned = storage');
  // The fee in force: decayed from the last registration's price toward the floor.
  const feeAt = (await apiAt.call.incentiveApi.registrationFee()).toBigInt();
  eq(metagraph.registrationFee, feeAt, 'metagraph.registrationFee = IncentiveApi.registrationFee');
  check(feeAt >= feeFloor && feeAt <= lastRegistration.price,
    `the fee in force (${feeAt}) is between the floor and the last price (${lastRegistration.price})`);
  eq(emissions.pendingEmission, storage.pendingEmission, 'emissions.pendingEmission = storage');
  eq(emissions.totalPaid, storage.totalPaid, 'emissions.totalPaid = storage');
  eq(emissions.block, atNumber, 'emissions.block');
  eq(emissions.tempo, TEMPO, 'emissions.tempo');
  eq(emissions.emissionPerBlock, EMISSION, 'emissions.emissionPerBlock');
  eq(optNumber(emissions.nextPayoutBlock), (Math.floor(atNumber / TEMPO) + 1) * TEMPO, 'next payout block');
  check(apiParams.eq(storage.params), 'runtime API params = stored Params');
  check(metagraph.params.eq(storage.params), 'metagraph.params = stored Params');
  const uids = metagraph.neurons.map((n) => n.uid.toNumber());
  check(uids.every((uid, i) => i === 0 || uids[i - 1] < uid), 'metagraph neurons sorted by uid');
  let stakeSum = 0n;
  let unsettledSum = 0n;
  for (const view of metagraph.neurons) {
    const uid = view.uid.toNumber();
    const info = stored.get(uid);
    const payout = storage.payouts[uid];
    check(info, `neuron ${uid} is stored`);
    check(payout, `neuron ${uid} has a Payouts entry`);
    check(view.account.eq(info.account), `neuron ${uid} account`);
    check(view.operator.eq(info.operator), `neuron ${uid} operator`);
    eq(view.staleEdges, 0, `neuron ${uid} has no stale edges`);
    eq(view.stake, info.heldStake.toBigInt() + payout.unsettledStake.toBigInt(),
      `neuron ${uid} stake = held + unsettled (runtime API vs storage)`);
    eq(view.rankedStake, payout.rankedStake, `neuron ${uid} ranked stake (runtime API vs storage)`);
    // The block after a payout, which reset every ranked stake to the stake then held.
    eq(view.rankedStake, view.stake, `neuron ${uid} ranks with its whole stake after a payout`);
    eq(view.rank, payout.rank, `neuron ${uid} rank (runtime API vs storage)`);
    eq(view.lastEmission, payout.lastEmission, `neuron ${uid} last emission`);
    eq(view.totalEmission, payout.totalEmission, `neuron ${uid} total emission`);
    unsettledSum += payout.unsettledStake.toBigInt();
    eq(view.registeredAt, info.registeredAt, `neuron ${uid} registered at`);
    eq(optNumber(view.lastWeightsAt), optNumber(info.lastWeightsAt), `neuron ${uid} last weights at`);
    check(view.axon.eq(info.axon), `neuron ${uid} axon`);
    eq(JSON.stringify(edgesOf(view.edges)), JSON.stringify(storedWeights.get(uid) ?? []), `neuron ${uid} edges`);
    const single = await apiAt.call.incentiveApi.neuron(uid);
    check(single.isSome && single.unwrap().eq(view), `IncentiveApi.neuron(${uid}) = metagraph entry`);
    const byAccount = await apiAt.call.incentiveApi.neuronByAccount(view.account);
    check(byAccount.isSome && byAccount.unwrap().eq(view), `IncentiveApi.neuronByAccount = metagraph entry`);
    // The held part of the stake is exactly what is on hold for Stake; nothing is unbonding.
    const holds = await apiAt.query.balances.holds(view.account);
    eq(heldFor(holds, 'Stake'), info.heldStake, `neuron ${uid} held stake is on hold`);
    eq(heldFor(holds, 'Unbonding'), 0n, `neuron ${uid} has nothing unbonding`);
    stakeSum += view.stake.toBigInt();
  }
  eq(metagraph.totalStake, stakeSum, 'metagraph.totalStake is the sum of stakes');
  // Emission paid into stake and not settled yet is in the pallet's account (PalletId
  // "tsr/incv", as `into_account_truncating` derives it: "modl" + id, zero-padded).
  const palletAccount = u8aConcat(stringToU8a('modl'), stringToU8a('tsr/incv'), new Uint8Array(20));
  const palletFree = (await apiAt.query.system.account(palletAccount)).data.free.toBigInt();
  check(unsettledSum > 0n, 'payouts into stake left unsettled stake');
  check(palletFree >= unsettledSum, `the pallet's account (${palletFree}) holds the unsettled stake (${unsettledSum})`);
  check((await apiAt.call.incentiveApi.neuron(999)).isNone, 'IncentiveApi.neuron(999) is None');
  check((await apiAt.call.incentiveApi.neuronByAccount(ferdie.address)).isNone, 'unregistered account: None');

  // Expected values from what this test did.
  for (const neuron of neurons) {
    const view = metagraph.neurons.find((n) => n.uid.toNumber() === neuron.uid);
    eq(view.account.toString(), neuron.pair.address, `uid ${neuron.uid} is ${neuron.pair.address}`);
    eq(view.operator.toString(), (neuron.operator ?? neuron.pair).address, `uid ${neuron.uid} operator`);
    const expectedEdges = [...neuron.weights].sort((x, y) => x[0] - y[0]);
    eq(JSON.stringify(edgesOf(view.edges)), JSON.stringify(expectedEdges), `uid ${neuron.uid} posted weights`);
    // Bob removed some: his stake is what he registered, less that, plus emission.
    const kept = neuron.stake - (neuron.removed ?? 0n);
    check(view.stake.toBigInt() >= kept, `uid ${neuron.uid} stake grew or stayed (emission to stake)`);
    eq(view.stake.toBigInt() - kept, view.totalEmission,
      `uid ${neuron.uid}: stake = registered stake - removed stake + total emission`);
  }
  eq(metagraph.neurons.find((n) => n.uid.toNumber() === c.uid).selfWeight, 0n, 'Charlie keeps nothing (only an edge to Dave)');
  eq(metagraph.neurons.find((n) => n.uid.toNumber() === b.uid).selfWeight, ONE / 2n, 'Bob keeps half');
  eq(metagraph.neurons.find((n) => n.uid.toNumber() === d.uid).selfWeight, ONE * 3n / 4n, 'Dave keeps three quarters');

  // Ranks: they sum to one, short by at most a part per uid slot.
  const rankSum = metagraph.neurons.reduce((sum, n) => sum + n.rank.toBigInt(), 0n);
  check(rankSum <= ONE && rankSum >= ONE - BigInt(storage.uidEnd.toNumber()),
    `ranks sum to one (got ${rankSum})`);

  // Emission accounting: TotalPaid + pot = everything accrued since genesis (the genesis
  // emission per block up to and including the setParams block, EMISSION per block after it).
  const accrued = BigInt(paramsBlock) * genesisEmission + BigInt(atNumber - paramsBlock) * EMISSION;
  eq(storage.totalPaid.toBigInt() + storage.pendingEmission.toBigInt(), accrued, 'TotalPaid + pot = accrued emission');

  // The last payout: what the event says is what the neurons got.
  const payoutApi = await payoutAt.call.incentiveApi.metagraph();
  const lastEmissions = payoutApi.neurons.reduce((sum, n) => sum + n.lastEmission.toBigInt(), 0n);
  eq(lastPayout.event.data.totalPaid, lastEmissions, 'EmissionPaid.totalPaid = sum of last emissions');
  eq(lastPayout.event.data.potLeft, payoutApi.pendingEmission, 'EmissionPaid.potLeft = pot after the payout');
  check(lastEmissions > 0n, 'the last payout paid something');
  eq(payoutApi.block, payoutBlock, 'metagraph at the payout block');

  // 6c. The JSON-RPC methods, at the same block.
  const rpcMeta = (await api.rpc.incentive.metagraph(at)).toJSON();
  const rpcEmissions = (await api.rpc.incentive.emissions(at)).toJSON();
  eq(rpcMeta.block.number, atNumber, 'RPC metagraph block number');
  eq(rpcMeta.block.hash, at.toHex(), 'RPC metagraph block hash');
  eq(rpcMeta.next_uid, null, 'RPC metagraph unpaged: no next_uid');
  // The same neurons a page of one at a time, at the same block.
  const paged = [];
  for (let from = 0, pages = 0; from !== null; pages++) {
    check(pages <= rpcMeta.neurons.length, 'RPC metagraph pages end');
    const page = (await api.rpc.incentive.metagraph(at, from, 1)).toJSON();
    eq(page.block.hash, at.toHex(), `RPC metagraph page from uid ${from}: block`);
    eq(page.neuron_count, rpcMeta.neuron_count, `RPC metagraph page from uid ${from}: neuron_count`);
    check(page.neurons.length <= 1, `RPC metagraph page from uid ${from} holds at most its limit`);
    paged.push(...page.neurons);
    from = page.next_uid;
  }
  eq(JSON.stringify(paged), JSON.stringify(rpcMeta.neurons), 'RPC metagraph pages = the whole metagraph');
  eq(rpcMeta.neuron_count, storage.neuronCount, 'RPC neuron_count');
  eq(rpcMeta.edge_count, storage.edgeCount, 'RPC edge_count');
  eq(rpcMeta.pending_emission, storage.pendingEmission, 'RPC pending_emission = storage');
  eq(rpcMeta.total_paid, storage.totalPaid, 'RPC total_paid = storage');
  eq(rpcMeta.registration_fee, metagraph.registrationFee, 'RPC registration_fee = runtime API');
  eq(rpcMeta.total_burned, storage.totalBurned, 'RPC total_burned = storage');
  eq(rpcMeta.total_stake, metagraph.totalStake, 'RPC total_stake = runtime API');
  eq(rpcMeta.emission_per_block, EMISSION, 'RPC emission_per_block');
  eq(rpcMeta.params.emission_per_block, storage.params.emissionPerBlock, 'RPC params.emission_per_block');
  eq(rpcMeta.params.tempo, storage.params.tempo, 'RPC params.tempo');
  eq(rpcMeta.params.min_stake, storage.params.minStake, 'RPC params.min_stake');
  eq(rpcMeta.params.max_neurons, storage.params.maxNeurons, 'RPC params.max_neurons');
  eq(rpcMeta.params.max_edges, storage.params.maxEdges, 'RPC params.max_edges');
  eq(rpcMeta.params.max_ranking_passes, storage.params.maxRankingPasses, 'RPC params.max_ranking_passes');
  eq(rpcMeta.params.weights_rate_limit, storage.params.weightsRateLimit, 'RPC params.weights_rate_limit');
  eq(rpcMeta.params.immunity_period, storage.params.immunityPeriod, 'RPC params.immunity_period');
  eq(rpcMeta.params.unbonding_period, storage.params.unbondingPeriod, 'RPC params.unbonding_period');
  eq(rpcMeta.params.registration_fee_floor, storage.params.registrationFeeFloor, 'RPC params.registration_fee_floor');
  eq(rpcMeta.params.registration_fee_ceiling, storage.params.registrationFeeCeiling,
    'RPC params.registration_fee_ceiling');
  eq(rpcMeta.params.registration_fee_growth_percent, storage.params.registrationFeeGrowthPercent,
    'RPC params.registration_fee_growth_percent');
  eq(rpcMeta.params.registration_fee_half_life, storage.params.registrationFeeHalfLife,
    'RPC params.registration_fee_half_life');
  check(typeof rpcMeta.params.registration_fee_floor === 'string', 'RPC fee floor is a decimal string (a balance)');
  check(typeof rpcMeta.registration_fee === 'string', 'RPC registration_fee is a decimal string (a balance)');
  eq(rpcMeta.params.emission_destination, storage.params.emissionDestination.type.toLowerCase(), 'RPC params.emission_destination');
  eq(rpcMeta.neurons.length, metagraph.neurons.length, 'RPC neurons');
  for (const [i, view] of metagraph.neurons.entries()) {
    const json = rpcMeta.neurons[i];
    const uid = view.uid.toNumber();
    eq(json.uid, uid, `RPC neuron ${i} uid`);
    eq(json.account, encodeAddress(view.account, SS58), `RPC neuron ${uid} account (SS58 42)`);
    eq(json.stake, view.stake, `RPC neuron ${uid} stake`);
    eq(json.ranked_stake, view.rankedStake, `RPC neuron ${uid} ranked_stake`);
    eq(json.rank_raw, view.rank, `RPC neuron ${uid} rank_raw`);
    check(Math.abs(json.rank - Number(view.rank.toBigInt()) / 1e18) < 1e-12, `RPC neuron ${uid} rank ≈ rank_raw`);
    eq(json.self_weight_raw, view.selfWeight, `RPC neuron ${uid} self_weight_raw`);
    eq(json.last_emission, view.lastEmission, `RPC neuron ${uid} last_emission`);
    eq(json.total_emission, view.totalEmission, `RPC neuron ${uid} total_emission`);
    eq(json.registered_at, view.registeredAt, `RPC neuron ${uid} registered_at`);
    eq(json.last_weights_at, optNumber(view.lastWeightsAt), `RPC neuron ${uid} last_weights_at`);
    eq(JSON.stringify(json.edges), JSON.stringify(edgesOf(view.edges)), `RPC neuron ${uid} edges`);
    if (view.axon.isSome) {
      const axon = view.axon.unwrap();
      eq(json.axon.ip, ipText(axon.ip.toU8a()), `RPC neuron ${uid} axon ip`);
      eq(json.axon.port, axon.port, `RPC neuron ${uid} axon port`);
      eq(json.axon.version, axon.version, `RPC neuron ${uid} axon version`);
    } else {
      eq(json.axon, null, `RPC neuron ${uid} has no axon`);
    }
  }
  const rpcNeuron = (uid) => rpcMeta.neurons.find((n) => n.uid === uid);
  eq(rpcNeuron(b.uid).axon.ip, '127.0.0.1', 'Bob\'s axon shown as IPv4');
  eq(rpcNeuron(c.uid).axon.ip, '::1', 'Charlie\'s axon shown as IPv6');
  eq(rpcNeuron(c.uid).axon.port, 9000, 'Charlie\'s axon port');

  eq(rpcEmissions.block.number, atNumber, 'RPC emissions block');
  eq(rpcEmissions.pending_emission, storage.pendingEmission, 'RPC emissions pending_emission = storage');
  eq(rpcEmissions.total_paid, storage.totalPaid, 'RPC emissions total_paid = storage');
  eq(rpcEmissions.emission_per_block, EMISSION, 'RPC emissions emission_per_block');
  eq(rpcEmissions.tempo, TEMPO, 'RPC emissions tempo');
  eq(rpcEmissions.next_payout_block, optNumber(emissions.nextPayoutBlock), 'RPC next_payout_block');
  eq(rpcEmissions.total_last_emission, lastEmissions, 'RPC total_last_emission = last payout');
  for (const [i, record] of emissions.neurons.entries()) {
    const json = rpcEmissions.neurons[i];
    eq(json.uid, record.uid, `RPC emissions neuron ${i} uid`);
    eq(json.rank_raw, record.rank, `RPC emissions uid ${json.uid} rank_raw`);
    eq(json.last_emission, record.lastEmission, `RPC emissions uid ${json.uid} last_emission`);
    eq(json.total_emission, record.totalEmission, `RPC emissions uid ${json.uid} total_emission`);
    eq(json.account, rpcNeuron(json.uid).account, `RPC emissions uid ${json.uid} account`);
  }

  // incentive_registrationFee: the runtime API's fee at that block, as a decimal string.
  const rpcFee = (await api.rpc.incentive.registrationFee(at)).toJSON();
  eq(rpcFee.block.number, atNumber, 'RPC registrationFee block number');
  eq(rpcFee.block.hash, at.toHex(), 'RPC registrationFee block hash');
  check(typeof rpcFee.registration_fee === 'string', 'RPC registrationFee is a decimal string');
  eq(rpcFee.registration_fee, feeAt, 'RPC registrationFee = IncentiveApi.registrationFee');
  eq(JSON.stringify(Object.keys(rpcFee).sort()), JSON.stringify(['block', 'registration_fee']),
    'RPC registrationFee fields');

  // incentive_neuron by uid, SS58 address and hex key all give the metagraph's entry. (A `Text`
  // parameter that looks like hex is turned into its bytes by polkadot.js, so the hex key goes
  // through the provider as is.)
  for (const neuron of neurons) {
    const expected = JSON.stringify(rpcNeuron(neuron.uid));
    for (const key of [String(neuron.uid), neuron.pair.address]) {
      const response = (await api.rpc.incentive.neuron(key, at)).toJSON();
      eq(response.block.number, atNumber, `incentive_neuron(${key}) block`);
      eq(JSON.stringify(response.neuron), expected, `incentive_neuron(${key}) = metagraph entry`);
    }
    const hexKey = u8aToHex(neuron.pair.publicKey);
    const raw = await provider.send('incentive_neuron', [hexKey, at.toHex()]);
    eq(raw.block.hash, at.toHex(), `incentive_neuron(${hexKey}) block`);
    eq(JSON.stringify(raw.neuron), expected, `incentive_neuron(${hexKey}) = metagraph entry`);
  }

  // Default block is the best block; an older block answers for that block.
  const bestNumber = (await api.rpc.chain.getHeader()).number.toNumber();
  eq((await api.rpc.incentive.metagraph()).toJSON().block.number, bestNumber, 'RPC default block is the best block');
  const rpcAtPayout = (await api.rpc.incentive.metagraph(lastPayout.blockHash)).toJSON();
  eq(rpcAtPayout.block.number, payoutBlock, 'RPC at the payout block');
  eq(rpcAtPayout.pending_emission, payoutApi.pendingEmission, 'RPC pot at the payout block = runtime API');

  // Errors: distinct codes and clear messages.
  const unknownUid = await rpcError(provider, 'incentive_neuron', ['999', at.toHex()]);
  eq(unknownUid?.code, CODES.UNKNOWN_UID, 'unknown uid error code');
  check(/no neuron is registered at uid 999/.test(unknownUid.message), `unknown uid message: ${unknownUid.message}`);
  const badAccount = await rpcError(provider, 'incentive_neuron', ['not-an-address']);
  eq(badAccount?.code, CODES.BAD_ACCOUNT, 'bad account error code');
  const badUid = await rpcError(provider, 'incentive_neuron', ['70000']);
  eq(badUid?.code, CODES.BAD_ACCOUNT, 'uid out of range error code');
  check(/out of range/.test(badUid.message), `uid out of range message: ${badUid.message}`);
  const unknownAccount = await rpcError(provider, 'incentive_neuron', [ferdie.address]);
  eq(unknownAccount?.code, CODES.UNKNOWN_ACCOUNT, 'unregistered account error code');
  check(unknownAccount.message.includes(ferdie.address), `unregistered account message: ${unknownAccount.message}`);
  const missingBlock = `0x${'11'.repeat(32)}`;
  for (const [method, params] of [['incentive_metagraph', [missingBlock]], ['incentive_emissions', [missingBlock]],
    ['incentive_neuron', ['0', missingBlock]], ['incentive_registrationFee', [missingBlock]]]) {
    const error = await rpcError(provider, method, params);
    eq(error?.code, CODES.UNKNOWN_BLOCK, `${method} at an unknown block: error code`);
    check(error.message.includes(missingBlock), `${method} unknown block message: ${error.message}`);
  }

  if (process.env.RPC_SAMPLES_DIR) {
    const dir = process.env.RPC_SAMPLES_DIR;
    mkdirSync(dir, { recursive: true });
    const write = (name, value) => writeFileSync(join(dir, name), `${JSON.stringify(value, null, 2)}\n`);
    write('incentive_metagraph.json', rpcMeta);
    write('incentive_emissions.json', rpcEmissions);
    write('incentive_neuron.json', (await api.rpc.incentive.neuron(String(b.uid), at)).toJSON());
    write('incentive_registrationFee.json', rpcFee);
    write('errors.json', { unknownUid, badAccount, badUid, unknownAccount });
    write('fees.json', fees.map(({ label, quoted, charged }) =>
      ({ call: label, quoted: String(quoted), charged: String(charged) })));
    log(`RPC samples written to ${dir}`);
  }

  // Fees a wallet quotes (paymentInfo) and what the chain charged, for docs/rpc.md.
  for (const { label, quoted, charged } of fees) {
    log(`fee of ${label}: quoted ${quoted}, charged ${charged} base units`);
  }

  // 7. The consensus mechanism, with commit-reveal required, switched on by root.
  await consensusPhase(api, { alice, eve, neurons, TEMPO });

  // 8. Decode every block from genesis to the best block: extrinsics and events. The transaction
  // fees are summed for the issuance check (this runtime burns them).
  const seenCalls = {};
  const seenEvents = {};
  let transactionFees = 0n;
  const best = (await api.rpc.chain.getHeader()).number.toNumber();
  for (let n = 0; n <= best; n++) {
    const hash = await api.rpc.chain.getBlockHash(n);
    const { block } = await api.rpc.chain.getBlock(hash);
    const blockApi = await api.at(hash);
    const events = await blockApi.query.system.events();
    for (const extrinsic of block.extrinsics) {
      const { section, method } = extrinsic.method;
      const name = `${section}.${method}`;
      seenCalls[name] = (seenCalls[name] ?? 0) + 1;
      check(extrinsic.toHuman() !== undefined, `block ${n}: ${name} decodes`);
    }
    for (const { event, phase } of events) {
      const name = `${event.section}.${event.method}`;
      seenEvents[name] = (seenEvents[name] ?? 0) + 1;
      check(event.toHuman() !== undefined && phase.toHuman() !== undefined, `block ${n}: event ${name} decodes`);
      if (api.events.transactionPayment.TransactionFeePaid.is(event)) {
        transactionFees += event.data.actualFee.toBigInt();
      }
    }
    if (n > 0) {
      eq(block.extrinsics[0]?.method.method, 'set', `block ${n}: timestamp inherent first`);
      const outcomes = events.filter(({ event }) =>
        api.events.system.ExtrinsicSuccess.is(event) || api.events.system.ExtrinsicFailed.is(event));
      eq(outcomes.length, block.extrinsics.length, `block ${n}: one outcome event per extrinsic`);
    }
  }
  // One register more than there are neurons: the one over its max fee.
  eq(seenCalls['incentive.register'], neurons.length + 1, 'register extrinsics in the chain');
  // One per neuron, then Dave's operator's and Dave's own refused one, and one refused under
  // commit-reveal.
  eq(seenCalls['incentive.setWeights'], neurons.length + 3, 'setWeights extrinsics in the chain');
  eq(seenCalls['incentive.commitWeights'], neurons.length, 'commitWeights extrinsics in the chain');
  // One per neuron, one without a commit and one with the wrong salt.
  eq(seenCalls['incentive.revealWeights'], neurons.length + 2, 'revealWeights extrinsics in the chain');
  eq(seenEvents['incentive.WeightsCommitted'], neurons.length, 'WeightsCommitted events in the chain');
  eq(seenCalls['incentive.serveAxon'], 1, 'serveAxon extrinsics in the chain');
  // Bob's, and the one Dave's operator key was refused.
  eq(seenCalls['incentive.removeStake'], 2, 'removeStake extrinsics in the chain');
  eq(seenCalls['incentive.unregister'], 1, 'unregister extrinsics in the chain (the refused one)');
  eq(seenCalls['incentive.setOperator'], 1, 'setOperator extrinsics in the chain');
  eq(seenCalls['incentive.acceptOperator'], 2, 'acceptOperator extrinsics in the chain (one refused)');
  eq(seenEvents['incentive.OperatorOffered'], 1, 'OperatorOffered events in the chain');
  eq(seenEvents['incentive.OperatorSet'], 1, 'OperatorSet events in the chain');
  eq(seenCalls['incentive.withdrawUnbonded'], 2, 'withdrawUnbonded extrinsics in the chain (one too early)');
  eq(seenCalls['sudo.sudo'], 2, 'sudo extrinsics in the chain (parameters, then the mechanism)');
  eq(seenEvents['incentive.NeuronRegistered'], neurons.length, 'NeuronRegistered events in the chain');
  eq(seenEvents['incentive.RegistrationFeeBurned'], neurons.length, 'RegistrationFeeBurned events in the chain');
  eq(seenEvents['incentive.StakeRemoved'], 1, 'StakeRemoved events in the chain');
  eq(seenEvents['incentive.Withdrawn'], 1, 'Withdrawn events in the chain');
  check((seenEvents['incentive.AxonServed'] ?? 0) >= 1, 'AxonServed events in the chain');
  check((seenEvents['incentive.EmissionPaid'] ?? 0) >= 2, 'EmissionPaid events in the chain');
  eq(seenEvents['system.ExtrinsicFailed'] ?? 0, expectedFailures,
    'failed extrinsics: only the ones meant to fail (max fee too low, withdrawal too early, wrong keys)');

  // Issuance: what genesis created, plus what payouts minted, less the burned registration fees
  // and the burned transaction fees.
  const bestApi = await api.at(await api.rpc.chain.getBlockHash(best));
  const genesisIssuance = (await (await api.at(genesisHash)).query.balances.totalIssuance()).toBigInt();
  const issuance = (await bestApi.query.balances.totalIssuance()).toBigInt();
  const paidTotal = (await bestApi.query.incentive.totalPaid()).toBigInt();
  const burnedTotal = (await bestApi.query.incentive.totalBurned()).toBigInt();
  eq(issuance, genesisIssuance + paidTotal - burnedTotal - transactionFees,
    'total issuance = genesis issuance + TotalPaid - TotalBurned - transaction fees');
  log(`decoded ${best + 1} blocks: calls ${JSON.stringify(seenCalls)}; events ${JSON.stringify(seenEvents)}`);
}

async function main () {
  let failed = false;
  const timer = setTimeout(() => {
    log(`FAIL: timed out after ${TIMEOUT_MS} ms`);
    failed = true;
    cleanupAndExit();
  }, TIMEOUT_MS);
  try {
    await run();
  } catch (error) {
    failed = true;
    log(`FAIL: ${error instanceof CheckFailed ? error.message : error.stack ?? error}`);
    log(`node log (last lines):\n${nodeLogTail()}`);
  }
  clearTimeout(timer);
  await cleanupAndExit();

  async function cleanupAndExit () {
    state.cleaningUp ??= stopNode();
    await state.cleaningUp;
    if (state.logPath && !failed && !process.env.KEEP_NODE_LOG) {
      rmSync(state.logPath, { force: true });
    }
    if (failed) {
      log(`${checks} checks passed before the failure`);
      process.exit(1);
    }
    log(`PASS: ${checks} checks`);
    process.exit(0);
  }
}

main();
