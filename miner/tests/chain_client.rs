//! The chain client against a real dev node (instant sealing): signed calls are included, their
//! events come back, and failed calls are reported by the pallet error's name.
//!
//! Needs the `tensor-node` binary: `TENSOR_NODE`, or
//! `$HOME/.cache/incentive-chain/target/release/tensor-node` (see `common/node.rs`).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::node::start_dev_node;
use tensor_miner::chain::{ChainError, Signer, TAO};

fn dispatch_name(r: Result<impl std::fmt::Debug, ChainError>) -> String {
	match r {
		Err(e) => e.dispatch_name().unwrap_or_else(|| panic!("not a dispatch error: {e}")).into(),
		Ok(v) => panic!("expected a dispatch error, got {v:?}"),
	}
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_included_and_failures_are_named() {
	let dir = tempfile::tempdir().unwrap();
	let (node, client, _) = start_dev_node("instant", dir.path()).await;
	let ferdie = Signer::from_suri("//Ferdie").unwrap();
	let addr = "127.0.0.1:7301".parse().unwrap();

	// Not registered yet.
	assert_eq!(dispatch_name(client.set_weights(&ferdie, vec![(0, 1)]).await), "NotRegistered");
	assert_eq!(
		dispatch_name(client.register(&ferdie, 1, 10 * TAO, None).await),
		"StakeBelowMinimum"
	);

	let (included, uid) = client.register(&ferdie, 2 * TAO, 10 * TAO, Some(addr)).await.unwrap();
	assert_eq!(uid, Some(0), "events: {:?}", included.events);
	assert_eq!(
		dispatch_name(client.register(&ferdie, 2 * TAO, 10 * TAO, None).await),
		"AlreadyRegistered"
	);
	assert_eq!(dispatch_name(client.set_weights(&ferdie, vec![(9, 1)]).await), "UnknownUid");
	let included = client.set_weights(&ferdie, vec![(0, 7)]).await.unwrap();

	let m = client.metagraph().await.unwrap();
	let me = m.neuron_operated_by(&ferdie.ss58()).expect("Ferdie is in the metagraph");
	assert_eq!((me.uid, me.stake), (0, 2 * TAO));
	assert_eq!(me.axon.as_ref().and_then(|a| a.socket_addr()), Some(addr));
	assert_eq!(me.edges, vec![(0, 7)]);
	assert_eq!(me.last_weights_at.map(u64::from), Some(included.block_number));
	assert!(m.peers(Some(0)).is_empty());

	// A transaction signed for another runtime (what a client that missed an upgrade sends) is
	// refused as badly signed, which the miner reads as "reconnect and reread the versions".
	let mut ctx = client.signing_context(&ferdie).await.unwrap();
	ctx.spec_version += 1;
	let call = tensor_runtime::RuntimeCall::System(frame_system::Call::remark { remark: vec![] });
	let xt = tensor_runtime::signing::sign_call(call, ferdie.pair(), ctx);
	let hex = sp_core::bytes::to_hex(&xt, false);
	let refused = client.request::<sp_core::H256>("author_submitExtrinsic", vec![hex.into()]).await;
	let reason = match refused {
		Err(ChainError::Rpc { reason, .. }) => reason,
		other => panic!("expected the pool to refuse it, got {other:?}"),
	};
	let e = ChainError::Rejected { call: "remark", reason };
	assert!(e.is_bad_signature(), "{e}");
	drop(node);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_operator_key_posts_weights_and_cannot_touch_the_stake() {
	use tensor_miner::chain::OwnerCall;
	let dir = tempfile::tempdir().unwrap();
	let (node, client, _) = start_dev_node("instant", dir.path()).await;
	let owner = Signer::from_suri("//Ferdie").unwrap();
	let operator = Signer::from_suri("//Eve").unwrap();

	let (_, uid) = client.register(&owner, 2 * TAO, 10 * TAO, None).await.unwrap();
	let uid = uid.expect("a uid");
	client.owner_call(&owner, OwnerCall::SetOperator(operator.account())).await.unwrap();
	// Offered, not yet accepted: the owner still operates, and only the offered key accepts.
	let m = client.metagraph().await.unwrap();
	let offered = m.operator_offer(&owner.ss58(), &operator.ss58()).expect("an offer to Eve");
	assert_eq!((offered.uid, offered.operator.as_str()), (uid, owner.ss58().as_str()));
	let stranger = Signer::from_suri("//Dave").unwrap();
	assert_eq!(dispatch_name(client.accept_operator(&stranger, uid, owner.account()).await), "NoOperatorOffer");
	client.accept_operator(&operator, uid, owner.account()).await.unwrap();

	// The operator key serves and posts weights; the owner key no longer does.
	let addr = "127.0.0.1:7302".parse().unwrap();
	client.serve_axon(&operator, addr).await.unwrap();
	client.set_weights(&operator, vec![(uid, 3)]).await.unwrap();
	assert_eq!(dispatch_name(client.set_weights(&owner, vec![(uid, 1)]).await), "NotOperator");

	// It cannot move stake, leave or hand its role on.
	for call in [
		OwnerCall::AddStake(TAO),
		OwnerCall::RemoveStake(TAO),
		OwnerCall::Unregister,
		OwnerCall::SetOperator(operator.account()),
	] {
		let outcome = client.owner_call(&operator, call.clone()).await;
		assert_eq!(dispatch_name(outcome), "NotOwner", "{call:?}");
	}

	let m = client.metagraph().await.unwrap();
	let me = m.neuron_operated_by(&operator.ss58()).expect("Eve operates a neuron");
	assert_eq!(me.uid, uid);
	assert_eq!(me.account, owner.ss58());
	assert_eq!(me.operator, operator.ss58());
	assert_eq!(me.operator_offer, None);
	assert_eq!(me.stake, 2 * TAO);
	assert_eq!(me.edges, vec![(uid, 3)]);
	assert_eq!(me.axon.as_ref().and_then(|a| a.socket_addr()), Some(addr));
	assert_eq!(m.neuron_owned_by(&owner.ss58()).map(|n| n.uid), Some(uid));
	drop(node);
}
