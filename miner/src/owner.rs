//! `tensor-miner owner`: what a neuron's owner key signs. The owner registers, holds and moves
//! the stake and names the operator key; the operator key, the only key `tensor-miner run`
//! needs, signs weights and the axon. Keeping the owner key off the miner machine means a
//! stolen miner key can post weights but cannot move a balance or stake.

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::chain::{fmt_tao, parse_account, ChainClient, Included, OwnerCall, Signer};
use crate::cli::ChainArgs;
use crate::run::parse_stake;

/// Options of `owner`.
#[derive(Args, Debug, Clone)]
pub struct OwnerArgs {
	/// The node and the owner key.
	#[command(flatten)]
	pub chain: ChainArgs,
	/// What to do.
	#[command(subcommand)]
	pub action: OwnerAction,
}

/// The owner's actions.
#[derive(Subcommand, Debug, Clone)]
pub enum OwnerAction {
	/// Register a neuron owned by this key, optionally offering the operator role to a key at
	/// once.
	Register {
		/// Stake to hold: TAO (`100`, `2.5`) or base units with the suffix `base`.
		#[arg(long, value_parser = parse_stake)]
		stake: u128,
		/// The most registration fee to pay (burned), in the same units.
		#[arg(long, value_parser = parse_stake, default_value = "10")]
		max_fee: u128,
		/// SS58 address of the operator key (default: this key operates the neuron itself).
		#[arg(long)]
		operator: Option<String>,
	},
	/// Offer the operator role to another key (SS58 address), which accepts it; name this
	/// key's own address to take the role back at once.
	SetOperator {
		/// SS58 address of the new operator key.
		operator: String,
	},
	/// Hold more stake.
	AddStake {
		/// TAO or base units (`…base`).
		#[arg(value_parser = parse_stake)]
		amount: u128,
	},
	/// Take stake out of the ranking; it unbonds and `withdraw` releases it later.
	RemoveStake {
		/// TAO or base units (`…base`).
		#[arg(value_parser = parse_stake)]
		amount: u128,
	},
	/// Leave the network: all stake unbonds.
	Unregister,
	/// Release unbonded stake whose release block has come.
	Withdraw,
	/// Print the neuron this key owns.
	Show,
}

/// Logs the incentive events of an included call.
fn report(what: &str, included: &Included) {
	println!("{what}: in block {} ({:?})", included.block_number, included.block_hash);
	for event in &included.events {
		if let tensor_runtime::RuntimeEvent::Incentive(event) = event {
			println!("  {event:?}");
		}
	}
}

/// `tensor-miner owner`.
pub fn owner_cmd(args: OwnerArgs) -> anyhow::Result<()> {
	let signer = args.chain.signer()?;
	let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
	runtime.block_on(act(&args.chain.node, &signer, args.action))
}

async fn act(node: &str, signer: &Signer, action: OwnerAction) -> anyhow::Result<()> {
	let client = ChainClient::connect(node).await?;
	let call = match action {
		OwnerAction::Register { stake, max_fee, operator } => {
			// Checked before anything is signed.
			let operator = operator.as_deref().map(parse_account).transpose()?;
			let (included, uid) = client.register(signer, stake, max_fee, None).await?;
			report(&format!("registered uid {uid:?} with {} TAO", fmt_tao(stake)), &included);
			let Some(operator) = operator else { return Ok(()) };
			OwnerCall::SetOperator(operator)
		}
		OwnerAction::SetOperator { operator } => OwnerCall::SetOperator(parse_account(&operator)?),
		OwnerAction::AddStake { amount } => OwnerCall::AddStake(amount),
		OwnerAction::RemoveStake { amount } => OwnerCall::RemoveStake(amount),
		OwnerAction::Unregister => OwnerCall::Unregister,
		OwnerAction::Withdraw => OwnerCall::WithdrawUnbonded,
		OwnerAction::Show => {
			let metagraph = client.metagraph().await?;
			let me = signer.ss58();
			let neuron = metagraph.neuron_owned_by(&me).with_context(|| {
				format!("{me} owns no neuron at block {}", metagraph.block.number)
			})?;
			println!(
				"uid {}: owner {}, operator {}, stake {} TAO, rank {:.4}, total emission {} TAO",
				neuron.uid,
				neuron.account,
				neuron.operator,
				fmt_tao(neuron.stake),
				neuron.rank,
				fmt_tao(neuron.total_emission)
			);
			return Ok(());
		}
	};
	let what = format!("{call:?}");
	let offer = matches!(&call, OwnerCall::SetOperator(key) if *key != signer.account());
	let included = client.owner_call(signer, call).await?;
	report(&what, &included);
	if offer {
		println!(
			"offered; the operator key takes the role by running `tensor-miner run --owner {}` \
			 (or any client calling accept_operator)",
			signer.ss58()
		);
	}
	Ok(())
}
