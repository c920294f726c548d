//! Choosing where to train: Burn's pure-Rust CPU backend (`Flex`) always, CUDA when the crate is
//! built with the `cuda` feature and a GPU answers at run time.
//!
//! CUDA is loaded dynamically (cudarc), so a `cuda` build still starts on machines without a
//! driver. Before Burn touches it, [`driver::probe`] asks the driver itself (library, `cuInit`,
//! version, GPUs), so a fallback names the real cause; then a tiny computation catches the
//! panic Burn raises when the device still cannot be opened.

use burn::backend::{Autodiff, Flex};

pub mod driver;

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
	Err(without_cuda(driver::probe()))
}

/// Why a build without the `cuda` feature trains on the CPU, with what the machine has.
#[cfg_attr(feature = "cuda", allow(dead_code))]
fn without_cuda(driver: Result<driver::Driver, String>) -> String {
	let built = "this binary was built without CUDA support";
	match driver {
		Ok(d) => format!("{built}, but this machine has a GPU ({d}): rebuild with --features cuda"),
		Err(_) => format!("{built} (and this machine has no usable GPU)"),
	}
}

#[cfg(feature = "cuda")]
fn cuda() -> Result<Selected, String> {
	use burn::tensor::{ElementConversion, Tensor};
	type C = burn::backend::Cuda;
	let driver = driver::probe()?;
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
	let older = older_driver(driver.cuda, bindings_version());
	match outcome {
		Ok(sum) if (sum - 3.0).abs() < 1e-6 => {
			log::info!("CUDA: {driver}");
			if let Some(older) = older {
				log::warn!("{older} (the probe worked, so training goes on)");
			}
			Ok(Selected::Cuda)
		}
		Ok(sum) => Err(format!("CUDA probe computed {sum} instead of 3")),
		Err(panic) => {
			let msg = panic
				.downcast_ref::<String>()
				.cloned()
				.or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
				.unwrap_or_else(|| "unknown error".into());
			let first = msg.lines().next().unwrap_or_default();
			let cause = older.map(|older| format!("; likely cause: {older}")).unwrap_or_default();
			Err(format!("Burn could not use the GPU of the {driver}: {first}{cause}"))
		}
	}
}

/// The CUDA version the build's bindings (cudarc) were generated for: the building machine's
/// `nvcc`, `CUDARC_CUDA_VERSION`, or cudarc's newest when neither was there.
#[cfg(feature = "cuda")]
fn bindings_version() -> (u32, u32) {
	let v = cudarc::driver::sys::CUDA_VERSION;
	(v / 1000, (v % 1000) / 10)
}

/// Names the mismatch when the driver supports an older CUDA than the bindings expect: calls
/// the driver lacks then fail inside Burn with a message that does not say why.
#[cfg_attr(not(feature = "cuda"), allow(dead_code))]
fn older_driver(driver: (u32, u32), bindings: (u32, u32)) -> Option<String> {
	(driver < bindings).then(|| {
		let ((dm, dn), (bm, bn)) = (driver, bindings);
		format!(
			"the driver supports CUDA {dm}.{dn}, older than the CUDA {bm}.{bn} this binary's \
			 bindings were built for: update the driver, or rebuild with \
			 CUDARC_CUDA_VERSION={dm}0{dn}0 (the \"CUDA Version\" nvidia-smi prints, or the \
			 nearest older one cudarc lists)"
		)
	})
}

/// Most shards by default: measured only up to two cores (docs/benchmarks.md), and each shard
/// holds a gradient of the whole model until they are summed.
pub const DEFAULT_MAX_SHARDS: usize = 8;

/// How many row ranges a CPU training step splits its batch into ([`crate::shards`]): one per
/// thread asked for with `--threads`, else one per core, at most [`DEFAULT_MAX_SHARDS`].
pub fn cpu_shards(threads: Option<usize>) -> usize {
	threads
		.unwrap_or_else(|| {
			std::thread::available_parallelism().map_or(1, |n| n.get().min(DEFAULT_MAX_SHARDS))
		})
		.max(1)
}

/// Keeps freed memory in the process's heap rather than giving it back to the kernel: a training
/// step frees and allocates the same tensor buffers again, and glibc's defaults (`mmap` for
/// large blocks, trimming the heap's top) make each step fault its pages in afresh (measured in
/// docs/benchmarks.md, "Miner training throughput"). The cost is that the heap stays at its
/// peak. No-op on other C libraries.
pub fn keep_freed_memory() {
	#[cfg(all(target_os = "linux", target_env = "gnu"))]
	{
		// Blocks up to 32 MiB (glibc's largest threshold; a `gpu` preset activation is 12 MiB)
		// come from the heap, and up to 1 GiB free at its top stays there.
		const MMAP_THRESHOLD: libc::c_int = 32 << 20;
		const TRIM_THRESHOLD: libc::c_int = 1 << 30;
		// SAFETY: `mallopt` only sets allocator parameters; called before the training threads
		// start.
		let ok = unsafe {
			libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
				&& libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
		};
		if !ok {
			log::debug!("mallopt refused the heap thresholds; glibc's defaults stay");
		}
	}
}

#[cfg(test)]
mod tests {
	use super::*;

	#[test]
	fn cpu_is_always_there_and_auto_falls_back_to_it() {
		assert_eq!(select(DeviceArg::Cpu).ok(), Some(Selected::Cpu));
		#[cfg(not(feature = "cuda"))]
		{
			assert_eq!(select(DeviceArg::Auto).ok(), Some(Selected::Cpu));
			let err = select(DeviceArg::Cuda).err().map(|e| e.to_string()).unwrap_or_default();
			assert!(err.starts_with("--device cuda: this binary was built without CUDA"), "{err}");
		}
	}

	#[test]
	fn a_driver_older_than_the_bindings_is_named_with_the_fix() {
		assert_eq!(older_driver((13, 0), (13, 0)), None);
		assert_eq!(older_driver((13, 1), (12, 8)), None);
		let older = older_driver((12, 8), (13, 4)).unwrap_or_default();
		assert!(
			older.starts_with("the driver supports CUDA 12.8, older than the CUDA 13.4"),
			"{older}"
		);
		assert!(older.contains("CUDARC_CUDA_VERSION=12080"), "{older}");
	}

	#[test]
	fn a_cpu_build_says_when_the_machine_has_a_gpu() {
		let gpu =
			driver::Driver { library: "libcuda.so.1".into(), cuda: (12, 4), devices: 1, gpu: None };
		let with = without_cuda(Ok(gpu));
		assert!(
			with.ends_with(
				"has a GPU (NVIDIA driver for CUDA 12.4, 1 GPU): rebuild with --features cuda"
			),
			"{with}"
		);
		let without = without_cuda(Err("no NVIDIA driver".into()));
		assert!(without.ends_with("(and this machine has no usable GPU)"), "{without}");
	}
}
