//! The pallets whose benchmarks `tensor-node benchmark pallet` can run (feature
//! `runtime-benchmarks`).

frame_benchmarking::define_benchmarks!(
	[frame_system, SystemBench::<Runtime>]
	[pallet_balances, Balances]
	[pallet_timestamp, Timestamp]
	[pallet_sudo, Sudo]
	[pallet_incentive, Incentive]
);
