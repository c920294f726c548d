//! Choosing where to train: Burn's pure-Rust CPU backend (`Flex`) always, CUDA when the crate is
//! built with the `cuda` feature and a GPU answers at run time.
//!
//! CUDA is loaded dynamically (cudarc), so a `cuda` build still starts on machines without a
//! driver; the probe runs a tiny computation and catches the panic Burn raises when no device
//! can be opened.

use burn::backend::{Autodiff, Flex};

/// CPU training backend.
pub type CpuBackend = Autodiff<Flex>;

/// CUDA training backend.
#[cfg(feature = "cuda")]
pub type CudaBackend = Autodiff<burn::backend::Cuda>;

/// What the user asked for with `--device`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum DeviceArg {
	/// CUDA if built in and a GPU works, else CPU.
	Auto,
	/// Burn's Flex CPU backend.
	Cpu,
	/// CUDA; an error if unavailable.
	Cuda,
}

/// The backend chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selected {
	/// [`CpuBackend`].
	Cpu,
	/// `CudaBackend`.
	#[cfg(feature = "cuda")]
	Cuda,
}

/// Resolves `--device`, logging why `auto` fell back to CPU.
pub fn select(arg: DeviceArg) -> anyhow::Result<Selected> {
	match arg {
		DeviceArg::Cpu => Ok(Selected::Cpu),
		DeviceArg::Cuda => cuda().map_err(|why| anyhow::anyhow!("--device cuda: {why}")),
		DeviceArg::Auto => match cuda() {
			Ok(s) => {
				log::info!("using CUDA");
				Ok(s)
			}
			Err(why) => {
				log::info!("using CPU (Flex backend): {why}");
				Ok(Selected::Cpu)
			}
		},
	}
}

#[cfg(not(feature = "cuda"))]
fn cuda() -> Result<Selected, String> {
	Err("this binary was built without CUDA support (rebuild with --features cuda)".into())
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Selected, String> {
	use burn::tensor::{ElementConversion, Tensor};
	type C = burn::backend::Cuda;
	// Burn reports a missing driver or device by panicking; keep that off the terminal and turn
	// it into a reason.
	let hook = std::panic::take_hook();
	std::panic::set_hook(Box::new(|_| {}));
	let outcome = std::panic::catch_unwind(|| {
		let device = burn::backend::cuda::CudaDevice::default();
		let t = Tensor::<C, 1>::from_floats([1.0, 2.0], &device);
		let sum: f32 = t.sum().into_scalar().elem();
		sum
	});
	std::panic::set_hook(hook);
	match outcome {
		Ok(sum) if (sum - 3.0).abs() < 1e-6 => Ok(Selected::Cuda),
		Ok(sum) => Err(format!("CUDA probe computed {sum} instead of 3")),
		Err(panic) => {
			let msg = panic
				.downcast_ref::<String>()
				.cloned()
				.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
				.unwrap_or_else(|| "unknown error".into());
			Err(format!("no usable CUDA GPU ({})", msg.lines().next().unwrap_or_default()))
		}
	}
}
