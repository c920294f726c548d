//! The pallet's view functions, called as a client calls them: by id, through the runtime's
//! view-function dispatch, with SCALE-encoded input and output.

use super::*;
use crate::{
	BondsViewFunction, IncentiveParamsOf, MechanismConfig, MechanismParamsOf,
	MechanismParamsViewFunction, Params, ParamsViewFunction, RegistrationFeeViewFunction,
	UidOfViewFunction,
};
use codec::{Decode, Encode};
use frame_support::view_functions::{ViewFunction, ViewFunctionDispatchError, ViewFunctionId};

/// Runs view function `F` with `query` as a client would, decoding its answer.
fn view<F: ViewFunction + Encode>(query: F) -> F::ReturnType
where
	F::ReturnType: Decode,
{
	let out = Test::execute_view_function(F::id(), query.encode()).expect("a view function");
	F::ReturnType::decode(&mut &out[..]).expect("its answer decodes")
}

#[test]
fn view_functions_answer_what_storage_holds() {
	ExtBuilder::default().build_and_execute(|| {
		register(1, MIN_STAKE);
		register(2, MIN_STAKE);
		let params: IncentiveParamsOf<Test> = view(ParamsViewFunction::<Test>::new());
		assert_eq!(params, Params::<Test>::get());
		let mechanism: MechanismParamsOf<Test> = view(MechanismParamsViewFunction::<Test>::new());
		assert_eq!(mechanism, MechanismConfig::<Test>::get());
		assert_eq!(view(UidOfViewFunction::<Test>::new(2)), Some(1));
		assert_eq!(view(UidOfViewFunction::<Test>::new(99)), None);
		assert_eq!(view(RegistrationFeeViewFunction::<Test>::new()), Incentive::registration_fee());
		assert_eq!(view(BondsViewFunction::<Test>::new(0)), Vec::new());
	});
}

#[test]
fn an_unknown_view_function_or_bad_input_is_an_error() {
	ExtBuilder::default().build_and_execute(|| {
		let unknown = ViewFunctionId { prefix: [7; 16], suffix: [7; 16] };
		assert!(matches!(
			Test::execute_view_function(unknown, Vec::new()),
			Err(ViewFunctionDispatchError::NotFound(_))
		));
		// `uid_of` takes an account: one byte is not one.
		let id = <UidOfViewFunction<Test> as ViewFunction>::id();
		assert!(matches!(
			Test::execute_view_function(id, vec![1]),
			Err(ViewFunctionDispatchError::Codec)
		));
	});
}
